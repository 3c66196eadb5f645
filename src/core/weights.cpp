#include "weights.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace tint {
namespace {


bool has_prefix(const std::string& name, const std::vector<std::string>& prefixes) {
  for (const std::string& prefix : prefixes) {
    if (name.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

// The metadata value for `key`, or nullptr.
const std::string* find_metadata(const TensorFile& file, const std::string& key) {
  const auto found = file.metadata.find(key);
  return found == file.metadata.end() ? nullptr : &found->second;
}

// parameter.values (the I8 integers) times their output channel's scale, after checking `scale`.
Status dequantize(const TensorEntry& scale, const std::string& at, Parameter& parameter) {
  const int64_t channels = parameter.shape.empty() ? 1 : int64_t(parameter.shape[0]);
  if (scale.dtype != Dtype::f32) return Status::error(at + "tensor " + scale.name + " is " + dtype_name(scale.dtype) + ", expected F32");
  if (scale.shape != std::vector<int64_t>{channels}) {
    return Status::error(at + "tensor " + scale.name + " has shape " + shape_text(scale.shape) + ", expected [" +
                         std::to_string(channels) + "] (one scale per output channel)");
  }
  for (int64_t o = 0; o < channels; ++o) {
    // Finite is already checked by parse_safetensors; !(x > 0) also catches a NaN from a hand-built file.
    if (!(scale.values[size_t(o)] > 0.0f)) {
      return Status::error(at + "tensor " + scale.name + " holds scale " + std::to_string(scale.values[size_t(o)]) +
                           " at channel " + std::to_string(o) + " (scales must be positive)");
    }
  }
  const size_t per_channel = channels ? parameter.values.size() / size_t(channels) : 0;
  for (size_t i = 0; i < parameter.values.size(); ++i) parameter.values[i] *= scale.values[i / per_channel];
  return Status::ok();
}

// Symmetric per-output-channel int8: each channel's largest magnitude maps to 127.
void quantize(const Parameter& parameter, TensorEntry& weight, TensorEntry& scale) {
  const int64_t channels = parameter.shape.empty() ? 1 : int64_t(parameter.shape[0]);
  const size_t per_channel = parameter.values.size() / size_t(channels);
  scale = {parameter.name + kScaleSuffix, {channels}, std::vector<float>(size_t(channels)), Dtype::f32};
  weight.dtype = Dtype::i8;
  for (int64_t o = 0; o < channels; ++o) {
    float largest = 0.0f;
    for (size_t i = 0; i < per_channel; ++i) largest = std::max(largest, std::fabs(parameter.values[size_t(o) * per_channel + i]));
    const float step = largest > 0.0f ? largest / 127.0f : 1.0f;
    scale.values[size_t(o)] = step;
    for (size_t i = 0; i < per_channel; ++i) {
      float& value = weight.values[size_t(o) * per_channel + i];
      value = std::clamp(std::nearbyint(parameter.values[size_t(o) * per_channel + i] / step), -127.0f, 127.0f);
    }
  }
}

}  // namespace

Result<Model> model_from_tensor_file(const TensorFile& file, const std::string& source,
                                     const std::vector<std::string>& ignored_prefixes) {
  const std::string at = source + ": ";
  // Format checks come first: a safetensors file from another project should say so, not fail
  // with a confusing architecture or tensor error.
  const std::string* format = find_metadata(file, "format");
  if (!format) return Status::error(at + "metadata has no \"format\" (not a tint weights file)");
  if (*format != kWeightsFormat) {
    return Status::error(at + "metadata format is \"" + *format + "\", expected \"tint\"");
  }
  const std::string* version = find_metadata(file, "format_version");
  if (!version) return Status::error(at + "metadata has no \"format_version\"");
  if (*version != kWeightsFormatVersion) {
    return Status::error(at + "unsupported format_version " + *version + " (this tint reads " +
                         kWeightsFormatVersion + ")");
  }
  const std::string* architecture = find_metadata(file, "architecture");
  if (!architecture) return Status::error(at + "metadata has no \"architecture\"");

  Result<Architecture> parsed = parse_architecture(*architecture, source);
  if (!parsed) return parsed.status();
  Model model;
  model.architecture = std::move(parsed.value());
  TINT_RETURN_IF_ERROR(validate_architecture(model.architecture, source, &model.shapes));
  model.parameters = parameter_layout(model.architecture, model.shapes);

  // Index the file's tensors, refusing what the architecture does not explain: silently
  // ignoring a tensor could hide a file written for a different architecture.
  std::map<std::string, const TensorEntry*> tensors, scales;
  std::map<std::string, size_t> expected;
  for (size_t i = 0; i < model.parameters.size(); ++i) expected[model.parameters[i].name] = i;
  const std::string* quantization = find_metadata(file, "quantization");
  if (quantization && *quantization != kInt8Quantization) {
    return Status::error(at + "unknown quantization \"" + *quantization + "\" (this tint reads \"" + kInt8Quantization + "\")");
  }
  const std::string suffix = kScaleSuffix;
  for (const TensorEntry& entry : file.tensors) {
    if (has_prefix(entry.name, ignored_prefixes)) continue;
    const bool is_scale = entry.name.size() > suffix.size() &&
                          entry.name.compare(entry.name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                          expected.count(entry.name.substr(0, entry.name.size() - suffix.size()));
    if (is_scale) {
      scales[entry.name.substr(0, entry.name.size() - suffix.size())] = &entry;
      continue;
    }
    if (!expected.count(entry.name)) return Status::error(at + "unexpected tensor " + entry.name);
    if (entry.dtype == Dtype::i8 && !quantization) {
      return Status::error(at + "tensor " + entry.name + " is I8 but the metadata declares no quantization");
    }
    if (!tensors.emplace(entry.name, &entry).second) {
      return Status::error(at + "duplicate tensor " + entry.name);
    }
  }
  for (Parameter& parameter : model.parameters) {
    const auto found = tensors.find(parameter.name);
    if (found == tensors.end()) return Status::error(at + "missing tensor " + parameter.name);
    const TensorEntry& entry = *found->second;
    const std::vector<int64_t> want(parameter.shape.begin(), parameter.shape.end());
    if (entry.shape != want) {
      return Status::error(at + "tensor " + parameter.name + " has shape " +
                           shape_text(entry.shape) + ", expected " + shape_text(want));
    }
    if (entry.values.size() != entry.element_count()) {  // only a hand-built TensorFile can
      return Status::error(at + "tensor " + parameter.name + " has " +
                           std::to_string(entry.values.size()) + " values for shape " +
                           shape_text(entry.shape));
    }
    parameter.values = entry.values;
    const auto scale = scales.find(parameter.name);
    if (entry.dtype != Dtype::i8) {
      if (scale != scales.end()) return Status::error(at + "unexpected tensor " + scale->second->name + " (" + parameter.name + " is not I8)");
      continue;
    }
    if (scale == scales.end()) return Status::error(at + "I8 tensor " + parameter.name + " has no " + parameter.name + kScaleSuffix);
    TINT_RETURN_IF_ERROR(dequantize(*scale->second, at, parameter));
  }

  for (const auto& [key, value] : file.metadata) {
    if (key != "format" && key != "format_version" && key != "architecture" && key != "quantization") {
      model.metadata[key] = value;
    }
  }
  return model;
}

TensorFile model_to_tensor_file(const Model& model) {
  TensorFile file;
  file.metadata = model.metadata;
  // std::string(...) rather than assigning the char*: GCC 12 at -O3 warns falsely (-Wrestrict,
  // GCC bug 105651) on assigning a short literal to a map's string.
  file.metadata["format"] = std::string(kWeightsFormat);
  file.metadata["format_version"] = std::string(kWeightsFormatVersion);
  file.metadata["architecture"] = architecture_to_json(model.architecture);
  for (const Parameter& parameter : model.parameters) {
    TensorEntry entry;
    entry.name = parameter.name;
    entry.shape.assign(parameter.shape.begin(), parameter.shape.end());
    entry.values = parameter.values;
    file.tensors.push_back(std::move(entry));
  }
  return file;
}

Result<Model> load_model(const uint8_t* bytes, size_t size, const std::string& source) {
  Result<TensorFile> file = parse_safetensors(bytes, size, source);
  if (!file) return file.status();
  return model_from_tensor_file(file.value(), source);
}

std::vector<uint8_t> save_model(const Model& model, Dtype dtype, const std::vector<std::string>& float_layers) {
  if (dtype != Dtype::i8) return serialize_safetensors(model_to_tensor_file(model), dtype);
  TensorFile file = model_to_tensor_file(model);
  file.metadata["quantization"] = std::string(kInt8Quantization);
  std::vector<TensorEntry> tensors;
  for (size_t p = 0; p < model.parameters.size(); ++p) {
    const Parameter& parameter = model.parameters[p];
    TensorEntry entry = file.tensors[p];
    entry.dtype = Dtype::f16;
    const bool weight = parameter.shape.size() > 1;
    const bool kept = std::find(float_layers.begin(), float_layers.end(), parameter.name.substr(0, parameter.name.rfind('.'))) !=
                      float_layers.end();
    if (weight && !kept) {
      TensorEntry scale;
      quantize(parameter, entry, scale);
      tensors.push_back(std::move(entry));
      tensors.push_back(std::move(scale));
    } else {
      tensors.push_back(std::move(entry));
    }
  }
  file.tensors = std::move(tensors);
  return serialize_safetensors(file);
}

}  // namespace tint
