// Reading is strict because weights files come from anywhere (a URL in the web page, a user's
// download): every field is type-checked before use, sizes are checked before any allocation
// they drive, and the tensors must tile the data buffer exactly. Rejections, in order:
//   file shorter than 8 bytes; header length over 100 MiB or past the end of the file;
//   header not valid JSON, not an object, or with a duplicate key (tensor or field);
//   __metadata__ not an object of strings;
//   per tensor: entry not an object, unknown/missing field, unsupported dtype, shape not a list
//   of non-negative integers (or too many elements), data_offsets not [begin, end] with
//   begin <= end, byte length != elements * dtype size, end beyond the data buffer;
//   tensors overlapping, a gap between them, trailing bytes after the last one;
//   a NaN or Inf value.
#include "safetensors.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "half.h"
#include "json_strict.h"

namespace tint {
namespace {

using json = nlohmann::json;

// The reference implementation's limit too: a real header is a few KB; anything this large is a
// corrupt length field, and refusing it early avoids copying a huge string.
constexpr uint64_t kMaxHeaderBytes = uint64_t(100) << 20;

uint64_t read_u64_le(const uint8_t* bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

void append_u64_le(std::vector<uint8_t>& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(value >> (8 * i)));
}


// Appends rather than "[" + ...: GCC 12 at -O3 warns falsely (-Wrestrict, GCC bug 105651) on
// a literal plus a temporary string.
std::string offsets_text(uint64_t begin, uint64_t end) {
  std::string text = "[";
  text += std::to_string(begin);
  text += ", ";
  text += std::to_string(end);
  text += ']';
  return text;
}

// Parses the header strictly (json_strict.h): a duplicate top-level key is a second copy of a
// tensor, any other duplicate a repeated field.
Status parse_header_json(const std::string& text, const std::string& source, json* header) {
  StrictJson parsed = parse_json_strict(text);
  if (!parsed.error.empty()) return Status::error(source + ": header is not valid JSON (" + parsed.error + ")");
  if (!parsed.duplicate.empty()) {
    if (parsed.duplicate_top_level) return Status::error(source + ": duplicate tensor " + parsed.duplicate);
    return Status::error(source + ": header has duplicate key \"" + parsed.duplicate + "\"");
  }
  *header = std::move(parsed.value);
  return Status::ok();
}

// Where a tensor's bytes lie in the data buffer.
struct Placement {
  size_t index;  // into TensorFile::tensors
  uint64_t begin, end;
};

// Reads one tensor's entry: dtype, shape and offsets, checked against each other and the buffer.
Status parse_tensor_info(const std::string& name, const json& info, uint64_t buffer_size,
                         const std::string& source, TensorEntry* entry, Placement* placement) {
  const std::string where = source + ": tensor " + name;
  if (!info.is_object()) return Status::error(where + ": entry is not an object");
  for (const auto& item : info.items()) {
    if (item.key() != "dtype" && item.key() != "shape" && item.key() != "data_offsets") {
      return Status::error(where + ": unknown field \"" + item.key() +
                           "\" (expected dtype, shape, data_offsets)");
    }
  }
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (info.find(field) == info.end()) return Status::error(where + ": missing \"" + field + "\"");
  }

  const json& dtype = *info.find("dtype");
  if (!dtype.is_string()) return Status::error(where + ": dtype is not a string");
  const std::string& dtype_text = dtype.get_ref<const std::string&>();
  if (dtype_text == "F32") entry->dtype = Dtype::f32;
  else if (dtype_text == "F16") entry->dtype = Dtype::f16;
  else if (dtype_text == "I8") entry->dtype = Dtype::i8;
  else return Status::error(where + " has unsupported dtype " + dtype_text + " (tint reads F32, F16 and I8)");
  const uint64_t element_size = dtype_size(entry->dtype);

  // The element count is computed with overflow checks: a hostile shape such as
  // [2^32, 2^32, 16] must not wrap around to a small number that matches the offsets.
  const json& shape = *info.find("shape");
  const std::string shape_error = where + ": shape is not a list of non-negative integers";
  if (!shape.is_array()) return Status::error(shape_error);
  const uint64_t max_elements = std::numeric_limits<uint64_t>::max() / element_size;
  uint64_t elements = 1;
  bool has_zero = false, overflow = false;
  for (const json& dimension : shape) {
    if (!dimension.is_number_unsigned()) return Status::error(shape_error);  // negatives are signed
    const uint64_t size = dimension.get<uint64_t>();
    if (size > uint64_t(std::numeric_limits<int64_t>::max())) {
      return Status::error(where + ": shape dimension " + std::to_string(size) + " is too large");
    }
    entry->shape.push_back(int64_t(size));
    if (size == 0) has_zero = true;
    else if (elements > max_elements / size) overflow = true;
    else elements *= size;
  }
  if (has_zero) elements = 0;  // an empty tensor, whatever the other dimensions
  else if (overflow) return Status::error(where + ": shape has more elements than any file could hold");

  const json& offsets = *info.find("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned() || offsets[0].get<uint64_t>() > offsets[1].get<uint64_t>()) {
    return Status::error(where + ": data_offsets is not [begin, end] with 0 <= begin <= end");
  }
  placement->begin = offsets[0].get<uint64_t>();
  placement->end = offsets[1].get<uint64_t>();
  const uint64_t expected_bytes = elements * element_size;
  if (placement->end - placement->begin != expected_bytes) {
    return Status::error(where + " has shape " + shape_text(entry->shape) + " (" +
                         std::to_string(expected_bytes) + " bytes as " + dtype_text +
                         ") but data_offsets " + offsets_text(placement->begin, placement->end) +
                         " span " + std::to_string(placement->end - placement->begin) + " bytes");
  }
  if (placement->end > buffer_size) {
    return Status::error(where + ": data_offsets " + offsets_text(placement->begin, placement->end) +
                         " run past the end of the " + std::to_string(buffer_size) +
                         "-byte data buffer");
  }
  return Status::ok();
}

// Decodes little-endian F32/F16 explicitly (byte by byte), so big-endian hosts read the same
// values and unaligned offsets are fine; I8 bytes are two's complement integers. Rejects NaN and Inf: a diverged training run must not
// ship, and a non-finite weight would silently turn every output pixel into garbage.
Status decode_values(const uint8_t* bytes, const std::string& source, TensorEntry* entry) {
  const size_t count = entry->element_count();
  entry->values.resize(count);
  if (entry->dtype == Dtype::i8) {
    for (size_t i = 0; i < count; ++i) entry->values[i] = float(int8_t(bytes[i]));
    return Status::ok();
  }
  for (size_t i = 0; i < count; ++i) {
    uint32_t bits;
    if (entry->dtype == Dtype::f32) {
      const uint8_t* p = bytes + 4 * i;
      bits = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
    } else {
      const uint8_t* p = bytes + 2 * i;
      bits = float_bits(half_to_float(uint16_t(p[0] | p[1] << 8)));
    }
    // Checked on the bits rather than with std::isfinite, which -ffast-math may fold away.
    if ((bits & 0x7f800000u) == 0x7f800000u) {
      const char* what = (bits & 0x7fffffu) ? "NaN" : "Inf";
      return Status::error(source + ": tensor " + entry->name + " holds " + what + " at element " +
                           std::to_string(i));
    }
    entry->values[i] = float_from_bits(bits);
  }
  return Status::ok();
}

}  // namespace

const char* dtype_name(Dtype dtype) { return dtype == Dtype::f16 ? "F16" : dtype == Dtype::i8 ? "I8" : "F32"; }
size_t dtype_size(Dtype dtype) { return dtype == Dtype::f16 ? 2 : dtype == Dtype::i8 ? 1 : 4; }

size_t TensorEntry::element_count() const {
  size_t count = 1;
  for (int64_t size : shape) count *= size_t(size);
  return count;
}

const TensorEntry* TensorFile::find(const std::string& name) const {
  for (const TensorEntry& entry : tensors) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

Result<TensorFile> parse_safetensors(const uint8_t* bytes, size_t size, const std::string& source) {
  if (size < 8) {
    return Status::error(source + ": file is " + std::to_string(size) +
                         " bytes, too short for the 8-byte safetensors header length");
  }
  const uint64_t header_size = read_u64_le(bytes);
  if (header_size > kMaxHeaderBytes) {
    return Status::error(source + ": header length " + std::to_string(header_size) +
                         " is over the 100 MiB limit (not a safetensors file?)");
  }
  if (header_size > size - 8) {
    return Status::error(source + ": header length " + std::to_string(header_size) +
                         " runs past the end of the " + std::to_string(size) + "-byte file");
  }
  const uint8_t* buffer = bytes + 8 + header_size;
  const uint64_t buffer_size = size - 8 - header_size;

  json header;
  TINT_RETURN_IF_ERROR(parse_header_json(
      std::string(reinterpret_cast<const char*>(bytes + 8), size_t(header_size)), source, &header));
  if (!header.is_object()) return Status::error(source + ": header is not a JSON object");

  TensorFile file;
  std::vector<Placement> placements;
  for (const auto& item : header.items()) {
    if (item.key() == "__metadata__") {
      if (!item.value().is_object()) {
        return Status::error(source + ": __metadata__ is not an object of strings");
      }
      for (const auto& field : item.value().items()) {
        if (!field.value().is_string()) {
          return Status::error(source + ": __metadata__ value for \"" + field.key() +
                               "\" is not a string");
        }
        file.metadata[field.key()] = field.value().get<std::string>();
      }
      continue;
    }
    TensorEntry entry;
    entry.name = item.key();
    Placement placement{file.tensors.size(), 0, 0};
    TINT_RETURN_IF_ERROR(
        parse_tensor_info(item.key(), item.value(), buffer_size, source, &entry, &placement));
    file.tensors.push_back(std::move(entry));
    placements.push_back(placement);
  }

  // Tiling check on offsets sorted by position: each tensor must start where the previous ended,
  // the first at 0 and the last ending at the buffer's end. Unreferenced bytes could hide data;
  // overlapping tensors would alias.
  std::sort(placements.begin(), placements.end(), [&](const Placement& a, const Placement& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end < b.end;
    return file.tensors[a.index].name < file.tensors[b.index].name;
  });
  uint64_t position = 0;
  for (size_t i = 0; i < placements.size(); ++i) {
    const Placement& placement = placements[i];
    const std::string& name = file.tensors[placement.index].name;
    if (placement.begin < position) {
      const Placement& previous = placements[i - 1];
      return Status::error(source + ": tensors " + file.tensors[previous.index].name + " " +
                           offsets_text(previous.begin, previous.end) + " and " + name + " " +
                           offsets_text(placement.begin, placement.end) + " overlap");
    }
    if (placement.begin > position) {
      return Status::error(source + ": data buffer bytes " + offsets_text(position, placement.begin) +
                           " before tensor " + name + " belong to no tensor");
    }
    position = placement.end;
  }
  if (position != buffer_size) {
    return Status::error(source + ": data buffer has " + std::to_string(buffer_size - position) +
                         " trailing bytes after the last tensor");
  }

  // Only now, with every size checked against the file, allocate and decode.
  std::vector<TensorEntry> ordered;
  ordered.reserve(placements.size());
  for (const Placement& placement : placements) {
    TensorEntry& entry = file.tensors[placement.index];
    TINT_RETURN_IF_ERROR(decode_values(buffer + placement.begin, source, &entry));
    ordered.push_back(std::move(entry));
  }
  file.tensors = std::move(ordered);
  return file;
}

std::vector<uint8_t> serialize_safetensors(const TensorFile& file, Dtype dtype) {
  TensorFile as_dtype = file;
  for (TensorEntry& entry : as_dtype.tensors) entry.dtype = dtype;
  return serialize_safetensors(as_dtype);
}

std::vector<uint8_t> serialize_safetensors(const TensorFile& file) {
  json header = json::object();
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  uint64_t offset = 0;
  for (const TensorEntry& entry : file.tensors) {
    assert(entry.values.size() == entry.element_count() && "tensor values do not match its shape");
    assert(entry.name != "__metadata__" && header.find(entry.name) == header.end() &&
           "tensor names must be unique");
    const uint64_t bytes = uint64_t(entry.values.size()) * dtype_size(entry.dtype);
    header[entry.name] = {{"dtype", dtype_name(entry.dtype)},
                          {"shape", entry.shape},
                          {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  // error_handler_t::replace: invalid UTF-8 in a name or metadata value becomes U+FFFD instead of
  // the default exception (an abort under -fno-exceptions).
  std::string text = header.dump(-1, ' ', false, json::error_handler_t::replace);
  // Pad so the data buffer starts 8-byte aligned (8 + N is a multiple of 8), as the reference
  // writer does: readers that map the file can then view it as f32/f16 arrays in place.
  text.append((8 - text.size() % 8) % 8, ' ');

  std::vector<uint8_t> out;
  out.reserve(8 + text.size() + offset);
  append_u64_le(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
  for (const TensorEntry& entry : file.tensors) {
    for (float value : entry.values) {
      if (entry.dtype == Dtype::i8) {
        assert(value == std::nearbyint(value) && value >= -128.0f && value <= 127.0f && "i8 values are integers");
        out.push_back(uint8_t(int8_t(value)));
      } else if (entry.dtype == Dtype::f32) {
        const uint32_t bits = float_bits(value);
        for (int i = 0; i < 4; ++i) out.push_back(uint8_t(bits >> (8 * i)));
      } else {
        const uint16_t bits = float_to_half(value);
        out.push_back(uint8_t(bits));
        out.push_back(uint8_t(bits >> 8));
      }
    }
  }
  return out;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) text += ',';
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

}  // namespace tint
