#!/usr/bin/python3
"""Usage: tools/train/set_temperature.py IN.safetensors OUT.safetensors T

Copies a weights file with its annealed_mean layers' temperature set to T (0 < T <= 1). The
decode temperature is a free choice after training (Zhang et al. 2016: lower T, more vivid and
less averaged colours); pick it on the validation photos (`validation.txt` of the run, `tint eval
--data`), never on data/eval. OUT is F32; `tint convert OUT FINAL --dtype f16` to ship it.
"""
import json
import sys

from weights_file import read, write


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__.strip().splitlines()[0])
    temperature = float(argv[3])
    if not 0 < temperature <= 1:
        sys.exit("T must be in (0, 1]")
    metadata, tensors = read(argv[1])
    architecture = json.loads(metadata["architecture"])
    layers = [layer for layer in architecture["layers"] if layer["op"] == "annealed_mean"]
    if not layers:
        sys.exit(f"{argv[1]} has no annealed_mean layer")
    for layer in layers:
        layer["temperature"] = temperature
    write(argv[2], metadata, architecture, tensors)


if __name__ == "__main__":
    main(sys.argv)
