// Tint's meaning on top of the generic safetensors container: a weights file is a model.
// Metadata: format = "tint", format_version = "1", architecture = the JSON of model.h, plus any
// other string keys (e.g. "training"), kept in Model::metadata. Tensors: exactly the model's
// parameter_layout, "<layer>.weight" [out, in, 3, 3] (PyTorch's layout) and "<layer>.bias"
// [out], stored as F32 or F16 — or, in an 8-bit file, a weight as I8 with "<layer>.weight.scale"
// (F32 [out]) beside it: symmetric per-output-channel quantisation, value = q * scale[o], and the
// metadata key quantization = kInt8Quantization. Training checkpoints reuse this format with extra
// tensors (optimiser state such as "adam.m.<name>") that the reader is told to ignore by prefix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model.h"
#include "safetensors.h"

namespace tint {

inline constexpr const char* kWeightsFormat = "tint";
inline constexpr const char* kWeightsFormatVersion = "1";
// The metadata value that declares I8 tensors: what they mean and where their scales are.
inline constexpr const char* kInt8Quantization = "int8 symmetric per output channel: NAME (I8) x NAME.scale (F32, one per index of NAME's first dimension)";
inline constexpr const char* kScaleSuffix = ".scale";

// Builds a model from a parsed file: checks format and format_version, parses and validates the
// architecture, then requires exactly the tensors of parameter_layout with matching shapes
// (missing, unexpected, duplicate or mis-shaped tensors are errors naming `source`). An I8 tensor
// is dequantised with its scale tensor, which must hold one finite positive scale per output
// channel, under the quantization metadata; a scale tensor without its I8 tensor, or an I8 tensor
// without its scales, is an error. Tensors whose
// names start with one of `ignored_prefixes` are skipped, so a checkpoint reader can pass
// {"adam."} and pick those tensors out of `file` itself. Metadata other than format,
// format_version, architecture and quantization (a property of the file) is copied into
// Model::metadata.
Result<Model> model_from_tensor_file(const TensorFile& file, const std::string& source,
                                     const std::vector<std::string>& ignored_prefixes = {});

// The model's parameters (in layout order) and metadata: Model::metadata plus format,
// format_version and architecture (these three always win over same-named Model::metadata keys).
// A checkpoint writer appends its own tensors and metadata before serialising.
TensorFile model_to_tensor_file(const Model& model);

// parse_safetensors + model_from_tensor_file, without ignored prefixes: a weights file with any
// extra tensor is rejected.
Result<Model> load_model(const uint8_t* bytes, size_t size, const std::string& source);

// The bytes of a weights file; f16 halves the size (values rounded to nearest even). Dtype::i8
// stores each layer's weight as I8 with per-output-channel F32 scales (max |w| / 127 of the
// channel; 1 for an all-zero channel) and everything else as F16, except the weights of the
// layers named in `float_layers`, which stay F16.
std::vector<uint8_t> save_model(const Model& model, Dtype dtype, const std::vector<std::string>& float_layers = {});

}  // namespace tint
