#!/usr/bin/python3
"""Usage: /usr/bin/python3 tools/reference/make_reference.py   (from anywhere; no arguments)

Regenerates the committed PyTorch reference for tint's training code:
  tests/data/reference_model.safetensors  a tiny tint model (PyTorch default init, fixed seed)
  tests/data/reference_dump.safetensors   one batch through it: activations, loss, every
                                          gradient, and the parameters after 5 optimiser steps
                                          (Adam, AdamW, Adam with gradient clipping)
Tensor names and conventions are in tools/reference/README.md. Deterministic: on the same
machine and torch, a rerun writes byte-identical files. Needs python3-torch (Debian's, under
/usr/bin/python3); the C++ tests that read the files do not.
"""

import copy
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ next to the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tint_torch  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(REPO, "tests", "data")
MODEL_PATH = os.path.join(DATA, "reference_model.safetensors")
DUMP_PATH = os.path.join(DATA, "reference_dump.safetensors")
COMMAND = "/usr/bin/python3 tools/reference/make_reference.py"

# Every op of the schema: conv stride 1 and 2, ReLU and none, both upsample modes, concat and add
# skips, tanh. Two stride-2 levels, so input sides must be multiples of 4; 12x8 gives 6x4 and an
# odd 3x2 at the bottom (bilinear upsampling from an odd size; H != W catches H/W mix-ups).
# The dropout has rate 0.0: tint draws its masks from its own RNG, so no reference could match a
# real rate; at 0.0 it is the identity in training too (keep 1, scale 1/(1-0) = 1), which still
# checks that the layer exists, passes values and gradients through and owns no parameters.
ARCHITECTURE = {
    "name": "reference-tiny",
    "input_channels": 1,
    "working_size": 16,
    "layers": [
        {"name": "enc1", "op": "conv", "out": 4, "stride": 1, "activation": "relu"},
        {"name": "enc2", "op": "conv", "out": 6, "stride": 2, "activation": "relu"},
        {"name": "enc3", "op": "conv", "out": 8, "stride": 2, "activation": "relu"},
        {"name": "mid", "op": "conv", "out": 8, "stride": 1, "activation": "none"},
        {"name": "drop", "op": "dropout", "rate": 0.0},
        {"name": "res", "op": "add", "with": "enc3"},
        {"name": "up1", "op": "upsample", "mode": "bilinear"},
        {"name": "cat1", "op": "concat", "with": "enc2"},
        {"name": "dec1", "op": "conv", "out": 4, "stride": 1, "activation": "relu"},
        {"name": "up2", "op": "upsample", "mode": "nearest"},
        {"name": "cat2", "op": "concat", "with": "enc1"},
        {"name": "dec2", "op": "conv", "out": 4, "stride": 1, "activation": "relu"},
        {"name": "head", "op": "conv", "out": 2, "stride": 1, "activation": "none"},
        {"name": "out", "op": "tanh"},
    ],
}
BATCH, HEIGHT, WIDTH = 2, 12, 8
MODEL_SEED = 9   # torch.manual_seed before building the model (PyTorch's default conv init)
BATCH_SEED = 1   # a separate torch.Generator for the input and target
STEPS = 5
ADAM = {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}
ADAMW = {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.1}
# clip_grad_norm_'s max_norm. This model's gradient norms are 0.11-0.27 over the 5 steps, so 0.2
# clips steps 1-2 and leaves 3-5 alone: both sides of the clamp are tested (checked below).
CLIP_MAX_NORM = 0.2
# ReLU's derivative jumps at 0: a pre-activation this close to 0 could land on the other side in
# tint's rounding and change the gradients. The seeds above are chosen so every ReLU input in
# every forward pass here stays at least this far from 0.
MIN_RELU_MARGIN = 1e-5
# The whole computation is repeated in float64; every dumped float32 tensor must agree with it
# to this fraction of the tensor's largest magnitude. That bounds how far a correct float32
# implementation with other rounding (tint) can land from the dump: Adam divides by sqrt(v), so a
# gradient near rounding noise would make its parameter's step, and the dump, fragile.
MAX_ROUNDING = 5e-6


def nhwc(t):
    return t.detach().permute(0, 2, 3, 1).contiguous()


def fresh_model(state):
    """A model in training mode holding `state`, in the state's dtype (float32, or float64 for
    the rounding check)."""
    model = tint_torch.TintNet(ARCHITECTURE).to(next(iter(state.values())).dtype)
    model.load_state_dict(copy.deepcopy(state))
    return model.train()


def train(initial_state, optimizer_class, options, x, target, clip=None):
    """STEPS optimiser steps on the same batch. Returns (final parameters, losses, pre-clip
    gradient norms, smallest |ReLU input| over all steps)."""
    model = fresh_model(initial_state)
    optimizer = optimizer_class(model.parameters(), **options)
    losses, norms, margin = [], [], float("inf")
    for _ in range(STEPS):
        optimizer.zero_grad(set_to_none=True)
        pre = {}
        loss = F.mse_loss(model(x, preactivations=pre), target)
        margin = min([margin] + [p.detach().abs().min().item() for p in pre.values()])
        loss.backward()
        if clip is not None:
            norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), clip).item())
        optimizer.step()
        losses.append(loss.item())
    return model.state_dict(), losses, norms, margin


def reference(initial, x, target):
    """Returns (everything the dump holds, smallest |ReLU input| in any forward pass, clip5's
    gradient norms before clipping)."""
    model = fresh_model(initial)
    # One forward and backward: activations, loss, d loss / d (every layer's output, every
    # parameter, the input).
    x_leaf = x.clone().requires_grad_(True)
    activations, pre = {}, {}
    output = model(x_leaf, activations=activations, preactivations=pre)
    for t in activations.values():
        t.retain_grad()
    loss = F.mse_loss(output, target)
    loss.backward()

    dump = {"input": nhwc(x), "target": nhwc(target)}
    for name, t in activations.items():
        dump[f"activation.{name}"] = nhwc(t)
    dump["loss"] = loss.detach().reshape(1)
    for name, t in activations.items():
        dump[f"grad.activation.{name}"] = nhwc(t.grad)
    for name, p in model.named_parameters():
        dump[f"grad.{name}"] = p.grad.detach().clone()
    dump["grad.input"] = nhwc(x_leaf.grad)

    runs = {
        "adam5": train(initial, torch.optim.Adam, ADAM, x, target),
        "adamw5": train(initial, torch.optim.AdamW, ADAMW, x, target),
        "clip5": train(initial, torch.optim.Adam, ADAM, x, target, clip=CLIP_MAX_NORM),
    }
    margin = min([min(p.detach().abs().min().item() for p in pre.values())] +
                 [run[3] for run in runs.values()])
    for prefix, (state, losses, norms, _) in runs.items():
        for name, value in state.items():
            dump[f"{prefix}.{name}"] = value
        dump["losses" if prefix == "adam5" else f"losses.{prefix}"] = torch.tensor(losses)
        if norms:
            dump[f"norms.{prefix}"] = torch.tensor(norms)
    assert runs["adam5"][1][0] == loss.item()
    return dump, margin, runs["clip5"][2]


def batch(seed):
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand((BATCH, 1, HEIGHT, WIDTH), generator=generator)                # L/100, [0, 1)
    target = torch.rand((BATCH, 2, HEIGHT, WIDTH), generator=generator) * 1.6 - 0.8  # [-0.8, 0.8)
    return x, target


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(DATA, exist_ok=True)

    torch.manual_seed(MODEL_SEED)
    model = tint_torch.TintNet(ARCHITECTURE)
    initial = copy.deepcopy(model.state_dict())

    assert HEIGHT % tint_torch.stride_multiple(ARCHITECTURE) == 0
    assert WIDTH % tint_torch.stride_multiple(ARCHITECTURE) == 0
    x, target = batch(BATCH_SEED)
    dump, margin, norms = reference(initial, x, target)
    if margin < MIN_RELU_MARGIN:
        sys.exit(f"smallest |ReLU input| is {margin:.3g} < {MIN_RELU_MARGIN}: pick other seeds")
    dump64, _, _ = reference({k: v.double() for k, v in initial.items()}, x.double(),
                             target.double())
    rounding = {}  # group (input, activation, grad, adam5, ...) -> worst relative deviation
    for name, value in dump.items():
        exact = dump64[name]
        deviation = (value.double() - exact).abs().max().item() / max(exact.abs().max().item(),
                                                                       1e-30)
        group = "grad.activation" if name.startswith("grad.activation.") else name.split(".")[0]
        rounding[group] = max(rounding.get(group, 0.0), deviation)
    if max(rounding.values()) > MAX_ROUNDING:
        sys.exit(f"float32 vs float64 deviations {rounding} exceed {MAX_ROUNDING}: "
                 "pick other seeds")
    # Both sides of clip_grad_norm_'s clamp: some steps clipped, some not, none borderline.
    if not (any(n > 1.1 * CLIP_MAX_NORM for n in norms) and
            any(n < 0.9 * CLIP_MAX_NORM for n in norms) and
            all(abs(n / CLIP_MAX_NORM - 1) > 0.02 for n in norms)):
        sys.exit(f"gradient norms {norms} do not straddle max_norm {CLIP_MAX_NORM}")
    loss = dump["loss"].item()

    metadata = {
        "description": "PyTorch reference for tint's forward, backward and optimisers: one batch "
                       "through tests/data/reference_model.safetensors in training mode. "
                       "See tools/reference/README.md.",
        "torch_version": torch.__version__,
        "command": COMMAND,
        "model": "tests/data/reference_model.safetensors",
        "loss": "F.mse_loss(output, target), mean over all N*2*H*W elements",
        "layouts": "input, target, activation.*, grad.activation.*, grad.input: NHWC; "
                   "parameters and their gradients: PyTorch layout",
        "optimizers": json.dumps({
            "steps": STEPS,
            "adam5": {"optimizer": "torch.optim.Adam", **ADAM},
            "adamw5": {"optimizer": "torch.optim.AdamW", **ADAMW},
            "clip5": {"optimizer": "torch.optim.Adam", **ADAM,
                      "clip_grad_norm_max_norm": CLIP_MAX_NORM}}, separators=(",", ":")),
        "min_relu_margin": f"{margin:.6g}",
        "float64_deviation": json.dumps({k: float(f"{v:.2g}") for k, v in rounding.items()},
                                        separators=(",", ":")),
    }
    # Written only once every check has passed, so the two files always belong together.
    tint_torch.save_model(MODEL_PATH, model, {
        "description": "tiny model for tint's PyTorch reference test (PyTorch default init, "
                       f"torch.manual_seed({MODEL_SEED}))",
        "command": COMMAND})
    # The file must give back exactly these weights (F32 round trip).
    loaded, _, _ = tint_torch.load_model(MODEL_PATH)
    assert list(loaded.state_dict()) == list(initial)
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in initial.items())
    tint_torch.write_safetensors(DUMP_PATH, dump, metadata)

    for path in (MODEL_PATH, DUMP_PATH):
        print(f"{os.path.relpath(path, REPO)}: {os.path.getsize(path)} bytes")
    print(f"loss {loss:.9g}; smallest |ReLU input| {margin:.3g}")
    print("float32 vs float64, max |difference| / max |value| per group: " +
          ", ".join(f"{k} {v:.2g}" for k, v in rounding.items()))
    for prefix in ("adam5", "adamw5", "clip5"):
        key = "losses" if prefix == "adam5" else f"losses.{prefix}"
        print(f"{prefix} losses " + " ".join(f"{v:.9g}" for v in dump[key].tolist()))
    print("clip5 gradient norms before clipping " + " ".join(f"{v:.6g}" for v in norms))


if __name__ == "__main__":
    main()
