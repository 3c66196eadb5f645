#!/usr/bin/python3
"""Usage: /usr/bin/python3 tools/reference/make_reference.py   (from anywhere; no arguments)

Regenerates the committed PyTorch references for tint's training code:
  tests/data/reference_model.safetensors  a tiny tint model (PyTorch default init, fixed seed)
  tests/data/reference_dump.safetensors   one batch through it: activations, loss, every
                                          gradient, and the parameters after 5 optimiser steps
                                          (Adam, AdamW, Adam with gradient clipping)
  tests/data/reference_head_model.safetensors  a tiny classification-head model with hint inputs
                                          (softmax, annealed_mean, two declared losses)
  tests/data/reference_head_dump.safetensors   one batch through it: the gamut bins, the prior
                                          and its class weights, activations, the objective,
                                          every gradient, the parameters after 5 Adam steps
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
HEAD_MODEL_PATH = os.path.join(DATA, "reference_head_model.safetensors")
HEAD_DUMP_PATH = os.path.join(DATA, "reference_head_dump.safetensors")
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


def write_pair(model_path, dump_path, model, initial, dump, metadata, description):
    """Writes a reference model and its dump; the model file must give back exactly the initial
    weights (F32 round trip)."""
    tint_torch.save_model(model_path, model, {"description": description, "command": COMMAND})
    loaded, _, _ = tint_torch.load_model(model_path)
    assert list(loaded.state_dict()) == list(initial)
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in initial.items())
    tint_torch.write_safetensors(dump_path, dump, metadata)
    for path in (model_path, dump_path):
        print(f"{os.path.relpath(path, REPO)}: {os.path.getsize(path)} bytes")


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
    write_pair(MODEL_PATH, DUMP_PATH, model, initial, dump, metadata,
               "tiny model for tint's PyTorch reference test (PyTorch default init, "
               f"torch.manual_seed({MODEL_SEED}))")
    print(f"loss {loss:.9g}; smallest |ReLU input| {margin:.3g}")
    print("float32 vs float64, max |difference| / max |value| per group: " +
          ", ".join(f"{k} {v:.2g}" for k, v in rounding.items()))
    for prefix in ("adam5", "adamw5", "clip5"):
        key = "losses" if prefix == "adam5" else f"losses.{prefix}"
        print(f"{prefix} losses " + " ".join(f"{v:.9g}" for v in dump[key].tolist()))
    print("clip5 gradient norms before clipping " + " ".join(f"{v:.6g}" for v in norms))


# --- the second reference: a classification head with hint inputs ---------------------------

# Hint inputs (L/100, a/128 and b/128 of the hints, their mask), a stride-2 encoder, logits over
# the Q = 224 gamut ab bins, softmax, annealed mean (T 0.38), back up to the input resolution.
# Two declared losses: the rebalanced ab cross-entropy on the logits and MSE (x10) on the decoded
# ab, both at half resolution against the averaged-down target; the final upsample has none.
HEAD_ARCHITECTURE = {
    "name": "reference-head",
    "inputs": ["lightness", "hint_ab", "hint_mask"],
    "input_channels": 4,
    "working_size": 16,
    "layers": [
        {"name": "enc", "op": "conv", "out": 6, "stride": 2, "activation": "relu"},
        {"name": "logits", "op": "conv", "out": 224, "stride": 1, "activation": "none"},
        {"name": "prob", "op": "softmax"},
        {"name": "ab", "op": "annealed_mean", "temperature": 0.38},
        {"name": "up", "op": "upsample", "mode": "bilinear"},
    ],
    "losses": [
        {"layer": "logits", "type": "cross_entropy", "weight": 1, "rebalance": 0.5, "sigma": 5},
        {"layer": "ab", "type": "mse", "weight": 10},
    ],
}
HEAD_BATCH, HEAD_HEIGHT, HEAD_WIDTH = 2, 8, 12
HEAD_MODEL_SEED = 4
HEAD_BATCH_SEED = 3
# Hints placed by hand: (sample, x0, y0, size, a/128, b/128), as hints.h place_hint does.
HEAD_HINTS = [(0, 3, 2, 1, 0.30, -0.20), (0, 8, 5, 2, -0.10, 0.45), (1, 10, 0, 3, 0.20, 0.40)]
# A sample's target: a base colour (ab/128) plus uniform noise of this amplitude.
HEAD_TARGET_BASES = [(0.25, 0.35), (-0.30, 0.10)]
HEAD_TARGET_NOISE = 0.15
# The soft encoding must not rest on a near tie (which bin is nearest, which are the 5 nearest):
# smallest relative gap between the squared distances that decide it.
MIN_TIE_GAP = 1e-3


def head_prior():
    """A fixed, smooth, non-uniform prior over the gamut bins: a Gaussian around a slightly warm
    grey (sigma 35) times a ripple over the index, normalised; float32 (as the dump holds it)."""
    centres = tint_torch.gamut_bins().astype("float64")
    k = torch.arange(len(centres), dtype=torch.float64)
    a, b = torch.from_numpy(centres[:, 0]), torch.from_numpy(centres[:, 1])
    prior = torch.exp(-((a - 5) ** 2 + (b - 10) ** 2) / (2 * 35.0 ** 2)) * (1.25 + torch.sin(0.7 * k))
    return (prior / prior.sum()).float()


def head_batch(seed):
    """(input NCHW [N, 4, H, W], ab target NCHW [N, 2, H, W] = ab/128), float32."""
    generator = torch.Generator().manual_seed(seed)
    lightness = torch.rand((HEAD_BATCH, 1, HEAD_HEIGHT, HEAD_WIDTH), generator=generator)
    x = torch.zeros((HEAD_BATCH, 4, HEAD_HEIGHT, HEAD_WIDTH))
    x[:, tint_torch.input_channel(HEAD_ARCHITECTURE, "lightness")] = lightness[:, 0]
    ab, mask = (tint_torch.input_channel(HEAD_ARCHITECTURE, name) for name in ("hint_ab", "hint_mask"))
    for n, x0, y0, size, a, b in HEAD_HINTS:
        x[n, ab, y0:y0 + size, x0:x0 + size] = a
        x[n, ab + 1, y0:y0 + size, x0:x0 + size] = b
        x[n, mask, y0:y0 + size, x0:x0 + size] = 1.0
    noise = torch.rand((HEAD_BATCH, 2, HEAD_HEIGHT, HEAD_WIDTH), generator=generator)
    base = torch.tensor(HEAD_TARGET_BASES).reshape(HEAD_BATCH, 2, 1, 1)
    target = base + (noise * 2 - 1) * HEAD_TARGET_NOISE
    return x, target


def head_model(state):
    model = tint_torch.TintNet(HEAD_ARCHITECTURE).to(next(iter(state.values())).dtype)
    model.load_state_dict(copy.deepcopy(state))
    return model.train()


def head_reference(initial, x, objective, targets):
    """Everything the head dump holds that the network computes (activations, the objective, its
    terms, every gradient, 5 Adam steps), and the smallest |ReLU input| over every forward."""
    model = head_model(initial)
    x_leaf = x.clone().requires_grad_(True)
    activations, pre = {}, {}
    model(x_leaf, activations=activations, preactivations=pre)
    for t in activations.values():
        t.retain_grad()
    loss, terms = objective(activations, targets)
    loss.backward()
    margin = min(p.detach().abs().min().item() for p in pre.values())

    dump = {}
    for name, t in activations.items():
        dump[f"activation.{name}"] = nhwc(t)
    dump["loss"] = loss.detach().reshape(1)
    dump["loss.terms"] = torch.stack([t.detach() for t in terms])
    for name, t in activations.items():
        if t.grad is not None:  # the final upsample feeds no loss
            dump[f"grad.activation.{name}"] = nhwc(t.grad)
    for name, p in model.named_parameters():
        dump[f"grad.{name}"] = p.grad.detach().clone()
    dump["grad.input"] = nhwc(x_leaf.grad)

    model = head_model(initial)
    optimizer = torch.optim.Adam(model.parameters(), **ADAM)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad(set_to_none=True)
        activations, pre = {}, {}
        model(x, activations=activations, preactivations=pre)
        step_loss, _ = objective(activations, targets)
        margin = min([margin] + [p.detach().abs().min().item() for p in pre.values()])
        step_loss.backward()
        optimizer.step()
        losses.append(step_loss.item())
    for name, value in model.state_dict().items():
        dump[f"adam5.{name}"] = value
    dump["losses"] = torch.tensor(losses)
    assert losses[0] == loss.item()
    return dump, margin


def main_head():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(DATA, exist_ok=True)

    torch.manual_seed(HEAD_MODEL_SEED)
    model = tint_torch.TintNet(HEAD_ARCHITECTURE)
    initial = copy.deepcopy(model.state_dict())
    multiple = tint_torch.stride_multiple(HEAD_ARCHITECTURE)
    assert HEAD_HEIGHT % multiple == 0 and HEAD_WIDTH % multiple == 0

    _, _, gamut_margin = tint_torch._gamut()
    centres = torch.from_numpy(tint_torch.gamut_bins())
    assert len(centres) == 224, len(centres)
    prior = head_prior()
    x, target = head_batch(HEAD_BATCH_SEED)
    objective = tint_torch.Objective(HEAD_ARCHITECTURE, prior=prior.numpy())
    (cross_entropy, mse) = objective.terms
    assert cross_entropy["type"] == "cross_entropy" and mse["type"] == "mse"
    targets = objective.targets(target.numpy())
    tie_gap = targets[0][2]
    if tie_gap < MIN_TIE_GAP:
        sys.exit(f"a target pixel is {tie_gap:.3g} from a tie between ab bins: pick other targets")

    dump = {"input": nhwc(x), "target": nhwc(target), "prior": prior, "gamut_bins": centres,
            "class_weights": torch.from_numpy(cross_entropy["class_weights"])}
    computed, margin = head_reference(initial, x, objective, targets)
    dump.update(computed)
    if margin < MIN_RELU_MARGIN:
        sys.exit(f"smallest |ReLU input| is {margin:.3g} < {MIN_RELU_MARGIN}: pick other seeds")
    computed64, _ = head_reference({k: v.double() for k, v in initial.items()}, x.double(),
                                   objective, targets)
    rounding = {}
    for name, value in computed.items():
        exact = computed64[name]
        deviation = (value.double() - exact).abs().max().item() / max(exact.abs().max().item(),
                                                                       1e-30)
        group = "grad.activation" if name.startswith("grad.activation.") else name.split(".")[0]
        rounding[group] = max(rounding.get(group, 0.0), deviation)
    if max(rounding.values()) > MAX_ROUNDING:
        sys.exit(f"float32 vs float64 deviations {rounding} exceed {MAX_ROUNDING}: "
                 "pick other seeds")
    # Both sides of ReLU and of the class weights' range are exercised.
    relu_zero = (dump["activation.enc"] == 0).double().mean().item()
    assert 0.1 < relu_zero < 0.9, relu_zero
    pixel_weights = targets[0][1]

    metadata = {
        "description": "PyTorch reference for tint's classification head: gamut ab bins, class "
                       "rebalancing, softmax, annealed_mean, the ab cross-entropy and declared "
                       "losses, one batch through tests/data/reference_head_model.safetensors in "
                       "training mode. See tools/reference/README.md.",
        "torch_version": torch.__version__,
        "command": COMMAND,
        "model": "tests/data/reference_head_model.safetensors",
        "loss": "sum over the architecture's losses of weight * loss, each against the target "
                "averaged down 2x2: 1 * ab cross-entropy (logits; rebalance 0.5 with the prior "
                "below, sigma 5) + 10 * MSE (ab)",
        "layouts": "input, target, activation.*, grad.activation.*, grad.input: NHWC; "
                   "parameters and their gradients: PyTorch layout; gamut_bins: [Q, 2] (a, b) in "
                   "ab units; prior, class_weights: [Q]",
        "optimizers": json.dumps({"steps": STEPS,
                                  "adam5": {"optimizer": "torch.optim.Adam", **ADAM}},
                                 separators=(",", ":")),
        "min_relu_margin": f"{margin:.6g}",
        "min_tie_gap": f"{tie_gap:.6g}",
        "gamut_margin": f"{gamut_margin:.6g}",
        "float64_deviation": json.dumps({k: float(f"{v:.2g}") for k, v in rounding.items()},
                                        separators=(",", ":")),
    }
    write_pair(HEAD_MODEL_PATH, HEAD_DUMP_PATH, model, initial, dump, metadata,
               "tiny classification-head model for tint's PyTorch reference test "
               f"(PyTorch default init, torch.manual_seed({HEAD_MODEL_SEED}))")
    terms = dump["loss.terms"].tolist()
    print(f"head: {len(centres)} gamut bins (closest call {gamut_margin:.3g}); loss "
          f"{dump['loss'].item():.9g} = {cross_entropy['weight']:g} * {terms[0]:.9g} + "
          f"{mse['weight']:g} * {terms[1]:.9g}; smallest |ReLU input| {margin:.3g}; "
          f"ReLU zeros {relu_zero:.0%}; smallest tie gap {tie_gap:.3g}")
    print(f"head: class weights {dump['class_weights'].min().item():.4g} .. "
          f"{dump['class_weights'].max().item():.4g}; pixel weights {pixel_weights.min():.4g} .. "
          f"{pixel_weights.max():.4g}")
    print("head: float32 vs float64, max |difference| / max |value| per group: " +
          ", ".join(f"{k} {v:.2g}" for k, v in rounding.items()))
    print("head: adam5 losses " + " ".join(f"{v:.9g}" for v in dump["losses"].tolist()))


if __name__ == "__main__":
    main()
    main_head()
