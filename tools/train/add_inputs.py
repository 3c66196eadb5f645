#!/usr/bin/python3
"""Usage: tools/train/add_inputs.py IN.safetensors OUT.safetensors INPUT [INPUT ...] [--name NAME]

Warm start for a network with more input channels: copies a tint weights file (F32) and appends
the named inputs (e.g. hint_fill) to its architecture's "inputs"; the first layer's weight gets
zero weights for the new channels, so the new network computes exactly what the old one did
until training teaches it to use them. Train from OUT with `tint train --init OUT`.
"""
import json
import struct
import sys

CHANNELS = {"lightness": 1, "hint_ab": 2, "hint_mask": 1, "hint_fill": 2}  # src/core/model.cpp


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--name")]
    name = next((a.split("=", 1)[1] for a in argv[1:] if a.startswith("--name=")), None)
    if len(args) < 3:
        sys.exit(__doc__.strip().splitlines()[0])
    source, target, added = args[0], args[1], args[2:]
    data = open(source, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    metadata = header.pop("__metadata__")
    architecture = json.loads(metadata["architecture"])
    for new in added:
        if new not in CHANNELS or new in architecture["inputs"]:
            sys.exit(f"cannot add input {new!r}")
    architecture["inputs"] = architecture["inputs"] + added
    old_channels = architecture["input_channels"]
    architecture["input_channels"] = sum(CHANNELS[i] for i in architecture["inputs"])
    if name:
        architecture["name"] = name
    first = architecture["layers"][0]["name"] + ".weight"
    tensors = {}
    for tensor_name, info in header.items():
        if info["dtype"] != "F32":
            sys.exit(f"{tensor_name} is {info['dtype']}; convert to f32 first (tint convert --dtype f32)")
        begin, end = info["data_offsets"]
        raw, shape = body[begin:end], info["shape"]
        if tensor_name == first:
            out_channels, in_channels = shape[0], shape[1]
            if in_channels != old_channels:
                sys.exit(f"{first} reads {in_channels} channels, not the input's {old_channels}")
            new_in = architecture["input_channels"]
            grown = bytearray()
            for o in range(out_channels):
                grown += raw[o * in_channels * 36:(o + 1) * in_channels * 36] + bytes(36 * (new_in - in_channels))
            raw, shape = bytes(grown), [out_channels, new_in, 3, 3]
        tensors[tensor_name] = (shape, raw)
    metadata = {k: v for k, v in metadata.items() if k in ("format", "format_version")}
    metadata["architecture"] = json.dumps(architecture, separators=(",", ":"))
    out_header, offset, chunks = {"__metadata__": metadata}, 0, []
    for tensor_name, (shape, raw) in tensors.items():
        out_header[tensor_name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(out_header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(target, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


if __name__ == "__main__":
    main(sys.argv)
