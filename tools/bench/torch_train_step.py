#!/usr/bin/python3
"""PyTorch's training steps per second on a tint architecture: the peer for
tools/bench/train_vs_torch.sh. Same model (built from the architecture JSON by
tools/reference/tint_torch.py), same batch and crop, Adam, MSE, channels_last.

usage: /usr/bin/python3 tools/bench/torch_train_step.py ARCH.json BATCH CROP THREADS RUNS
Prints one line: "torch <ms>/step".
"""
import json
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import tint_torch  # noqa: E402


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    arch_path, batch, crop, threads, runs = sys.argv[1], *map(int, sys.argv[2:])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    with open(arch_path) as f:
        model = tint_torch.TintNet(json.load(f)).to(memory_format=torch.channels_last)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)
    lightness = torch.rand(batch, 1, crop, crop).to(memory_format=torch.channels_last)
    ab = (torch.rand(batch, 2, crop, crop) * 0.8 - 0.4).to(memory_format=torch.channels_last)
    best = float("inf")
    for round_index in range(-1, runs):  # round -1 warms up
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(lightness), ab)
        loss.backward()
        optimizer.step()
        if round_index >= 0:
            best = min(best, time.perf_counter() - start)
    print(f"torch {best * 1000:.1f} ms/step")


if __name__ == "__main__":
    main()
