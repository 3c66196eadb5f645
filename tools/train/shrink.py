#!/usr/bin/python3
"""Usage: tools/train/shrink.py IN.safetensors ARCH.json OUT.safetensors

Warm start for a narrower network: ARCH.json has the same layers as IN's architecture, with some
convolutions' "out" made smaller. Each such convolution keeps the output channels whose filters
have the largest L1 norm, and every later convolution that reads them (through upsample,
dropout, concat) keeps the matching input channels. The result is a starting point to fine-tune
(`tint train --init OUT`), not a finished model: dropping channels changes what it computes.
IN must be F32 (`tint convert --dtype f32`).
"""
import json
import sys

import numpy as np

from weights_file import CHANNELS, read, write
PASS_THROUGH = {"upsample", "dropout", "tanh", "softmax"}


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__.strip().splitlines()[0])
    metadata, tensors = read(argv[1])
    old = json.loads(metadata["architecture"])
    new = json.load(open(argv[2]))
    old_layers, new_layers = old["layers"], new["layers"]
    if [(l["name"], l["op"]) for l in old_layers] != [(l["name"], l["op"]) for l in new_layers]:
        sys.exit("the two architectures must have the same layers in the same order")
    if old.get("inputs") != new.get("inputs"):
        sys.exit("the two architectures must have the same inputs")
    # kept[name]: which of the old layer's output channels the new one keeps, in order.
    input_channels = sum(CHANNELS[i] for i in old["inputs"])
    kept, width_of, previous = {}, {}, list(range(input_channels))
    old_width, out = input_channels, {}
    for old_layer, new_layer in zip(old_layers, new_layers):
        name, op = old_layer["name"], old_layer["op"]
        if op == "conv":
            weight, bias = tensors[name + ".weight"], tensors[name + ".bias"]
            weight = weight[:, previous]
            width = new_layer["out"]
            if width > weight.shape[0]:
                sys.exit(f"{name}: cannot grow from {weight.shape[0]} to {width} channels")
            norms = np.abs(weight).sum(axis=(1, 2, 3))
            keep = sorted(np.argsort(-norms, kind="stable")[:width].tolist())
            out[name + ".weight"], out[name + ".bias"] = weight[keep], bias[keep]
            previous, old_width = keep, old_layer["out"]
        elif op == "concat":
            other = old_layer["with"]
            previous = previous + [old_width + c for c in kept[other]]
            old_width += width_of[other]
        elif op == "annealed_mean":
            previous, old_width = [0, 1], 2
        elif op not in PASS_THROUGH:
            sys.exit(f"{name}: shrink.py does not know the layer kind {op!r}")
        kept[name], width_of[name] = previous, old_width
    new["input_channels"] = input_channels
    write(argv[3], metadata, new, out)
    print(f"{sum(a.size for a in out.values()):,} parameters (from {sum(a.size for a in tensors.values()):,})")


if __name__ == "__main__":
    main(sys.argv)
