// The network as data: an architecture (a list of named layers, read from the weights file's
// metadata so one runtime runs any model) and its parameters by name.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "layer_kind.h"
#include "status.h"

namespace tint {

// One layer: a name, an op (a kind of layer_kind.h's table) and the attributes that kind
// declares, all present after parsing (defaults filled in). Each layer reads the previous
// layer's output (the first reads the network input), then the output of each earlier layer
// named by an attribute of type `layer` (concat's and add's "with").
struct Attribute {
  double number = 0.0;  // integer and number attributes
  std::string text;     // text and layer attributes
  bool operator==(const Attribute&) const = default;
};

struct Layer {
  std::string name;
  std::string op;
  std::map<std::string, Attribute> attributes;

  int integer(const std::string& key) const;
  float number(const std::string& key) const;
  const std::string& text(const std::string& key) const;
  bool operator==(const Layer&) const = default;
};

// What the network reads, channel by channel, in the order the architecture lists them.
struct InputSpec {
  std::string name;         // "lightness"
  int channels;
  std::string description;  // "L / 100, in [0, 1]"
};
// Every input a network may declare; a colouriser fills each from the photo (colorize.cpp).
const std::vector<InputSpec>& network_inputs();

// A training loss on one layer's output (docs/design.md, "Training"): "mse", "huber" (with
// delta) or "cross_entropy" (a classification head's logits over the ab bins, ab_bins.h:
// targets soft-encoded with sigma, pixels weighted by class rebalancing with lambda =
// `rebalance`; 1 = no rebalancing), scaled by weight. Each loss's target is the ab map averaged
// down to its layer's resolution. An architecture without losses trains MSE on its output.
struct LossSpec {
  std::string layer;
  std::string type;
  double weight = 1.0;
  double delta = 0.1;
  double rebalance = 0.5;
  double sigma = 5.0;
  bool operator==(const LossSpec&) const = default;
};

struct Architecture {
  std::string name;
  std::vector<std::string> inputs = {"lightness"};  // names from network_inputs()
  int input_channels = 1;   // their channels together
  int working_size = 256;   // long side of the image the network sees
  std::vector<Layer> layers;
  std::vector<LossSpec> losses;  // training only; empty: MSE (or --huber) on the output

  bool operator==(const Architecture&) const = default;
};

// Parses the architecture JSON of the weights metadata / `tint train --arch FILE.json`:
//   {"name": "baseline", "inputs": ["lightness"], "input_channels": 1, "working_size": 256,
//    "layers": [
//     {"name": "enc1", "op": "conv", "out": 64, "stride": 1, "activation": "relu"},
//     {"name": "drop", "op": "dropout", "rate": 0.2},
//     {"name": "up1", "op": "upsample", "mode": "nearest"},   // or "bilinear"; always x2
//     {"name": "cat1", "op": "concat", "with": "enc2"},       // channels: previous, then `with`
//     {"name": "add1", "op": "add", "with": "enc2"},
//     {"name": "out", "op": "tanh"}]}
// Optional "losses": [{"layer": "logits", "type": "cross_entropy", "weight": 1, "rebalance": 0.5,
// "sigma": 5}, {"layer": "ab", "type": "mse", "weight": 1}] (LossSpec).
// Each op's keys and defaults are its kind's attributes (layer_kind.h). Defaults: inputs
// ["lightness"], input_channels = their channels, working_size 256. Unknown or duplicate keys,
// wrong types and missing fields are errors naming the layer. `source` names the file in error
// messages. Validates it (see validate_architecture).
Result<Architecture> parse_architecture(const std::string& json, const std::string& source);
std::string architecture_to_json(const Architecture& architecture);
// Checks the inputs are known and input_channels matches them, working_size is in [16, 4096],
// names are unique and non-empty, every op is a known kind with its attributes present, each
// kind's shape rule accepts its inputs (a `layer` attribute must name an earlier layer), the
// depth stays within [0, 16], and the output has 2 channels (ab) at the input resolution.
// Fills one LayerShape per layer.
Status validate_architecture(const Architecture& architecture, const std::string& source,
                             std::vector<LayerShape>* shapes = nullptr);
// The original design (docs/design.md; about 3.9M parameters, 15 GFLOP at 256x256).
Architecture baseline_architecture();
// Input sides must be a multiple of this: 2^(deepest depth any layer reaches); 1 for an
// architecture that does not validate.
int stride_multiple(const Architecture& architecture);
// Indices of the layers each layer reads (-1 = the network input): the previous layer, then each
// `layer` attribute's, in the kind's order. Names that match no earlier layer are left out.
std::vector<std::vector<int>> layer_inputs(const Architecture& architecture);

struct Parameter {
  std::string name;          // "<layer>.<suffix>", e.g. conv's "enc1.weight" [out, in, 3, 3]
  std::vector<int> shape;    // (PyTorch's layout) and "enc1.bias" [out]
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
  // Multiply-adds x 2 in one forward pass at the given input size (the convention of published
  // GFLOP figures; each kind counts its own, elementwise kinds count 0).
  double flops(int height, int width) const;
  // The same, one entry per layer.
  std::vector<double> layer_flops(int height, int width) const;
};

// The parameter names and shapes an architecture needs, in layer order, each layer's in its
// kind's order (values left empty).
std::vector<Parameter> parameter_layout(const Architecture& architecture,
                                        const std::vector<LayerShape>& shapes);
// A fresh model with each kind's PyTorch default initialisation (conv: Kaiming-uniform,
// a = sqrt(5)), deterministic for a seed.
Result<Model> create_model(const Architecture& architecture, uint64_t seed);

}  // namespace tint
