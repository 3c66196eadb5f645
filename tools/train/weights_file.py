"""Reading tint's safetensors files (F32 or F16, as float32 numpy arrays) and writing them as F32,
for the tools in tools/train. Only the architecture survives in the written metadata; run
`tint convert` for f16 and training metadata."""
import json
import struct
import sys

import numpy as np

CHANNELS = {"lightness": 1, "hint_ab": 2, "hint_mask": 1, "hint_fill": 2, "hint_distance": 1}  # src/core/model.cpp


def read(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__")
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in ("F32", "F16", "I8"):
            sys.exit(f"{name} is {info['dtype']}: only F32, F16 and I8 files are read")
        begin, end = info["data_offsets"]
        dtype = {"F32": "<f4", "F16": "<f2", "I8": "i1"}[info["dtype"]]
        tensors[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=dtype).astype(np.float32).reshape(info["shape"])
    # 8-bit files (src/core/weights.h): NAME (I8) x NAME.scale, one scale per output channel.
    for name in [k for k in tensors if k + ".scale" in tensors]:
        scale = tensors.pop(name + ".scale")
        tensors[name] = tensors[name] * scale.reshape((-1,) + (1,) * (tensors[name].ndim - 1))
    metadata.pop("quantization", None)
    return metadata, tensors


def write(path, metadata, architecture, tensors):
    """Writes tensors as F32 with metadata's format fields and `architecture` (a dict); the rest of
    the metadata (training records) is dropped: it describes the weights before the edit."""
    kept = {k: v for k, v in metadata.items() if k in ("format", "format_version")}
    kept["architecture"] = json.dumps(architecture, separators=(",", ":"))
    header, offset, chunks = {"__metadata__": kept}, 0, []
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))
