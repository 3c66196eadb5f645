#!/usr/bin/python3
"""Usage: /usr/bin/python3 tools/reference/check_weights.py FILE.safetensors [SIZE]

Loads a tint weights file into PyTorch (tint_torch.TintNet, whose state_dict keys are the file's
tensor names) and runs one forward pass on a random L/100 input of SIZE x SIZE (default 64,
rounded up to the network's stride multiple). Prints the architecture, parameter count and the
output's shape and range: a quick proof that a PyTorch user can load tint's files directly.
"""

import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ next to the sources
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tint_torch  # noqa: E402


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[0])
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    model, architecture, metadata = tint_torch.load_model(argv[1])
    multiple = tint_torch.stride_multiple(architecture)
    size = int(argv[2]) if len(argv) == 3 else 64
    size = -(-max(size, 1) // multiple) * multiple
    channels = architecture.get("input_channels", 1)  # L, and for hint models the (empty) hint channels
    x = torch.zeros((1, channels, size, size))
    x[:, :1] = torch.rand((1, 1, size, size), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        y = model(x)
    parameters = sum(p.numel() for p in model.parameters())
    print(f"{argv[1]}: architecture {architecture.get('name', '?')}, "
          f"{len(architecture['layers'])} layers, {parameters} parameters, "
          f"format_version {metadata['format_version']}")
    print(f"input {tuple(x.shape)} -> output {tuple(y.shape)}, "
          f"range [{y.min().item():.6g}, {y.max().item():.6g}]")
    if y.shape != (1, 2, size, size) or not torch.isfinite(y).all():
        sys.exit("unexpected output")


if __name__ == "__main__":
    main(sys.argv)
