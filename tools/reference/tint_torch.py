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
- the input is L / 100 with shape (N, 1, H, W); every layer reads the previous layer's output,
  concat/add also read the earlier layer named in "with";
- conv = 3x3, padding 1, stride 1 or 2, bias, optional ReLU; weights [out, in, 3, 3];
- upsample = x2, nearest or bilinear with half-pixel centres (align_corners=False);
- concat = channels of the previous output, then those of "with";
- dropout = inverted dropout while training (PyTorch's own RNG, so its masks never match tint's),
  identity in eval mode and at rate 0.
"""

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
}


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
    unknown = set(architecture) - {"name", "inputs", "input_channels", "working_size", "layers"}
    if unknown:
        raise ValueError(f"architecture has unknown keys {sorted(unknown)}")
    # The network's declared inputs (src/core/model.cpp, network_inputs()): today "lightness"
    # only, L / 100 in one channel.
    if architecture.get("inputs", ["lightness"]) != ["lightness"]:
        raise ValueError(f"inputs {architecture['inputs']} are not supported (expected [\"lightness\"])")
    if architecture.get("input_channels", 1) != 1:
        raise ValueError("input_channels must be 1 (the network sees L only)")
    layers = architecture.get("layers")
    if not layers:
        raise ValueError("architecture has no layers")

    shapes, seen = [], {}
    channels, depth = 1, 0
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
        shapes.append((channels, out, depth))
        seen[name] = index
        channels = out
    if channels != 2 or depth != 0:
        raise ValueError("the output must have 2 channels at the input resolution")
    return architecture, shapes


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
        """x: (N, 1, H, W) = L / 100. Fills `activations` (name -> every layer's output, NCHW)
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
            outputs[name] = x
            if activations is not None:
                activations[name] = x
        return x


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
