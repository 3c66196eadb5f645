// The safetensors container (https://github.com/huggingface/safetensors), generic: named f32/f16/i8
// tensors plus string metadata, no tint semantics (those live in weights.h). Layout:
//   u64 little-endian N | N bytes of UTF-8 JSON, padded with spaces | data buffer
// The JSON maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (byte
// offsets into the data buffer, row-major, little-endian) plus "__metadata__": string -> string.
// We use the ecosystem's format so PyTorch/numpy users can read tint's weights directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "status.h"

namespace tint {

enum class Dtype { f32, f16, i8 };

const char* dtype_name(Dtype dtype);  // "F32", "F16", "I8": the safetensors spelling
size_t dtype_size(Dtype dtype);       // bytes per element

struct TensorEntry {
  std::string name;
  std::vector<int64_t> shape;  // [] is a scalar (one element)
  std::vector<float> values;   // product(shape) values, row-major, always f32 in memory (I8: the integers)
  Dtype dtype = Dtype::f32;    // how the file stores it (parse fills it; see serialize_safetensors)

  // Product of the shape (1 for a scalar). Shapes from parse_safetensors never overflow.
  size_t element_count() const;
};

struct TensorFile {
  std::map<std::string, std::string> metadata;
  // Order: parse_safetensors returns tensors in the order of their bytes in the data buffer
  // (ties between empty tensors by name); serialize_safetensors lays them out in vector order.
  // So parse(serialize(file)) keeps the order, and JSON key order never matters.
  std::vector<TensorEntry> tensors;

  const TensorEntry* find(const std::string& name) const;
};

// Parses and fully validates a safetensors file; `source` names it in error messages. Rejects
// everything a hostile or truncated file could hold (see the list in safetensors.cpp), including
// NaN and Inf values. Accepts F32, F16 and I8 tensors; F16 values are widened exactly, I8 values
// are the integers -128..127 as floats (what they mean, e.g. a scale, is the caller's business).
Result<TensorFile> parse_safetensors(const uint8_t* bytes, size_t size, const std::string& source);

// Writes each tensor as its entry's dtype (f16 rounds to nearest even; magnitudes >= 65520 become
// Inf, which parse_safetensors then rejects; i8 values must be integers in -128..127). The header
// is padded with spaces so the data buffer starts 8-byte aligned. Precondition: names unique and
// not "__metadata__", values.size() == element_count() for every tensor, i8 values integral and in
// range (programming errors; asserted).
std::vector<uint8_t> serialize_safetensors(const TensorFile& file);
// The same with every tensor as `dtype`.
std::vector<uint8_t> serialize_safetensors(const TensorFile& file, Dtype dtype);

// "[32,1,3,3]": shapes in messages.
std::string shape_text(const std::vector<int64_t>& shape);

}  // namespace tint
