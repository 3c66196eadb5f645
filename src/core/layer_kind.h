// The table of layer kinds: everything the core knows about one kind of layer lives in one
// LayerKind (src/core/kinds/<op>.cpp): its JSON attributes, its shape rule, its parameters, its
// forward and its backward. The architecture parser, shape inference, parameter layout, FLOP
// count, `tint info` and the one graph interpreter (graph.h) all ask this table, so adding a
// kind is one new entry (plus backend kernels if it needs new arithmetic, plus its mirror in
// tools/reference/tint_torch.py). See docs/design.md, "Layer kinds".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ops.h"
#include "random.h"
#include "status.h"
#include "tensor.h"

namespace tint {

struct Layer;

// The most channels a layer may have: keeps every parameter shape inside int and a hostile
// architecture from asking for absurd allocations. Far above any colouriser.
constexpr int kMaxLayerChannels = 65536;

// What shape inference derives for each layer.
struct LayerShape {
  int in_channels = 0;   // channels of the first input (the previous layer's output)
  int out_channels = 0;
  int depth = 0;         // output resolution is the network input's / 2^depth
};

// One key a kind accepts in the architecture JSON (besides "name" and "op").
enum class AttributeType {
  integer,  // a JSON integer that fits int
  number,   // any JSON number
  text,     // a string, one of `choices` when given
  layer,    // the name of an earlier layer whose output this layer also reads
};
struct AttributeSpec {
  std::string key;
  AttributeType type = AttributeType::integer;
  std::string fallback;              // the default as text ("1", "none"); "" = required
  std::vector<std::string> choices;  // text: the allowed values
};

// A trainable tensor of a layer: named "<layer>.<suffix>", initialised U(-bound, bound) (PyTorch's
// defaults) in the order the kind lists them.
struct ParameterSpec {
  std::string suffix;
  std::vector<int> shape;
  float init_bound = 0.0f;
};

// Whatever a kind keeps between calls for one layer of one graph (packed weights, dropout masks).
class LayerState {
 public:
  virtual ~LayerState() = default;
};

struct ForwardCall {
  const Layer& layer;
  const LayerShape& shape;
  Backend& backend;
  std::vector<const Tensor*> inputs;     // the previous output (the network input for layer 0),
                                         // then each `layer` attribute's output, in spec order
  std::vector<const float*> parameters;  // values, in the order of LayerKind::parameters
  bool parameters_fixed;                 // inference: they never change (pack them once)
  Random* rng;                           // training with dropout active; null otherwise
  std::unique_ptr<LayerState>& state;    // this layer's, kept across calls (null at first)
  Tensor& output;                        // resized by the kind
  // Training on a share of a larger batch (Graph::forward): rows of the whole batch before and
  // after `inputs`. A kind that draws from rng per element skips the others' draws.
  int rows_before = 0, rows_after = 0;
};

struct BackwardCall {
  const Layer& layer;
  const LayerShape& shape;
  Backend& backend;
  std::vector<const Tensor*> inputs;     // as in the forward
  const Tensor& output;                  // the forward's output
  Tensor& grad_output;                   // d loss / d output; the kind may overwrite it
  std::vector<Tensor*> grad_inputs;      // one per input, shaped like it; null where not needed
  std::vector<const float*> parameters;
  std::vector<float*> grad_parameters;   // one per parameter, overwritten (not accumulated)
  LayerState* state;                     // what the forward left
};

class LayerKind {
 public:
  virtual ~LayerKind() = default;
  virtual std::string op() const = 0;  // the JSON spelling
  virtual std::vector<AttributeSpec> attributes() const { return {}; }
  // The output's channels and depth from the inputs' shapes (previous output first). Errors say
  // what is wrong with the values; the caller prefixes the file and layer.
  virtual Result<LayerShape> infer(const Layer& layer, const std::vector<LayerShape>& inputs) const = 0;
  virtual std::vector<ParameterSpec> parameters(const Layer& layer, const LayerShape& shape) const { return {}; }
  // Multiply-adds x 2 of one forward for an output of `output` (0 for cheap elementwise kinds).
  virtual double flops(const Layer& layer, const LayerShape& shape, const Shape& output) const { return 0.0; }
  // A few words on the layer for `tint info`, e.g. "64->128 s2 relu".
  virtual std::string describe(const Layer& layer, const LayerShape& shape) const { return ""; }
  virtual Status forward(ForwardCall& call) const = 0;
  virtual Status backward(BackwardCall& call) const = 0;
};

// For kinds that join the previous output with another layer's (concat, add): both must be at
// the same resolution. `other_name` is that layer's name, for the message.
Status check_same_depth(const std::string& other_name, const LayerShape& previous, const LayerShape& other);

// The kind of an op name, or null.
const LayerKind* find_layer_kind(const std::string& op);
// Every op name, in registration order ("conv, upsample, ...").
std::vector<std::string> layer_kind_names();
// Adds a kind at run time (tests' toy kinds, experiments); refused when its op is taken.
Status register_layer_kind(std::unique_ptr<LayerKind> kind);

// The built-in kinds, one file each in src/core/kinds/.
std::unique_ptr<LayerKind> make_conv_kind();
std::unique_ptr<LayerKind> make_upsample_kind();
std::unique_ptr<LayerKind> make_concat_kind();
std::unique_ptr<LayerKind> make_add_kind();
std::unique_ptr<LayerKind> make_dropout_kind();
std::unique_ptr<LayerKind> make_tanh_kind();
std::unique_ptr<LayerKind> make_softmax_kind();
std::unique_ptr<LayerKind> make_annealed_mean_kind();

}  // namespace tint
