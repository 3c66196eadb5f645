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

  // Fields an op does not use stay at their defaults (parse_architecture leaves them so), which
  // makes parse_architecture(architecture_to_json(a)) == a hold.
  bool operator==(const Layer&) const = default;
};

// "conv", "upsample", "concat", "add", "dropout", "tanh": the schema's spelling.
const char* layer_op_name(LayerOp op);

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

  bool operator==(const Architecture&) const = default;
};

// Parses the architecture JSON of the weights metadata / `tint train --arch FILE.json`:
//   {"name": "baseline", "input_channels": 1, "working_size": 256, "layers": [
//     {"name": "enc1", "op": "conv", "out": 64, "stride": 1, "activation": "relu"},
//     {"name": "drop", "op": "dropout", "rate": 0.2},
//     {"name": "up1", "op": "upsample", "mode": "nearest"},   // or "bilinear"; always x2
//     {"name": "cat1", "op": "concat", "with": "enc2"},       // channels: previous, then `with`
//     {"name": "add1", "op": "add", "with": "enc2"},
//     {"name": "out", "op": "tanh"}]}
// Defaults: input_channels 1, working_size 256, stride 1, activation "none", mode "nearest".
// Unknown or duplicate keys, wrong types and missing fields are errors naming the layer.
// `source` names the file in error messages. Validates it (see validate_architecture).
Result<Architecture> parse_architecture(const std::string& json, const std::string& source);
std::string architecture_to_json(const Architecture& architecture);
// Checks names are unique and non-empty, `with` names an earlier layer of equal resolution
// (and, for add, equal channels), strides are 1 or 2, conv out >= 1, dropout rate in [0, 1),
// the depth never goes above the input resolution, the output has 2 channels at input
// resolution, input_channels is 1 and working_size is in [16, 4096]. Fills one LayerShape per
// layer (the first layer reads `input_channels` channels).
Status validate_architecture(const Architecture& architecture, const std::string& source,
                             std::vector<LayerShape>* shapes = nullptr);
// The original design, as tabled in DESIGN.md (about 3.9M parameters, 15 GFLOP at 256x256).
Architecture baseline_architecture();
// Input sides must be a multiple of this: 2^(deepest depth any layer reaches).
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
  // Multiply-adds x 2 of the convolutions in one forward pass at the given input size (the
  // convention of published GFLOP figures; elementwise layers are negligible and not counted).
  double flops(int height, int width) const;
  // The same, one entry per layer (0 for the layers that are not convolutions).
  std::vector<double> layer_flops(int height, int width) const;
};

// The parameter names and shapes an architecture needs, in order (values left empty).
std::vector<Parameter> parameter_layout(const Architecture& architecture,
                                        const std::vector<LayerShape>& shapes);
// A fresh model with PyTorch's default conv initialisation (Kaiming-uniform, a = sqrt(5)),
// deterministic for a seed.
Result<Model> create_model(const Architecture& architecture, uint64_t seed);

}  // namespace tint
