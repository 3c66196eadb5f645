"""tint's network in PyTorch: read and write tint weights files, build the model they describe.

Used by make_reference.py (the reference dump for tint's gradient and optimiser tests) and
check_weights.py; importable by anyone who wants to run a tint model in PyTorch:

    import sys; sys.path.insert(0, "tools/reference")
    import tint_torch
    model, architecture, metadata = tint_torch.load_model("weights/some.safetensors")
    ab = model(L[None, None] / 100)          # (N, 1, H, W) in [0, 1] -> (N, 2, H, W) = ab / 128

Needs python3-torch and numpy only (run with /usr/bin/python3 on the build machine); the
safetensors container is read and written here with plain Python, so the `safetensors` package
is not needed.

Conventions (the same as tint's, see README.md "Weights format" and "Architecture schema"):
- the input has the architecture's declared "inputs" as channels (src/core/model.cpp,
  network_inputs()): "lightness" = L / 100 (1 channel), "hint_ab" = a / 128, b / 128 of the colour
  hints over their patches, 0 elsewhere (2), "hint_mask" = 1 on hint pixels (1); default
  ["lightness"], so (N, 1, H, W); every layer reads the previous layer's output, concat/add also
  read the earlier layer named in "with";
- conv = 3x3, padding 1, stride 1 or 2, bias, optional ReLU; weights [out, in, 3, 3];
- upsample = x2, nearest or bilinear with half-pixel centres (align_corners=False);
- concat = channels of the previous output, then those of "with";
- dropout = inverted dropout while training (PyTorch's own RNG, so its masks never match tint's),
  identity in eval mode and at rate 0;
- softmax = over the channels of each pixel;
- annealed_mean = a distribution over the Q gamut ab bins (gamut_bins()) decoded to ab / 128:
  f = softmax(log(max(p, 1e-30)) / T) over the bins, output sum_k f_k centre_k / 128 (2 channels);
- "losses" (optional, training only): [{"layer", "type": mse | huber | cross_entropy, "weight",
  "delta", "rebalance", "sigma"}], each on its layer against the ab target averaged down to that
  layer's resolution (Objective below); absent: MSE on the output.

The ab-bin functions (gamut_bins, nearest_bins, soft_encode, rebalancing_weights,
downsample_average, ab_cross_entropy) mirror src/core/ab_bins.cpp and src/core/loss.cpp,
including their float32 arithmetic where it decides a bin.
"""

import functools
import math

import json
import struct

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

WEIGHTS_FORMAT = "tint"
WEIGHTS_FORMAT_VERSION = "1"

_DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2")}
_OPS = {
    "conv": {"out", "stride", "activation"},
    "upsample": {"mode"},
    "concat": {"with"},
    "add": {"with"},
    "dropout": {"rate"},
    "tanh": set(),
    "softmax": set(),
    "annealed_mean": {"temperature"},
}
# network_inputs() in src/core/model.cpp: name -> channels, in the order tint knows them.
INPUTS = {"lightness": 1, "hint_ab": 2, "hint_mask": 1, "hint_fill": 2, "hint_distance": 1}
LOSS_TYPES = ("mse", "huber", "cross_entropy")
LOSS_DEFAULTS = {"weight": 1.0, "delta": 0.1, "rebalance": 0.5, "sigma": 5.0}  # model.h LossSpec
ANNEALED_MEAN_TEMPERATURE = 0.38  # annealed_mean's default
PROBABILITY_FLOOR = 1e-30         # annealed_mean's log(0) guard (kFloor)


# --- safetensors container ------------------------------------------------------------------

def read_safetensors(path):
    """Returns (tensors, metadata): an ordered dict name -> float32 numpy array (F16 widened),
    in data-buffer order, and the "__metadata__" dict of strings ({} if absent)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes, too short for a safetensors header length")
    (header_size,) = struct.unpack("<Q", data[:8])
    if header_size > len(data) - 8:
        raise ValueError(f"{path}: header length {header_size} runs past the end of the file")
    header = json.loads(data[8:8 + header_size].decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError(f"{path}: header is not a JSON object")
    buffer = memoryview(data)[8 + header_size:]
    metadata = header.pop("__metadata__", {}) or {}
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError(f"{path}: __metadata__ is not an object of strings")

    entries = sorted(header.items(), key=lambda item: tuple(item[1]["data_offsets"]))
    tensors = {}
    position = 0
    for name, info in entries:
        dtype = _DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {info.get('dtype')!r}")
        shape = [int(s) for s in info["shape"]]
        begin, end = (int(o) for o in info["data_offsets"])
        count = int(np.prod(shape, dtype=np.int64))
        if begin != position or end - begin != count * dtype.itemsize or end > len(buffer):
            raise ValueError(f"{path}: tensor {name} has bad data_offsets [{begin}, {end}]")
        position = end
        array = np.frombuffer(buffer[begin:end], dtype=dtype).reshape(shape)
        tensors[name] = array.astype(np.float32)
    if position != len(buffer):
        raise ValueError(f"{path}: {len(buffer) - position} data bytes belong to no tensor")
    return tensors, metadata


def safetensors_bytes(tensors, metadata=None):
    """Serialises name -> array (torch tensor or numpy) as F32 safetensors, in the given order.

    The header is compact JSON padded with spaces so the data buffer starts 8-byte aligned (as
    tint's writer and the reference implementation do); equal inputs give identical bytes."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name, value in tensors.items():
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        array = np.ascontiguousarray(np.asarray(value, dtype="<f4"))
        if not np.isfinite(array).all():
            raise ValueError(f"tensor {name} holds NaN or Inf (tint refuses those)")
        raw = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def write_safetensors(path, tensors, metadata=None):
    with open(path, "wb") as f:
        f.write(safetensors_bytes(tensors, metadata))


# --- architecture ---------------------------------------------------------------------------

def parse_architecture(architecture):
    """Checks an architecture (dict or JSON text) the way tint does and fills in defaults.
    Returns (architecture dict, per-layer list of (in_channels, out_channels, depth))."""
    if isinstance(architecture, str):
        architecture = json.loads(architecture)
    unknown = set(architecture) - {"name", "inputs", "input_channels", "working_size", "layers",
                                   "losses"}
    if unknown:
        raise ValueError(f"architecture has unknown keys {sorted(unknown)}")
    # The network's declared inputs (src/core/model.cpp, network_inputs()), default
    # ["lightness"]; input_channels, when given, must be their channels together.
    inputs = architecture.get("inputs", ["lightness"])
    if not isinstance(inputs, list) or not inputs:
        raise ValueError("inputs must be a non-empty list of names")
    for name in inputs:
        if name not in INPUTS:
            raise ValueError(f"unknown input {name!r} (expected one of {list(INPUTS)})")
    declared = sum(INPUTS[name] for name in inputs)
    if architecture.get("input_channels", declared) != declared:
        raise ValueError(f"input_channels is {architecture['input_channels']}, expected "
                         f"{declared} (the channels of inputs {inputs})")
    layers = architecture.get("layers")
    if not layers:
        raise ValueError("architecture has no layers")

    shapes, seen = [], {}
    channels, depth = declared, 0
    for index, layer in enumerate(layers):
        name, op = layer.get("name"), layer.get("op")
        where = f"layer #{index} ({name})"
        if not isinstance(name, str) or not name or name in seen:
            raise ValueError(f"{where}: missing, empty or repeated name")
        if op not in _OPS:
            raise ValueError(f"{where}: unknown op {op!r}")
        extra = set(layer) - {"name", "op"} - _OPS[op]
        if extra:
            raise ValueError(f"{where}: unknown keys {sorted(extra)} for op {op}")
        out = channels
        if op == "conv":
            out = int(layer["out"])
            if layer.get("stride", 1) not in (1, 2):
                raise ValueError(f"{where}: stride must be 1 or 2")
            if layer.get("activation", "none") not in ("relu", "none"):
                raise ValueError(f"{where}: activation must be relu or none")
            depth += layer.get("stride", 1) == 2
        elif op == "upsample":
            if layer.get("mode", "nearest") not in ("nearest", "bilinear"):
                raise ValueError(f"{where}: mode must be nearest or bilinear")
            depth -= 1
            if depth < 0:
                raise ValueError(f"{where}: upsamples above the input resolution")
        elif op in ("concat", "add"):
            other = seen.get(layer.get("with"))
            if other is None:
                raise ValueError(f"{where}: with names no earlier layer")
            if shapes[other][2] != depth:
                raise ValueError(f"{where}: {layer['with']} is at another resolution")
            if op == "add" and shapes[other][1] != channels:
                raise ValueError(f"{where}: channel counts differ")
            if op == "concat":
                out = channels + shapes[other][1]
        elif op == "dropout":
            if not 0.0 <= float(layer["rate"]) < 1.0:
                raise ValueError(f"{where}: dropout rate must be in [0, 1)")
        elif op == "softmax":
            if channels < 2:
                raise ValueError(f"{where}: softmax needs 2 or more channels, got {channels}")
        elif op == "annealed_mean":
            if channels != bin_count():
                raise ValueError(f"{where}: annealed_mean reads a distribution over the "
                                 f"{bin_count()} ab bins, got {channels} channels")
            if not 0.01 <= float(layer.get("temperature", ANNEALED_MEAN_TEMPERATURE)) <= 10.0:
                raise ValueError(f"{where}: temperature must be in [0.01, 10]")
            out = 2
        shapes.append((channels, out, depth))
        seen[name] = index
        channels = out
    if channels != 2 or depth != 0:
        raise ValueError("the output must have 2 channels at the input resolution")
    _check_losses(architecture.get("losses", []), seen, shapes)
    return architecture, shapes


def _check_losses(losses, seen, shapes):
    """validate_losses in src/core/model.cpp: each loss names a layer with the channels its type
    needs (Q for cross_entropy, 2 otherwise) and sensible numbers."""
    if not isinstance(losses, list):
        raise ValueError('"losses" must be a list')
    for index, loss in enumerate(losses):
        where = f"loss #{index}"
        if not isinstance(loss, dict):
            raise ValueError(f"{where} is not a JSON object")
        extra = set(loss) - {"layer", "type"} - set(LOSS_DEFAULTS)
        if extra:
            raise ValueError(f"{where}: unknown keys {sorted(extra)}")
        if not isinstance(loss.get("layer"), str) or not isinstance(loss.get("type"), str):
            raise ValueError(f'{where}: needs "layer" and "type"')
        where = f"{where} ({loss['type']} on {loss['layer']})"
        if loss["layer"] not in seen:
            raise ValueError(f"{where}: no layer is named {loss['layer']}")
        if loss["type"] not in LOSS_TYPES:
            raise ValueError(f"{where}: unknown type (expected mse, huber or cross_entropy)")
        channels = shapes[seen[loss["layer"]]][1]
        expected = bin_count() if loss["type"] == "cross_entropy" else 2
        if channels != expected:
            raise ValueError(f"{where}: the layer has {channels} channels, expected {expected}")
        spec = loss_spec(loss)
        if not (spec["weight"] > 0 and spec["delta"] > 0 and spec["sigma"] > 0 and
                0 <= spec["rebalance"] <= 1):
            raise ValueError(f"{where}: needs weight > 0, delta > 0, sigma > 0 and "
                             "rebalance in [0, 1]")


def loss_spec(loss):
    """A "losses" entry with LossSpec's defaults filled in (a new dict)."""
    return {"layer": loss["layer"], "type": loss["type"],
            **{key: float(loss.get(key, default)) for key, default in LOSS_DEFAULTS.items()}}


def input_channels(architecture):
    """The channels of the architecture's declared inputs together."""
    return sum(INPUTS[name] for name in architecture.get("inputs", ["lightness"]))


def input_channel(architecture, name):
    """First channel of a declared input, or -1 (hints.h input_channel)."""
    channel = 0
    for declared in architecture.get("inputs", ["lightness"]):
        if declared == name:
            return channel
        channel += INPUTS[declared]
    return -1


def stride_multiple(architecture):
    """Input sides must be multiples of this: 2^(deepest stride-2 level)."""
    depth = deepest = 0
    for layer in architecture["layers"]:
        if layer["op"] == "conv" and layer.get("stride", 1) == 2:
            depth += 1
        elif layer["op"] == "upsample":
            depth -= 1
        deepest = max(deepest, depth)
    return 1 << deepest


class TintNet(nn.Module):
    """The network an architecture describes. Each conv layer is a submodule named after its
    layer, so state_dict() keys are exactly tint's tensor names (`<layer>.weight`, `.bias`)."""

    def __init__(self, architecture):
        super().__init__()
        self.architecture, shapes = parse_architecture(architecture)
        self.layers = [dict(layer) for layer in self.architecture["layers"]]
        for layer, (cin, cout, _) in zip(self.layers, shapes):
            if layer["op"] != "conv":
                continue
            name = layer["name"]
            if "." in name or hasattr(self, name):
                raise ValueError(f"layer name {name!r} cannot name a PyTorch submodule")
            self.add_module(name, nn.Conv2d(cin, cout, 3, stride=layer.get("stride", 1),
                                            padding=1, bias=True))

    def forward(self, x, activations=None, preactivations=None):
        """x: (N, C, H, W), the declared inputs (C = input_channels; (N, 1, H, W) = L / 100 for
        a lightness-only model). Fills `activations` (name -> every layer's output, NCHW)
        and `preactivations` (name -> ReLU convs' output before the ReLU) when given."""
        outputs = {}
        for layer in self.layers:
            op, name = layer["op"], layer["name"]
            if op == "conv":
                x = getattr(self, name)(x)
                if layer.get("activation", "none") == "relu":
                    if preactivations is not None:
                        preactivations[name] = x
                    x = F.relu(x)
            elif op == "upsample":
                if layer.get("mode", "nearest") == "bilinear":
                    x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
                else:
                    x = F.interpolate(x, scale_factor=2, mode="nearest")
            elif op == "concat":
                x = torch.cat([x, outputs[layer["with"]]], dim=1)
            elif op == "add":
                x = x + outputs[layer["with"]]
            elif op == "dropout":
                rate = float(layer["rate"])
                if self.training and rate > 0.0:
                    x = F.dropout(x, p=rate, training=True)
            elif op == "tanh":
                x = torch.tanh(x)
            elif op == "softmax":
                x = F.softmax(x, dim=1)
            elif op == "annealed_mean":
                x = annealed_mean(x, layer.get("temperature", ANNEALED_MEAN_TEMPERATURE))
            outputs[name] = x
            if activations is not None:
                activations[name] = x
        return x


# --- ab bins, annealed mean, losses (src/core/ab_bins.cpp, kinds/annealed_mean.cpp, loss.cpp) -

_F32 = np.float32
_GRID, _CELLS, _OFFSET = 10.0, 25, 12  # bin centres 10 apart, a and b in [-120, 120], 0 at cell 12
# src/core/lab.cpp, all float32: XYZ -> linear sRGB, D65 white, CIE constants.
_TO_RGB = np.array([[3.2404542, -1.5371385, -0.4985314],
                    [-0.9692660, 1.8760108, 0.0415560],
                    [0.0556434, -0.2040259, 1.0572252]], dtype=_F32)
_WHITE = (_F32(0.950456), _F32(1.0), _F32(1.088754))
_EPSILON, _KAPPA_SLOPE, _LAB_OFFSET = _F32(0.008856), _F32(7.787), _F32(16.0) / _F32(116.0)


def _lab_f_inverse(f):
    cube = f * f * f
    return np.where(cube > _EPSILON, cube, (f - _LAB_OFFSET) / _KAPPA_SLOPE).astype(_F32)


def lab_to_linear(L, a, b):
    """tint's lab_to_linear in float32, elementwise over arrays: (r, g, b) linear sRGB."""
    L, a, b = (np.asarray(v, dtype=_F32) for v in (L, a, b))
    fy = (L + _F32(16)) / _F32(116)
    x = _WHITE[0] * _lab_f_inverse(fy + a / _F32(500))
    y = _WHITE[1] * _lab_f_inverse(fy)
    z = _WHITE[2] * _lab_f_inverse(fy - b / _F32(200))
    return tuple(_TO_RGB[r, 0] * x + _TO_RGB[r, 1] * y + _TO_RGB[r, 2] * z for r in range(3))


@functools.lru_cache(maxsize=None)
def _gamut():
    """(centres [Q, 2] float32 (a, b), cell grid [25, 25] -> bin or -1, smallest margin): a centre
    (10 (i - 12), 10 (j - 12)), in (i, j) row-major order, is a bin when some L in 0.5, 1.5, ...,
    99.5 puts lab_to_linear inside [0, 1]^3. The margin is how far the closest call of any centre
    is from flipping (rounding cannot change the set while it is well above float precision)."""
    lightness = np.arange(100, dtype=_F32) + _F32(0.5)
    centres, cells, margin = [], -np.ones((_CELLS, _CELLS), dtype=np.int64), np.inf
    for i in range(_CELLS):
        for j in range(_CELLS):
            a, b = _F32(_GRID * (i - _OFFSET)), _F32(_GRID * (j - _OFFSET))
            r, g, bl = lab_to_linear(lightness, np.full(100, a), np.full(100, b))
            # Per lightness, the smallest distance to the cube's faces (negative: outside).
            inside = np.minimum.reduce([r, g, bl, 1 - r, 1 - g, 1 - bl])
            margin = min(margin, abs(float(inside.max())))
            if (inside >= 0).any():
                cells[i, j] = len(centres)
                centres.append((a, b))
    return np.array(centres, dtype=_F32), cells, margin


def gamut_bins():
    """The gamut bin centres, [Q, 2] float32 (a, b) in ab units (AbBins::gamut())."""
    return _gamut()[0].copy()


def bin_count():
    return len(_gamut()[0])


def _lround(x):
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def nearest_bins(a, b, k):
    """AbBins::nearest: up to k bins nearest to (a, b) (ab units), nearest first, ties by index;
    the same ring search over the grid and float32 distances. Returns (bins, squared distances)."""
    centres, cells, _ = _gamut()
    a, b = _F32(a), _F32(b)
    ci = min(max(_lround(float(a / _F32(_GRID))) + _OFFSET, 0), _CELLS - 1)
    cj = min(max(_lround(float(b / _F32(_GRID))) + _OFFSET, 0), _CELLS - 1)
    found = []
    for radius in range(_CELLS):
        for i in range(ci - radius, ci + radius + 1):
            for j in range(cj - radius, cj + radius + 1):
                if max(abs(i - ci), abs(j - cj)) != radius or not (0 <= i < _CELLS and 0 <= j < _CELLS):
                    continue
                bin_ = int(cells[i, j])
                if bin_ < 0:
                    continue
                da, db = centres[bin_, 0] - a, centres[bin_, 1] - b
                found.append((float(da * da + db * db), bin_))
        reach = _F32(_GRID) * _F32(radius + 0.5)
        if len(found) >= k and sum(d <= reach * reach for d, _ in found) >= k:
            break
    found.sort()
    found = found[:k]
    return [bin_ for _, bin_ in found], [d for d, _ in found]


def soft_encode(a, b, sigma):
    """AbBins::soft_encode: the 5 nearest bins and Gaussian weights of their distance (sigma in ab
    units), normalised to 1, in float32. Returns (bins, weights, squared distances of the 6
    nearest: a caller can check no tie decides which bins are used)."""
    bins, distances = nearest_bins(a, b, 6)
    bins, sigma = bins[:5], _F32(sigma)
    weights = np.exp(-np.array(distances[:5], dtype=_F32) / (_F32(2) * sigma * sigma)).astype(_F32)
    total = _F32(0)
    for w in weights:
        total = _F32(total + w)
    weights = (weights / total).astype(_F32) if total > 0 else np.eye(1, len(bins), dtype=_F32)[0]
    return bins, weights, distances


def rebalancing_weights(prior, lam, sigma=5.0):
    """rebalancing_weights in ab_bins.cpp (in float64, as there): the prior smoothed by a
    normalised Gaussian (sigma in ab units) over the bins, w = 1 / ((1 - lam) smooth / sum(smooth)
    + lam / Q), divided by the prior's expectation of w. Returns float32 [Q]."""
    centres = gamut_bins().astype(np.float64)
    prior = np.asarray(prior, dtype=np.float64)
    q, lam, sigma = len(centres), float(_F32(lam)), float(_F32(sigma))
    difference = centres[:, None, :] - centres[None, :, :]
    kernel = np.exp(-(difference ** 2).sum(-1) / (2.0 * sigma * sigma))
    smooth = (kernel * prior[None, :]).sum(1) / kernel.sum(1)
    weights = 1.0 / ((1.0 - lam) * smooth / smooth.sum() + lam / q)
    return (weights / (prior * weights).sum()).astype(_F32)


def downsample_average(x, factor):
    """loss.cpp downsample_average on an NCHW array: each factor x factor block summed in float32
    row by row, then times 1 / factor^2."""
    x = np.asarray(x, dtype=_F32)
    if factor == 1:
        return x.copy()
    n, c, h, w = x.shape
    blocks = x.reshape(n, c, h // factor, factor, w // factor, factor)
    total = np.zeros((n, c, h // factor, w // factor), dtype=_F32)
    for dy in range(factor):
        for dx in range(factor):
            total = total + blocks[:, :, :, dy, :, dx]
    return (total * _F32(1.0 / (factor * factor))).astype(_F32)


def soft_targets(ab, sigma, class_weights=None):
    """The cross-entropy's targets for ab (NCHW, ab / 128): (dense soft encoding [N, Q, H, W],
    per-pixel weight [N, 1, H, W] = the class weight of the nearest bin (1 without weights), the
    smallest relative gap between consecutive squared distances among the 6 nearest bins: how far
    the pixel is from a tie that could change which bins are used)."""
    ab = np.asarray(ab, dtype=_F32)
    n, _, h, w = ab.shape
    targets = np.zeros((n, bin_count(), h, w), dtype=_F32)
    pixel_weights = np.ones((n, 1, h, w), dtype=_F32)
    gap = np.inf
    for i in range(n):
        for y in range(h):
            for x in range(w):
                a, b = _F32(128) * ab[i, 0, y, x], _F32(128) * ab[i, 1, y, x]
                bins, weights, distances = soft_encode(a, b, sigma)
                targets[i, bins, y, x] = weights
                if class_weights is not None:
                    pixel_weights[i, 0, y, x] = class_weights[bins[0]]
                # Only the order of the nearest and the 5th/6th boundary matter.
                for lo, hi in ((0, 1), (4, 5)):
                    gap = min(gap, (distances[hi] - distances[lo]) / max(distances[hi], 1e-12))
    return targets, pixel_weights, gap


def ab_cross_entropy(logits, targets, pixel_weights):
    """loss.cpp ab_cross_entropy from soft_targets' output: the mean over pixels of
    -w sum_k t_k log softmax(z)_k (softmax over the channels)."""
    targets = torch.as_tensor(targets, dtype=logits.dtype)
    pixel_weights = torch.as_tensor(pixel_weights, dtype=logits.dtype)
    per_pixel = -(targets * F.log_softmax(logits, dim=1)).sum(1, keepdim=True)
    return (pixel_weights * per_pixel).mean()


def annealed_mean(p, temperature):
    """The annealed_mean op: p (N, Q, H, W) probabilities -> (N, 2, H, W) ab / 128. 1 / T is
    taken in float32 as tint does (1.0f / T) whatever p's dtype."""
    inverse_t = float(_F32(1) / _F32(temperature))
    f = F.softmax(torch.log(torch.clamp(p, min=PROBABILITY_FLOOR)) * inverse_t, dim=1)
    centres = torch.as_tensor(gamut_bins(), dtype=p.dtype, device=p.device)
    return torch.einsum("nkhw,kc->nchw", f, centres) / 128.0


class Objective:
    """TrainingObjective (src/core/train.cpp): the architecture's losses, each on its layer
    against the ab target averaged down to the layer's resolution (factor 2^depth), weighted and
    summed; without "losses", MSE (Huber with huber_delta > 0) on the output. prior: each bin's
    frequency, needed for cross_entropy's class weights."""

    def __init__(self, architecture, prior=None, huber_delta=0.0):
        self.architecture, shapes = parse_architecture(architecture)
        layers = self.architecture["layers"]
        specs = [loss_spec(loss) for loss in self.architecture.get("losses", [])]
        if not specs:
            specs = [{**LOSS_DEFAULTS, "layer": layers[-1]["name"],
                      "type": "huber" if huber_delta > 0 else "mse", "delta": huber_delta}]
        depth = {layer["name"]: shape[2] for layer, shape in zip(layers, shapes)}
        self.terms = []
        for spec in specs:
            weights = None
            if spec["type"] == "cross_entropy":
                if prior is None or len(prior) != bin_count():
                    raise ValueError("cross_entropy needs the training set's ab prior")
                weights = rebalancing_weights(prior, spec["rebalance"])
            self.terms.append({**spec, "factor": 1 << depth[spec["layer"]],
                               "class_weights": weights})

    def targets(self, ab):
        """Per term, the constant targets for ab (NCHW numpy, ab / 128), computed in float32 as
        tint does: the averaged ab, and for cross_entropy its soft encoding, pixel weights and
        tie gap (soft_targets)."""
        result = []
        for term in self.terms:
            truth = downsample_average(ab, term["factor"])
            if term["type"] == "cross_entropy":
                result.append(soft_targets(truth, term["sigma"], term["class_weights"]))
            else:
                result.append((truth,))
        return result

    def __call__(self, activations, targets):
        """(total, per-term losses) for activations (name -> NCHW) and self.targets(ab)."""
        total, losses = 0, []
        for term, target in zip(self.terms, targets):
            output = activations[term["layer"]]
            if term["type"] == "cross_entropy":
                loss = ab_cross_entropy(output, target[0], target[1])
            else:
                truth = torch.as_tensor(target[0], dtype=output.dtype)
                if term["type"] == "huber":
                    loss = F.huber_loss(output, truth, delta=term["delta"])
                else:
                    loss = F.mse_loss(output, truth)
            losses.append(loss)
            total = total + term["weight"] * loss
        return total, losses


# --- weights files --------------------------------------------------------------------------

def load_model(path):
    """Reads a tint weights file; returns (model in eval mode, architecture dict, metadata)."""
    tensors, metadata = read_safetensors(path)
    if metadata.get("format") != WEIGHTS_FORMAT:
        raise ValueError(f"{path}: metadata format is {metadata.get('format')!r}, expected 'tint'")
    if metadata.get("format_version") != WEIGHTS_FORMAT_VERSION:
        raise ValueError(f"{path}: unsupported format_version {metadata.get('format_version')!r}")
    if "architecture" not in metadata:
        raise ValueError(f"{path}: metadata has no architecture")
    model = TintNet(metadata["architecture"])
    expected = model.state_dict()
    for name, value in tensors.items():
        if name not in expected:
            raise ValueError(f"{path}: unexpected tensor {name}")
        if tuple(value.shape) != tuple(expected[name].shape):
            raise ValueError(f"{path}: tensor {name} has shape {list(value.shape)}, "
                             f"expected {list(expected[name].shape)}")
    missing = set(expected) - set(tensors)
    if missing:
        raise ValueError(f"{path}: missing tensors {sorted(missing)}")
    model.load_state_dict({name: torch.from_numpy(value.copy()) for name, value in tensors.items()})
    model.eval()
    return model, model.architecture, metadata


def architecture_json(architecture):
    """Compact JSON, the way tint writes its "architecture" metadata."""
    return json.dumps(architecture, separators=(",", ":"), ensure_ascii=False)


def save_model(path, model, extra_metadata=None):
    """Writes `model` as a tint weights file (F32), tensors in layer order."""
    metadata = {"format": WEIGHTS_FORMAT, "format_version": WEIGHTS_FORMAT_VERSION,
                "architecture": architecture_json(model.architecture)}
    metadata.update(extra_metadata or {})
    write_safetensors(path, model.state_dict(), metadata)
