"""Exports tint models to ONNX for the onnxruntime-web side of the bench.

    /usr/bin/python3 export_onnx.py OUT_DIR MODEL.safetensors...

For each MODEL writes OUT_DIR/<name>.onnx (input "L": (1, 1, H, W) = L / 100, output "ab":
(1, 2, H, W) = ab / 128; H and W are dynamic and must be multiples of the model's stride
multiple) and OUT_DIR/<name>.check.bin: a 256x256 test input and PyTorch's output for it
(float32 little-endian: 256*256 input values, then 2*256*256 output values, NCHW), so that the
JS side can check onnxruntime-web and tfjs against PyTorch. Also writes OUT_DIR/conv64.onnx, one
3x3 Conv 64->64 (padding 1, bias, no activation) on a fixed (1, 64, 128, 128) input, for the
single-kernel figure. Uses tools/reference/tint_torch.py (python3-torch, /usr/bin/python3).
"""

import os
import sys
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "reference"))
import tint_torch  # noqa: E402

OPSET = 13  # Resize with half-pixel centres (pytorch_half_pixel) and nearest/floor


def test_input(size=256):
    """A smooth-plus-texture L/100 plane in [0, 1], (bench.mjs only reads it back)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    plane = 0.5 + 0.3 * np.sin(0.05 * x + 0.3) * np.cos(0.07 * y) + 0.15 * np.sin(0.9 * x + 1.3 * y)
    return np.clip(plane, 0.0, 1.0).astype(np.float32)


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=UserWarning)  # torch.onnx shape-inference chatter
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for path in sys.argv[2:]:
        name = os.path.basename(path)
        name = name[: -len(".safetensors")] if name.endswith(".safetensors") else name
        model, architecture, _ = tint_torch.load_model(path)
        multiple = tint_torch.stride_multiple(architecture)
        size = architecture.get("working_size", 256)
        example = torch.from_numpy(test_input(size))[None, None]
        onnx_path = os.path.join(out_dir, name + ".onnx")
        with torch.no_grad():
            torch.onnx.export(model, (example,), onnx_path, input_names=["L"], output_names=["ab"],
                              dynamic_axes={"L": {2: "height", 3: "width"}, "ab": {2: "height", 3: "width"}},
                              opset_version=OPSET, do_constant_folding=True)
            reference = model(example)
        with open(os.path.join(out_dir, name + ".check.bin"), "wb") as f:
            f.write(example.numpy().astype("<f4").tobytes())
            f.write(reference.numpy().astype("<f4").tobytes())
        print(f"export_onnx: {path} -> {onnx_path} ({os.path.getsize(onnx_path)} bytes, "
              f"input sides multiple of {multiple})")

    torch.manual_seed(1)
    conv = torch.nn.Conv2d(64, 64, 3, stride=1, padding=1, bias=True).eval()
    conv_path = os.path.join(out_dir, "conv64.onnx")
    with torch.no_grad():
        torch.onnx.export(conv, (torch.rand(1, 64, 128, 128),), conv_path, input_names=["x"],
                          output_names=["y"], opset_version=OPSET)
    print(f"export_onnx: one Conv 64->64 3x3 at 128x128 -> {conv_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
