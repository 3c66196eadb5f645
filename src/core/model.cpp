// Architecture JSON <-> Architecture, validation with shape inference, the parameter layout and
// PyTorch-compatible initialisation. The JSON arrives from weights files of unknown origin, so
// every field is type-checked before use (no exceptions: the WASM build has none).
#include "model.h"

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include <nlohmann/json.hpp>

#include "random.h"

namespace tint {
namespace {

using json = nlohmann::json;

// Bounds that keep every channel count, parameter shape and 2^depth inside int and keep a
// hostile architecture from asking for absurd allocations. Far above any colouriser.
constexpr int kMaxChannels = 65536;
constexpr int kMaxDepth = 16;
// create_model refuses more parameters than this (1 GiB of f32): a typo in an --arch file
// should be an error message, not an out-of-memory abort.
constexpr int64_t kMaxParameters = int64_t(1) << 28;

std::string layer_label(size_t index, const std::string& name) {
  return name.empty() ? "layer #" + std::to_string(index) : "layer " + name;
}

// An integer that fits int; JSON 3.0 or 1e3 are floats and rejected, as are huge values.
bool read_int(const json& value, int* out) {
  if (value.is_number_unsigned()) {
    const uint64_t number = value.get<uint64_t>();
    if (number > uint64_t(INT_MAX)) return false;
    *out = int(number);
    return true;
  }
  if (value.is_number_integer()) {
    const int64_t number = value.get<int64_t>();
    if (number < INT_MIN || number > INT_MAX) return false;
    *out = int(number);
    return true;
  }
  return false;
}

// The double closest to the shortest decimal that reads back as `value`: dropout 0.2f is
// written as 0.2, not 0.20000000298023224, and still parses back to exactly 0.2f.
double float_for_json(float value) {
  char text[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, double(value));
    const double candidate = std::strtod(text, nullptr);
    if (float(candidate) == value) return candidate;
  }
  return double(value);
}

// Parses JSON text, rejecting duplicate keys: nlohmann keeps the last silently, so
// {"out": 64, "out": 32} would otherwise hide a mistake.
bool parse_json_strict(const std::string& text, json* result, std::string* duplicate) {
  // nlohmann stops at a NUL byte, which would silently drop the rest of the text (a metadata
  // string may carry one via \u0000); valid JSON never holds a raw NUL.
  if (text.find('\0') != std::string::npos) return false;
  std::vector<std::set<std::string>> open_objects;
  auto callback = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty() && duplicate->empty()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second) *duplicate = key;
    }
    return true;
  };
  *result = json::parse(text, callback, /*allow_exceptions=*/false);
  return !result->is_discarded();
}

// The keys each op accepts besides "name" and "op".
std::set<std::string> allowed_keys(LayerOp op) {
  switch (op) {
    case LayerOp::conv: return {"out", "stride", "activation"};
    case LayerOp::upsample: return {"mode"};
    case LayerOp::concat:
    case LayerOp::add: return {"with"};
    case LayerOp::dropout: return {"rate"};
    case LayerOp::tanh: return {};
  }
  return {};
}

bool op_from_name(const std::string& name, LayerOp* op) {
  for (LayerOp candidate : {LayerOp::conv, LayerOp::upsample, LayerOp::concat, LayerOp::add,
                            LayerOp::dropout, LayerOp::tanh}) {
    if (name == layer_op_name(candidate)) {
      *op = candidate;
      return true;
    }
  }
  return false;
}

Status parse_layer(const json& object, size_t index, const std::string& source, Layer* layer) {
  const std::string at = source + ": layer #" + std::to_string(index);
  if (!object.is_object()) return Status::error(at + " is not a JSON object");
  const auto name = object.find("name");
  if (name == object.end()) return Status::error(at + ": missing \"name\"");
  if (!name->is_string()) return Status::error(at + ": \"name\" must be a string");
  layer->name = name->get<std::string>();

  const std::string where = source + ": " + layer_label(index, layer->name);
  const auto op = object.find("op");
  if (op == object.end()) return Status::error(where + ": missing \"op\"");
  if (!op->is_string()) return Status::error(where + ": \"op\" must be a string");
  if (!op_from_name(op->get<std::string>(), &layer->op)) {
    return Status::error(where + ": unknown op \"" + op->get<std::string>() +
                         "\" (expected conv, upsample, concat, add, dropout or tanh)");
  }
  const std::set<std::string> allowed = allowed_keys(layer->op);
  for (const auto& item : object.items()) {
    if (item.key() != "name" && item.key() != "op" && !allowed.count(item.key())) {
      return Status::error(where + ": unknown key \"" + item.key() + "\" for op " +
                           layer_op_name(layer->op));
    }
  }

  switch (layer->op) {
    case LayerOp::conv: {
      const auto out = object.find("out");
      if (out == object.end()) return Status::error(where + ": missing \"out\"");
      if (!read_int(*out, &layer->out_channels)) {
        return Status::error(where + ": \"out\" must be a 32-bit integer");
      }
      const auto stride = object.find("stride");
      if (stride != object.end() && !read_int(*stride, &layer->stride)) {
        return Status::error(where + ": \"stride\" must be a 32-bit integer");
      }
      const auto activation = object.find("activation");
      if (activation != object.end()) {
        const std::string value = activation->is_string() ? activation->get<std::string>() : "";
        if (value != "relu" && value != "none") {
          return Status::error(where + ": \"activation\" must be \"relu\" or \"none\"");
        }
        layer->relu = value == "relu";
      }
      break;
    }
    case LayerOp::upsample: {
      const auto mode = object.find("mode");
      if (mode != object.end()) {
        const std::string value = mode->is_string() ? mode->get<std::string>() : "";
        if (value != "nearest" && value != "bilinear") {
          return Status::error(where + ": \"mode\" must be \"nearest\" or \"bilinear\"");
        }
        layer->bilinear = value == "bilinear";
      }
      break;
    }
    case LayerOp::concat:
    case LayerOp::add: {
      const auto with = object.find("with");
      if (with == object.end()) return Status::error(where + ": missing \"with\"");
      if (!with->is_string()) return Status::error(where + ": \"with\" must be a string");
      layer->with = with->get<std::string>();
      break;
    }
    case LayerOp::dropout: {
      const auto rate = object.find("rate");
      if (rate == object.end()) return Status::error(where + ": missing \"rate\"");
      if (!rate->is_number()) return Status::error(where + ": \"rate\" must be a number");
      layer->rate = float(rate->get<double>());
      break;
    }
    case LayerOp::tanh: break;
  }
  return Status::ok();
}

}  // namespace

const char* layer_op_name(LayerOp op) {
  switch (op) {
    case LayerOp::conv: return "conv";
    case LayerOp::upsample: return "upsample";
    case LayerOp::concat: return "concat";
    case LayerOp::add: return "add";
    case LayerOp::dropout: return "dropout";
    case LayerOp::tanh: return "tanh";
  }
  return "?";
}

Result<Architecture> parse_architecture(const std::string& text, const std::string& source) {
  json root;
  std::string duplicate;
  if (!parse_json_strict(text, &root, &duplicate)) {
    return Status::error(source + ": architecture is not valid JSON");
  }
  if (!duplicate.empty()) {
    return Status::error(source + ": architecture has duplicate key \"" + duplicate + "\"");
  }
  if (!root.is_object()) return Status::error(source + ": architecture is not a JSON object");
  for (const auto& item : root.items()) {
    if (item.key() != "name" && item.key() != "input_channels" && item.key() != "working_size" &&
        item.key() != "layers") {
      return Status::error(source + ": architecture has unknown key \"" + item.key() + "\"");
    }
  }

  Architecture architecture;
  const auto name = root.find("name");
  if (name == root.end()) return Status::error(source + ": architecture is missing \"name\"");
  if (!name->is_string()) return Status::error(source + ": architecture \"name\" must be a string");
  architecture.name = name->get<std::string>();
  const auto input_channels = root.find("input_channels");
  if (input_channels != root.end() && !read_int(*input_channels, &architecture.input_channels)) {
    return Status::error(source + ": \"input_channels\" must be a 32-bit integer");
  }
  const auto working_size = root.find("working_size");
  if (working_size != root.end() && !read_int(*working_size, &architecture.working_size)) {
    return Status::error(source + ": \"working_size\" must be a 32-bit integer");
  }
  const auto layers = root.find("layers");
  if (layers == root.end()) return Status::error(source + ": architecture is missing \"layers\"");
  if (!layers->is_array()) return Status::error(source + ": \"layers\" must be a list");
  for (size_t i = 0; i < layers->size(); ++i) {
    Layer layer;
    TINT_RETURN_IF_ERROR(parse_layer((*layers)[i], i, source, &layer));
    architecture.layers.push_back(std::move(layer));
  }
  TINT_RETURN_IF_ERROR(validate_architecture(architecture, source));
  return architecture;
}

std::string architecture_to_json(const Architecture& architecture) {
  // ordered_json keeps the schema's key order (name, op, ...) so the metadata reads naturally.
  nlohmann::ordered_json root;
  root["name"] = architecture.name;
  root["input_channels"] = architecture.input_channels;
  root["working_size"] = architecture.working_size;
  root["layers"] = nlohmann::ordered_json::array();
  for (const Layer& layer : architecture.layers) {
    nlohmann::ordered_json object;
    object["name"] = layer.name;
    object["op"] = layer_op_name(layer.op);
    switch (layer.op) {
      case LayerOp::conv:
        object["out"] = layer.out_channels;
        object["stride"] = layer.stride;
        object["activation"] = layer.relu ? "relu" : "none";
        break;
      case LayerOp::upsample: object["mode"] = layer.bilinear ? "bilinear" : "nearest"; break;
      case LayerOp::concat:
      case LayerOp::add: object["with"] = layer.with; break;
      case LayerOp::dropout: object["rate"] = float_for_json(layer.rate); break;
      case LayerOp::tanh: break;
    }
    root["layers"].push_back(std::move(object));
  }
  // replace: a name with invalid UTF-8 must not reach nlohmann's throwing default (abort here).
  return root.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Status validate_architecture(const Architecture& architecture, const std::string& source,
                             std::vector<LayerShape>* shapes) {
  const std::string at = source + ": ";
  if (architecture.input_channels != 1) {
    return Status::error(at + "input_channels is " + std::to_string(architecture.input_channels) +
                         ", expected 1 (the network sees L only)");
  }
  if (architecture.working_size < 16 || architecture.working_size > 4096) {
    return Status::error(at + "working_size " + std::to_string(architecture.working_size) +
                         " is outside [16, 4096]");
  }
  if (architecture.layers.empty()) return Status::error(at + "architecture has no layers");

  std::vector<LayerShape> inferred;
  std::map<std::string, size_t> index_of;  // names of the layers seen so far
  int channels = architecture.input_channels, depth = 0;
  for (size_t i = 0; i < architecture.layers.size(); ++i) {
    const Layer& layer = architecture.layers[i];
    const std::string where = at + layer_label(i, layer.name);
    if (layer.name.empty()) return Status::error(where + " has an empty name");
    if (index_of.count(layer.name)) {
      return Status::error(at + "layer #" + std::to_string(i) + ": name " + layer.name +
                           " is already used by layer #" + std::to_string(index_of[layer.name]));
    }
    LayerShape shape{channels, channels, depth};
    switch (layer.op) {
      case LayerOp::conv:
        if (layer.out_channels < 1 || layer.out_channels > kMaxChannels) {
          return Status::error(where + ": out " + std::to_string(layer.out_channels) +
                               " is outside [1, " + std::to_string(kMaxChannels) + "]");
        }
        if (layer.stride != 1 && layer.stride != 2) {
          return Status::error(where + ": stride must be 1 or 2, got " + std::to_string(layer.stride));
        }
        shape.out_channels = layer.out_channels;
        if (layer.stride == 2) ++shape.depth;
        if (shape.depth > kMaxDepth) {
          return Status::error(where + ": goes below 1/2^" + std::to_string(kMaxDepth) +
                               " of the input resolution");
        }
        break;
      case LayerOp::upsample:
        if (--shape.depth < 0) {
          return Status::error(where + ": upsamples above the input resolution (depth -1)");
        }
        break;
      case LayerOp::concat:
      case LayerOp::add: {
        const auto with = index_of.find(layer.with);
        if (with == index_of.end()) {
          return Status::error(where + ": with names " + layer.with + ", which is not an earlier layer");
        }
        const LayerShape& other = inferred[with->second];
        if (other.depth != depth) {
          return Status::error(where + ": " + layer.with + " is at depth " +
                               std::to_string(other.depth) + " but the previous output is at depth " +
                               std::to_string(depth) + " (resolutions must match)");
        }
        if (layer.op == LayerOp::add && other.out_channels != channels) {
          return Status::error(where + ": cannot add " + layer.with + "'s " +
                               std::to_string(other.out_channels) + " channels to the previous " +
                               std::to_string(channels) + " channels");
        }
        if (layer.op == LayerOp::concat) {
          if (channels + other.out_channels > kMaxChannels) {
            return Status::error(where + ": concat gives more than " +
                                 std::to_string(kMaxChannels) + " channels");
          }
          shape.out_channels = channels + other.out_channels;
        }
        break;
      }
      case LayerOp::dropout:
        if (!(layer.rate >= 0.0f && layer.rate < 1.0f)) {  // written so NaN fails too
          char rate[32];
          std::snprintf(rate, sizeof rate, "%g", double(layer.rate));
          return Status::error(where + ": dropout rate must be in [0, 1), got " + rate);
        }
        break;
      case LayerOp::tanh: break;
    }
    inferred.push_back(shape);
    index_of[layer.name] = i;
    channels = shape.out_channels;
    depth = shape.depth;
  }
  if (channels != 2) {
    return Status::error(at + "final output has " + std::to_string(channels) +
                         " channels, expected 2 (a and b)");
  }
  if (depth != 0) {
    return Status::error(at + "final output is at depth " + std::to_string(depth) +
                         " (1/" + std::to_string(1 << depth) +
                         " resolution), expected the input resolution");
  }
  if (shapes) *shapes = std::move(inferred);
  return Status::ok();
}

Architecture baseline_architecture() {
  Architecture architecture;
  architecture.name = "baseline";
  architecture.input_channels = 1;
  architecture.working_size = 256;
  auto conv = [&](const char* name, int out, int stride, bool relu) {
    Layer layer;
    layer.name = name;
    layer.op = LayerOp::conv;
    layer.out_channels = out;
    layer.stride = stride;
    layer.relu = relu;
    architecture.layers.push_back(layer);
  };
  auto simple = [&](const char* name, LayerOp op) {
    Layer layer;
    layer.name = name;
    layer.op = op;
    architecture.layers.push_back(layer);
    return &architecture.layers.back();
  };
  conv("enc1", 64, 1, true);
  conv("enc2", 64, 2, true);
  conv("enc3", 128, 1, true);
  conv("enc4", 128, 2, true);
  conv("enc5", 256, 1, true);
  conv("enc6", 256, 2, true);
  conv("mid1", 512, 1, true);
  simple("drop", LayerOp::dropout)->rate = 0.2f;
  conv("mid2", 256, 1, true);
  conv("mid3", 128, 1, true);
  simple("up1", LayerOp::upsample);
  conv("dec1", 64, 1, true);
  simple("up2", LayerOp::upsample);
  conv("dec2", 32, 1, true);
  conv("head", 2, 1, false);
  simple("out", LayerOp::tanh);
  simple("up3", LayerOp::upsample);
  return architecture;
}

// Computed from the ops alone (no validation) so it answers for any architecture; depth is
// clamped to the validator's bound so the shift cannot overflow.
int stride_multiple(const Architecture& architecture) {
  int depth = 0, deepest = 0;
  for (const Layer& layer : architecture.layers) {
    if (layer.op == LayerOp::conv && layer.stride == 2) ++depth;
    if (layer.op == LayerOp::upsample) --depth;
    if (depth > deepest) deepest = depth;
  }
  if (deepest > kMaxDepth) deepest = kMaxDepth;
  return 1 << deepest;
}

Parameter* Model::find(const std::string& name) {
  for (Parameter& parameter : parameters) {
    if (parameter.name == name) return &parameter;
  }
  return nullptr;
}

const Parameter* Model::find(const std::string& name) const {
  return const_cast<Model*>(this)->find(name);
}

int64_t Model::parameter_count() const {
  int64_t count = 0;
  for (const Parameter& parameter : parameters) {
    int64_t size = 1;
    for (int dimension : parameter.shape) size *= dimension;
    count += size;
  }
  return count;
}

// Sides follow the real layers (conv: (side - 1) / stride + 1 with padding 1; upsample: x2), so
// sizes that are not a multiple of stride_multiple() are counted as they would run.
std::vector<double> Model::layer_flops(int height, int width) const {
  std::vector<LayerShape> layer_shapes = shapes;
  if (layer_shapes.size() != architecture.layers.size() &&
      !validate_architecture(architecture, "", &layer_shapes).is_ok()) {
    return std::vector<double>(architecture.layers.size(), 0.0);
  }
  std::vector<double> per_layer(architecture.layers.size(), 0.0);
  for (size_t i = 0; i < architecture.layers.size(); ++i) {
    const Layer& layer = architecture.layers[i];
    if (layer.op == LayerOp::conv) {
      height = (height - 1) / layer.stride + 1;
      width = (width - 1) / layer.stride + 1;
      per_layer[i] = 2.0 * 9.0 * layer_shapes[i].in_channels * layer_shapes[i].out_channels * height * width;
    } else if (layer.op == LayerOp::upsample) {
      height *= 2;
      width *= 2;
    }
  }
  return per_layer;
}

double Model::flops(int height, int width) const {
  double total = 0.0;
  for (double layer : layer_flops(height, width)) total += layer;
  return total;
}

std::vector<Parameter> parameter_layout(const Architecture& architecture,
                                        const std::vector<LayerShape>& shapes) {
  std::vector<Parameter> layout;
  for (size_t i = 0; i < architecture.layers.size() && i < shapes.size(); ++i) {
    const Layer& layer = architecture.layers[i];
    if (layer.op != LayerOp::conv) continue;
    layout.push_back({layer.name + ".weight", {shapes[i].out_channels, shapes[i].in_channels, 3, 3}, {}});
    layout.push_back({layer.name + ".bias", {shapes[i].out_channels}, {}});
  }
  return layout;
}

// PyTorch's Conv2d.reset_parameters: kaiming_uniform_(a = sqrt(5)) gives a bound of
// gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + a^2)) = sqrt(1/3), i.e. 1 / sqrt(fan_in);
// the bias is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) too. fan_in = in_channels * 3 * 3. Values are
// drawn in layout order (each weight row-major, then its bias) from one generator.
Result<Model> create_model(const Architecture& architecture, uint64_t seed) {
  Model model;
  model.architecture = architecture;
  const std::string source = architecture.name.empty() ? "architecture" : architecture.name;
  TINT_RETURN_IF_ERROR(validate_architecture(architecture, source, &model.shapes));
  model.parameters = parameter_layout(architecture, model.shapes);
  if (model.parameter_count() > kMaxParameters) {
    return Status::error(source + ": " + std::to_string(model.parameter_count()) +
                         " parameters, over the limit of " + std::to_string(kMaxParameters));
  }
  Random random(seed);
  // Weight [out, in, 3, 3] and bias [out] of one layer share the weight's fan_in; the bias
  // directly follows its weight in the layout.
  float bound = 0.0f;
  for (Parameter& parameter : model.parameters) {
    if (parameter.shape.size() == 4) bound = 1.0f / std::sqrt(float(parameter.shape[1] * 9));
    int64_t size = 1;
    for (int dimension : parameter.shape) size *= dimension;
    parameter.values.resize(size_t(size));
    for (float& value : parameter.values) value = random.uniform(-bound, bound);
  }
  return model;
}

}  // namespace tint
