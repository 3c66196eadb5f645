// The network as data: an architecture (a list of named layers, read from the weights file's
// metadata so one runtime runs any model) and its parameters by name.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "status.h"

namespace tint {

enum class LayerOp { conv, upsample, concat, add, dropout, tanh };

// One layer. Each layer reads the previous layer's output (the first reads the input L);
// concat and add also read the output of the earlier layer named in `with`.
struct Layer {
  std::string name;
  LayerOp op = LayerOp::conv;
  int out_channels = 0;   // conv: output channels (3x3 kernel, padding 1)
  int stride = 1;         // conv: 1 or 2
  bool relu = false;      // conv: fused ReLU
  bool bilinear = false;  // upsample x2: bilinear (half-pixel centres) or nearest
  std::string with;       // concat/add: the earlier layer joined with the previous output
  float rate = 0.0f;      // dropout: probability of zeroing (training only)
};

// What shape inference derives for each layer.
struct LayerShape {
  int in_channels = 0;
  int out_channels = 0;
  int depth = 0;  // output resolution is the input's / 2^depth (stride-2 convs +1, upsamples -1)
};

struct Architecture {
  std::string name;
  int input_channels = 1;   // L / 100
  int working_size = 256;   // long side of the image the network sees
  std::vector<Layer> layers;
};

// Parses the architecture JSON of the weights metadata / `tint train --arch FILE.json`.
// `source` names the file in error messages. Validates it (see validate_architecture).
Result<Architecture> parse_architecture(const std::string& json, const std::string& source);
std::string architecture_to_json(const Architecture& architecture);
// Checks names are unique and non-empty, `with` names an earlier layer of equal resolution
// (and, for add, equal channels), strides are 1 or 2, the output has 2 channels, and the
// network returns to input resolution. Fills one LayerShape per layer.
Status validate_architecture(const Architecture& architecture, const std::string& source,
                             std::vector<LayerShape>* shapes = nullptr);
// The original design, as tabled in DESIGN.md (about 3.9M parameters, 15 GFLOP at 256x256).
Architecture baseline_architecture();
// Input sides must be a multiple of this (2 to the number of stride-2 convs before the deepest point).
int stride_multiple(const Architecture& architecture);

struct Parameter {
  std::string name;          // "<layer>.weight" or "<layer>.bias"
  std::vector<int> shape;    // weight [out, in, 3, 3] (PyTorch layout), bias [out]
  std::vector<float> values;
};

struct Model {
  Architecture architecture;
  std::vector<LayerShape> shapes;             // one per layer, from validate_architecture
  std::vector<Parameter> parameters;          // in layer order, weight then bias
  std::map<std::string, std::string> metadata;  // free-form (e.g. "training")

  Parameter* find(const std::string& name);
  const Parameter* find(const std::string& name) const;
  int64_t parameter_count() const;
  // Multiply-adds x 2 of one forward pass at the given input size.
  double flops(int height, int width) const;
};

// The parameter names and shapes an architecture needs, in order (values left empty).
std::vector<Parameter> parameter_layout(const Architecture& architecture,
                                        const std::vector<LayerShape>& shapes);
// A fresh model with PyTorch's default conv initialisation (Kaiming-uniform, a = sqrt(5)),
// deterministic for a seed.
Result<Model> create_model(const Architecture& architecture, uint64_t seed);

}  // namespace tint
