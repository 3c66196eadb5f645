// Architecture JSON <-> Architecture, validation with shape inference, the parameter layout and
// PyTorch-compatible initialisation. The JSON arrives from weights files of unknown origin, so
// every field is type-checked before use (no exceptions: the WASM build has none).
#include "model.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "ab_bins.h"
#include "json_strict.h"
#include "random.h"

namespace tint {
namespace {

using json = nlohmann::json;

// Bounds that keep every channel count, parameter shape and 2^depth inside int and keep a
// hostile architecture from asking for absurd allocations. Far above any colouriser. Kinds check
// channel counts against kMaxLayerChannels (layer_kind.h).
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

// "a", "a or b", "a, b or c"; each item wrapped in `quote`.
std::string one_of(const std::vector<std::string>& items, const char* quote = "") {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += i + 1 == items.size() ? " or " : ", ";
    text += quote + items[i] + quote;
  }
  return text;
}

// Reads one attribute from its JSON value (or its default when absent), type-checked.
Status read_attribute(const AttributeSpec& spec, const json* value, const std::string& where, Attribute* out) {
  json fallback;
  if (!value) {
    if (spec.fallback.empty()) return Status::error(where + ": missing \"" + spec.key + "\"");
    fallback = spec.type == AttributeType::integer || spec.type == AttributeType::number
                   ? json::parse(spec.fallback, nullptr, false)
                   : json(spec.fallback);
    value = &fallback;
  }
  const std::string key = "\"" + spec.key + "\"";
  switch (spec.type) {
    case AttributeType::integer: {
      int number = 0;
      if (!read_int(*value, &number)) return Status::error(where + ": " + key + " must be a 32-bit integer");
      out->number = number;
      break;
    }
    case AttributeType::number:
      if (!value->is_number()) return Status::error(where + ": " + key + " must be a number");
      out->number = value->get<double>();
      break;
    case AttributeType::text:
    case AttributeType::layer: {
      const bool is_text = value->is_string();
      out->text = is_text ? value->get<std::string>() : "";
      if (!spec.choices.empty() &&
          (!is_text || std::find(spec.choices.begin(), spec.choices.end(), out->text) == spec.choices.end())) {
        return Status::error(where + ": " + key + " must be " + one_of(spec.choices, "\""));
      }
      if (!is_text) return Status::error(where + ": " + key + " must be a string");
      break;
    }
  }
  return Status::ok();
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
  layer->op = op->get<std::string>();
  const LayerKind* kind = find_layer_kind(layer->op);
  if (!kind) {
    return Status::error(where + ": unknown op \"" + layer->op + "\" (expected " + one_of(layer_kind_names()) + ")");
  }
  const std::vector<AttributeSpec> specs = kind->attributes();
  for (const auto& item : object.items()) {
    const bool known = std::any_of(specs.begin(), specs.end(), [&](const AttributeSpec& s) { return s.key == item.key(); });
    if (item.key() != "name" && item.key() != "op" && !known) {
      return Status::error(where + ": unknown key \"" + item.key() + "\" for op " + layer->op);
    }
  }
  for (const AttributeSpec& spec : specs) {
    const auto value = object.find(spec.key);
    TINT_RETURN_IF_ERROR(
        read_attribute(spec, value == object.end() ? nullptr : &*value, where, &layer->attributes[spec.key]));
  }
  return Status::ok();
}

const InputSpec* find_input(const std::string& name) {
  for (const InputSpec& input : network_inputs())
    if (input.name == name) return &input;
  return nullptr;
}

Status parse_losses(const json& value, const std::string& source, std::vector<LossSpec>* losses) {
  if (!value.is_array()) return Status::error(source + ": \"losses\" must be a list");
  for (size_t i = 0; i < value.size(); ++i) {
    const json& item = value[i];
    const std::string where = source + ": loss #" + std::to_string(i);
    if (!item.is_object()) return Status::error(where + " is not a JSON object");
    LossSpec loss;
    for (const auto& field : item.items()) {
      const std::string& key = field.key();
      if (key == "layer" || key == "type") {
        if (!field.value().is_string()) return Status::error(where + ": \"" + key + "\" must be a string");
        (key == "layer" ? loss.layer : loss.type) = field.value().get<std::string>();
      } else if (key == "weight" || key == "delta" || key == "rebalance" || key == "sigma") {
        if (!field.value().is_number()) return Status::error(where + ": \"" + key + "\" must be a number");
        const double number = field.value().get<double>();
        (key == "weight" ? loss.weight : key == "delta" ? loss.delta : key == "rebalance" ? loss.rebalance : loss.sigma) = number;
      } else {
        return Status::error(where + ": unknown key \"" + key + "\"");
      }
    }
    if (loss.layer.empty() || loss.type.empty()) return Status::error(where + ": needs \"layer\" and \"type\"");
    losses->push_back(loss);
  }
  return Status::ok();
}

Status parse_inputs(const json& value, const std::string& source, std::vector<std::string>* inputs) {
  if (!value.is_array() || value.empty()) return Status::error(source + ": \"inputs\" must be a non-empty list of names");
  inputs->clear();
  for (const json& item : value) {
    if (!item.is_string()) return Status::error(source + ": \"inputs\" must be a non-empty list of names");
    inputs->push_back(item.get<std::string>());
  }
  return Status::ok();
}

}  // namespace

int Layer::integer(const std::string& key) const { return int(number(key)); }

float Layer::number(const std::string& key) const {
  const auto found = attributes.find(key);
  return found == attributes.end() ? 0.0f : float(found->second.number);
}

const std::string& Layer::text(const std::string& key) const {
  static const std::string empty;
  const auto found = attributes.find(key);
  return found == attributes.end() ? empty : found->second.text;
}

const std::vector<InputSpec>& network_inputs() {
  static const std::vector<InputSpec> inputs = {
      {"lightness", 1, "L / 100 of the photo at the working size, in [0, 1]"},
      {"hint_ab", 2, "a / 128 and b / 128 of the user's colour hints over their patches, 0 elsewhere (hints.h)"},
      {"hint_mask", 1, "1 on the pixels of a hint's patch, 0 elsewhere"},
      {"hint_fill", 2, "a / 128 and b / 128 of the nearest hinted pixel everywhere, 0 without hints (fill_hints)"},
      {"hint_distance", 1, "distance to the nearest hinted pixel / 64 px, at most 1; 1 without hints (fill_hints)"},
  };
  return inputs;
}

Result<Architecture> parse_architecture(const std::string& text, const std::string& source) {
  StrictJson parsed = parse_json_strict(text);
  if (!parsed.error.empty()) return Status::error(source + ": architecture is not valid JSON");
  if (!parsed.duplicate.empty()) {
    return Status::error(source + ": architecture has duplicate key \"" + parsed.duplicate + "\"");
  }
  const json& root = parsed.value;
  if (!root.is_object()) return Status::error(source + ": architecture is not a JSON object");
  for (const auto& item : root.items()) {
    if (item.key() != "name" && item.key() != "inputs" && item.key() != "input_channels" &&
        item.key() != "working_size" && item.key() != "layers" && item.key() != "losses") {
      return Status::error(source + ": architecture has unknown key \"" + item.key() + "\"");
    }
  }

  Architecture architecture;
  const auto name = root.find("name");
  if (name == root.end()) return Status::error(source + ": architecture is missing \"name\"");
  if (!name->is_string()) return Status::error(source + ": architecture \"name\" must be a string");
  architecture.name = name->get<std::string>();
  const auto inputs = root.find("inputs");
  if (inputs != root.end()) TINT_RETURN_IF_ERROR(parse_inputs(*inputs, source, &architecture.inputs));
  // Files written before "inputs" existed state only the channel count; when it is absent, it
  // is the declared inputs' (checked against them by validate_architecture either way).
  architecture.input_channels = 0;
  for (const std::string& input : architecture.inputs)
    if (const InputSpec* spec = find_input(input)) architecture.input_channels += spec->channels;
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
  const auto losses = root.find("losses");
  if (losses != root.end()) TINT_RETURN_IF_ERROR(parse_losses(*losses, source, &architecture.losses));
  TINT_RETURN_IF_ERROR(validate_architecture(architecture, source));
  return architecture;
}

std::string architecture_to_json(const Architecture& architecture) {
  // ordered_json keeps the schema's key order (name, op, then the kind's attributes).
  nlohmann::ordered_json root;
  root["name"] = architecture.name;
  root["inputs"] = architecture.inputs;
  root["input_channels"] = architecture.input_channels;
  root["working_size"] = architecture.working_size;
  root["layers"] = nlohmann::ordered_json::array();
  for (const Layer& layer : architecture.layers) {
    nlohmann::ordered_json object;
    object["name"] = layer.name;
    object["op"] = layer.op;
    const LayerKind* kind = find_layer_kind(layer.op);
    for (const AttributeSpec& spec : kind ? kind->attributes() : std::vector<AttributeSpec>{}) {
      const auto found = layer.attributes.find(spec.key);
      if (found == layer.attributes.end()) continue;
      switch (spec.type) {
        case AttributeType::integer: object[spec.key] = int64_t(found->second.number); break;
        case AttributeType::number: object[spec.key] = found->second.number; break;
        case AttributeType::text:
        case AttributeType::layer: object[spec.key] = found->second.text; break;
      }
    }
    root["layers"].push_back(std::move(object));
  }
  for (const LossSpec& loss : architecture.losses) {
    nlohmann::ordered_json object = {{"layer", loss.layer}, {"type", loss.type}, {"weight", loss.weight}};
    if (loss.type == "huber") object["delta"] = loss.delta;
    if (loss.type == "cross_entropy") object["rebalance"] = loss.rebalance, object["sigma"] = loss.sigma;
    root["losses"].push_back(std::move(object));
  }
  // replace: a name with invalid UTF-8 must not reach nlohmann's throwing default (abort here).
  return root.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

namespace {

// The checks on the architecture as a whole, before its layers.
Status validate_header(const Architecture& architecture, const std::string& at) {
  int channels = 0;
  std::vector<std::string> known;
  for (const InputSpec& input : network_inputs()) known.push_back(input.name);
  for (const std::string& input : architecture.inputs) {
    const InputSpec* spec = find_input(input);
    if (!spec) return Status::error(at + "unknown input \"" + input + "\" (expected " + one_of(known, "\"") + ")");
    channels += spec->channels;
  }
  if (architecture.inputs.empty()) return Status::error(at + "architecture has no inputs");
  if (architecture.input_channels != channels) {
    return Status::error(at + "input_channels is " + std::to_string(architecture.input_channels) + ", expected " +
                         std::to_string(channels) + " (the channels of inputs " + one_of(architecture.inputs) + ")");
  }
  if (architecture.working_size < 16 || architecture.working_size > 4096) {
    return Status::error(at + "working_size " + std::to_string(architecture.working_size) + " is outside [16, 4096]");
  }
  if (architecture.layers.empty()) return Status::error(at + "architecture has no layers");
  return Status::ok();
}

// A programmatic layer (not from parse_architecture) may lack attributes or carry unknown ones.
Status check_attributes(const Layer& layer, const LayerKind& kind, const std::string& where) {
  const std::vector<AttributeSpec> specs = kind.attributes();
  for (const AttributeSpec& spec : specs) {
    if (!layer.attributes.count(spec.key)) return Status::error(where + ": missing \"" + spec.key + "\"");
  }
  for (const auto& attribute : layer.attributes) {
    const std::string& key = attribute.first;
    if (std::none_of(specs.begin(), specs.end(), [&](const AttributeSpec& s) { return s.key == key; })) {
      return Status::error(where + ": unknown key \"" + key + "\" for op " + layer.op);
    }
  }
  return Status::ok();
}

// Each loss names a layer with the channels its type needs and sensible numbers.
Status validate_losses(const Architecture& architecture, const std::vector<LayerShape>& shapes,
                       const std::map<std::string, size_t>& index_of, const std::string& at) {
  for (size_t i = 0; i < architecture.losses.size(); ++i) {
    const LossSpec& loss = architecture.losses[i];
    const std::string where = at + "loss #" + std::to_string(i) + " (" + loss.type + " on " + loss.layer + ")";
    const auto layer = index_of.find(loss.layer);
    if (layer == index_of.end()) return Status::error(where + ": no layer is named " + loss.layer);
    const int channels = shapes[layer->second].out_channels;
    const int expected = loss.type == "cross_entropy" ? AbBins::gamut().count() : 2;
    if (loss.type != "mse" && loss.type != "huber" && loss.type != "cross_entropy") {
      return Status::error(where + ": unknown type (expected mse, huber or cross_entropy)");
    }
    if (channels != expected) {
      return Status::error(where + ": the layer has " + std::to_string(channels) + " channels, expected " +
                           std::to_string(expected));
    }
    if (!(loss.weight > 0) || !(loss.delta > 0) || !(loss.sigma > 0) || !(loss.rebalance >= 0 && loss.rebalance <= 1)) {
      return Status::error(where + ": needs weight > 0, delta > 0, sigma > 0 and rebalance in [0, 1]");
    }
  }
  return Status::ok();
}

}  // namespace

Status validate_architecture(const Architecture& architecture, const std::string& source,
                             std::vector<LayerShape>* shapes) {
  const std::string at = source + ": ";
  TINT_RETURN_IF_ERROR(validate_header(architecture, at));

  std::vector<LayerShape> inferred;
  std::map<std::string, size_t> index_of;  // names of the layers seen so far
  const LayerShape network_input{architecture.input_channels, architecture.input_channels, 0};
  for (size_t i = 0; i < architecture.layers.size(); ++i) {
    const Layer& layer = architecture.layers[i];
    const std::string where = at + layer_label(i, layer.name);
    if (layer.name.empty()) return Status::error(where + " has an empty name");
    if (index_of.count(layer.name)) {
      return Status::error(at + "layer #" + std::to_string(i) + ": name " + layer.name +
                           " is already used by layer #" + std::to_string(index_of[layer.name]));
    }
    const LayerKind* kind = find_layer_kind(layer.op);
    if (!kind) return Status::error(where + ": unknown op \"" + layer.op + "\" (expected " + one_of(layer_kind_names()) + ")");
    TINT_RETURN_IF_ERROR(check_attributes(layer, *kind, where));
    std::vector<LayerShape> inputs = {i == 0 ? network_input : inferred.back()};
    for (const AttributeSpec& spec : kind->attributes()) {
      if (spec.type != AttributeType::layer) continue;
      const std::string& other = layer.text(spec.key);
      const auto found = index_of.find(other);
      if (found == index_of.end()) {
        return Status::error(where + ": " + spec.key + " names " + other + ", which is not an earlier layer");
      }
      inputs.push_back(inferred[found->second]);
    }
    auto shape = kind->infer(layer, inputs);
    if (!shape) return Status::error(where + ": " + shape.message());
    if (shape->depth < 0) return Status::error(where + ": goes above the input resolution (depth " + std::to_string(shape->depth) + ")");
    if (shape->depth > kMaxDepth) {
      return Status::error(where + ": goes below 1/2^" + std::to_string(kMaxDepth) + " of the input resolution");
    }
    if (shape->out_channels < 1 || shape->out_channels > kMaxLayerChannels) {
      return Status::error(where + ": gives " + std::to_string(shape->out_channels) + " channels, outside [1, " +
                           std::to_string(kMaxLayerChannels) + "]");
    }
    inferred.push_back(shape.value());
    index_of[layer.name] = i;
  }
  const LayerShape& last = inferred.back();
  if (last.out_channels != 2) {
    return Status::error(at + "final output has " + std::to_string(last.out_channels) + " channels, expected 2 (a and b)");
  }
  if (last.depth != 0) {
    return Status::error(at + "final output is at depth " + std::to_string(last.depth) + " (1/" +
                         std::to_string(1 << last.depth) + " resolution), expected the input resolution");
  }
  TINT_RETURN_IF_ERROR(validate_losses(architecture, inferred, index_of, at));
  if (shapes) *shapes = std::move(inferred);
  return Status::ok();
}

Architecture baseline_architecture() {
  // The original design: three stride-2 encoders, a dropout in the middle, nearest upsampling.
  static const char* const kBaseline = R"({"name": "baseline", "working_size": 256, "layers": [
    {"name": "enc1", "op": "conv", "out": 64, "activation": "relu"},
    {"name": "enc2", "op": "conv", "out": 64, "stride": 2, "activation": "relu"},
    {"name": "enc3", "op": "conv", "out": 128, "activation": "relu"},
    {"name": "enc4", "op": "conv", "out": 128, "stride": 2, "activation": "relu"},
    {"name": "enc5", "op": "conv", "out": 256, "activation": "relu"},
    {"name": "enc6", "op": "conv", "out": 256, "stride": 2, "activation": "relu"},
    {"name": "mid1", "op": "conv", "out": 512, "activation": "relu"},
    {"name": "drop", "op": "dropout", "rate": 0.2},
    {"name": "mid2", "op": "conv", "out": 256, "activation": "relu"},
    {"name": "mid3", "op": "conv", "out": 128, "activation": "relu"},
    {"name": "up1", "op": "upsample"},
    {"name": "dec1", "op": "conv", "out": 64, "activation": "relu"},
    {"name": "up2", "op": "upsample"},
    {"name": "dec2", "op": "conv", "out": 32, "activation": "relu"},
    {"name": "head", "op": "conv", "out": 2},
    {"name": "out", "op": "tanh"},
    {"name": "up3", "op": "upsample"}]})";
  return parse_architecture(kBaseline, "baseline").value();
}

int stride_multiple(const Architecture& architecture) {
  std::vector<LayerShape> shapes;
  if (!validate_architecture(architecture, "", &shapes).is_ok()) return 1;
  int deepest = 0;
  for (const LayerShape& shape : shapes) deepest = std::max(deepest, shape.depth);
  return 1 << deepest;
}

std::vector<std::vector<int>> layer_inputs(const Architecture& architecture) {
  std::vector<std::vector<int>> inputs(architecture.layers.size());
  for (size_t i = 0; i < architecture.layers.size(); ++i) {
    const Layer& layer = architecture.layers[i];
    inputs[i].push_back(int(i) - 1);
    const LayerKind* kind = find_layer_kind(layer.op);
    for (const AttributeSpec& spec : kind ? kind->attributes() : std::vector<AttributeSpec>{}) {
      if (spec.type != AttributeType::layer) continue;
      for (size_t j = 0; j < i; ++j)
        if (architecture.layers[j].name == layer.text(spec.key)) inputs[i].push_back(int(j));
    }
  }
  return inputs;
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

// Sides follow the real layers (a layer one level deeper halves them as a stride-2 conv does,
// (side - 1) / 2 + 1; one level up doubles them), so sizes that are not a multiple of
// stride_multiple() are counted as they would run.
std::vector<double> Model::layer_flops(int height, int width) const {
  std::vector<LayerShape> layer_shapes = shapes;
  if (layer_shapes.size() != architecture.layers.size() &&
      !validate_architecture(architecture, "", &layer_shapes).is_ok()) {
    return std::vector<double>(architecture.layers.size(), 0.0);
  }
  std::vector<double> per_layer(architecture.layers.size(), 0.0);
  std::vector<Shape> sides(architecture.layers.size());
  const auto inputs = layer_inputs(architecture);
  for (size_t i = 0; i < architecture.layers.size(); ++i) {
    const Layer& layer = architecture.layers[i];
    const int previous_depth = i == 0 ? 0 : layer_shapes[i - 1].depth;
    if (layer_shapes[i].depth > previous_depth) {
      height = conv_output_size(height, 2);
      width = conv_output_size(width, 2);
    } else if (layer_shapes[i].depth < previous_depth) {
      height *= 2;
      width *= 2;
    }
    const LayerKind* kind = find_layer_kind(layer.op);
    if (kind) per_layer[i] = kind->flops(layer, layer_shapes[i], Shape{1, height, width, layer_shapes[i].out_channels});
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
    const LayerKind* kind = find_layer_kind(layer.op);
    if (!kind) continue;
    for (const ParameterSpec& spec : kind->parameters(layer, shapes[i])) {
      layout.push_back({layer.name + "." + spec.suffix, spec.shape, {}});
    }
  }
  return layout;
}

// Values are drawn in layout order (each tensor row-major) from one generator, each from its
// kind's U(-bound, bound) (conv: PyTorch's Conv2d.reset_parameters, see kinds/conv.cpp).
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
  std::vector<float> bounds;
  for (size_t i = 0; i < architecture.layers.size(); ++i) {
    const Layer& layer = architecture.layers[i];
    for (const ParameterSpec& spec : find_layer_kind(layer.op)->parameters(layer, model.shapes[i])) {
      bounds.push_back(spec.init_bound);
    }
  }
  Random random(seed);
  for (size_t p = 0; p < model.parameters.size(); ++p) {
    Parameter& parameter = model.parameters[p];
    int64_t size = 1;
    for (int dimension : parameter.shape) size *= dimension;
    parameter.values.resize(size_t(size));
    for (float& value : parameter.values) value = random.uniform(-bounds[p], bounds[p]);
  }
  return model;
}

}  // namespace tint
