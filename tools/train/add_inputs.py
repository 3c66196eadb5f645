#!/usr/bin/python3
"""Usage: tools/train/add_inputs.py IN.safetensors OUT.safetensors INPUT [INPUT ...] [--name=NAME]

Warm start for a network with more input channels: copies a tint weights file (F32) and appends
the named inputs (e.g. hint_fill) to its architecture's "inputs"; the first layer's weight gets
zero weights for the new channels, so the new network computes exactly what the old one did
until training teaches it to use them. Train from OUT with `tint train --init OUT`.
"""
import json
import sys

import numpy as np

from weights_file import CHANNELS, read, write


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--name")]
    name = next((a.split("=", 1)[1] for a in argv[1:] if a.startswith("--name=")), None)
    if len(args) < 3:
        sys.exit(__doc__.strip().splitlines()[0])
    source, target, added = args[0], args[1], args[2:]
    metadata, tensors = read(source)
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
    weight = tensors[first]
    if weight.shape[1] != old_channels:
        sys.exit(f"{first} reads {weight.shape[1]} channels, not the input's {old_channels}")
    grown = np.zeros((weight.shape[0], architecture["input_channels"], 3, 3), dtype=np.float32)
    grown[:, :old_channels] = weight
    tensors[first] = grown
    write(target, metadata, architecture, tensors)


if __name__ == "__main__":
    main(sys.argv)
