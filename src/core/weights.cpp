#include "weights.h"

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
  std::map<std::string, const TensorEntry*> tensors;
  std::map<std::string, size_t> expected;
  for (size_t i = 0; i < model.parameters.size(); ++i) expected[model.parameters[i].name] = i;
  for (const TensorEntry& entry : file.tensors) {
    if (has_prefix(entry.name, ignored_prefixes)) continue;
    if (!expected.count(entry.name)) return Status::error(at + "unexpected tensor " + entry.name);
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
  }

  for (const auto& [key, value] : file.metadata) {
    if (key != "format" && key != "format_version" && key != "architecture") {
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

std::vector<uint8_t> save_model(const Model& model, Dtype dtype) {
  return serialize_safetensors(model_to_tensor_file(model), dtype);
}

}  // namespace tint
