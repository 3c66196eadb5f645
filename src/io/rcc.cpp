#include "rcc.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "file_io.h"

namespace tint {
namespace {

uint32_t be16(const uint8_t* p) { return uint32_t(p[0]) << 8 | p[1]; }
uint32_t be32(const uint8_t* p) { return be16(p) << 16 | be16(p + 2); }

// Is [offset, offset + length) inside the buffer? Written so that nothing can overflow.
bool fits(size_t size, uint64_t offset, uint64_t length) {
  return offset <= size && length <= size - offset;
}

constexpr uint16_t flag_compressed = 1;
constexpr uint16_t flag_directory = 2;
constexpr uint16_t flag_compressed_zstd = 4;

// UTF-16BE to UTF-8; false on an unpaired surrogate.
bool append_utf8_from_utf16be(const uint8_t* p, size_t units, std::string& out) {
  for (size_t i = 0; i < units; ++i) {
    uint32_t unit = be16(p + 2 * i);
    uint32_t code = unit;
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      if (i + 1 >= units) return false;
      uint32_t low = be16(p + 2 * (i + 1));
      if (low < 0xDC00 || low > 0xDFFF) return false;
      code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
      ++i;
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      return false;
    }
    if (code < 0x80) {
      out += char(code);
    } else if (code < 0x800) {
      out += char(0xC0 | code >> 6);
      out += char(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += char(0xE0 | code >> 12);
      out += char(0x80 | (code >> 6 & 0x3F));
      out += char(0x80 | (code & 0x3F));
    } else {
      out += char(0xF0 | code >> 18);
      out += char(0x80 | (code >> 12 & 0x3F));
      out += char(0x80 | (code >> 6 & 0x3F));
      out += char(0x80 | (code & 0x3F));
    }
  }
  return true;
}

class TreeWalk {
 public:
  TreeWalk(const uint8_t* bytes, size_t size, const std::string& source)
      : bytes_(bytes), size_(size), source_(source) {}

  Status read_header() {
    if (size_ < 20) return error("truncated header (" + std::to_string(size_) + " bytes)");
    if (std::memcmp(bytes_, "qres", 4) != 0) return error("not a Qt resource bundle (no \"qres\" magic)");
    version_ = be32(bytes_ + 4);
    if (version_ < 1 || version_ > 3) {
      return error("unsupported version " + std::to_string(version_) + " (expected 1, 2 or 3)");
    }
    if (version_ >= 3 && size_ < 24) return error("truncated header (" + std::to_string(size_) + " bytes)");
    tree_offset_ = be32(bytes_ + 8);
    data_offset_ = be32(bytes_ + 12);
    names_offset_ = be32(bytes_ + 16);
    node_size_ = version_ >= 2 ? 22 : 14;
    if (!fits(size_, tree_offset_, node_size_)) {
      return error("tree offset " + std::to_string(tree_offset_) + " is past the end" + of_size());
    }
    if (data_offset_ > size_) {
      return error("data offset " + std::to_string(data_offset_) + " is past the end" + of_size());
    }
    if (names_offset_ > size_) {
      return error("names offset " + std::to_string(names_offset_) + " is past the end" + of_size());
    }
    node_count_ = (size_ - tree_offset_) / node_size_;
    reached_.assign(node_count_, false);
    return Status::ok();
  }

  Status walk_root(std::vector<RccEntry>& entries) {
    reached_[0] = true;
    if (!(be16(node(0) + 4) & flag_directory)) return error("node 0 (the root) is not a directory");
    return walk_directory(0, "", 0, entries);
  }

 private:
  const uint8_t* node(uint64_t index) const { return bytes_ + tree_offset_ + index * node_size_; }

  std::string of_size() const { return " (" + std::to_string(size_) + " bytes)"; }

  Status error(const std::string& what) const { return Status::error(source_ + ": " + what); }
  Status node_error(uint64_t index, const std::string& what) const {
    return error("node " + std::to_string(index) + ": " + what);
  }

  Status read_name(uint64_t index, std::string& name) const {
    uint64_t offset = uint64_t(names_offset_) + be32(node(index));
    if (!fits(size_, offset, 6)) {
      return node_error(index, "name offset " + std::to_string(offset) + " is past the end" + of_size());
    }
    size_t units = be16(bytes_ + offset);
    if (!fits(size_, offset + 6, 2 * uint64_t(units))) {
      return node_error(index, "name of " + std::to_string(units) + " characters at offset " +
                                   std::to_string(offset) + " runs past the end" + of_size());
    }
    name.clear();
    if (!append_utf8_from_utf16be(bytes_ + offset + 6, units, name)) {
      return node_error(index, "name is not valid UTF-16 (unpaired surrogate)");
    }
    // Paths go straight into the file system when extracting: refuse anything that is not one
    // plain path component.
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos) {
      return node_error(index, "name \"" + std::string(name.c_str()) +
                                   "\" is not a plain file name (empty, \".\", \"..\", '/' or NUL)");
    }
    return Status::ok();
  }

  Status walk_directory(uint64_t index, const std::string& prefix, int depth,
                        std::vector<RccEntry>& entries) {
    if (depth >= max_rcc_depth) {
      return node_error(index, "tree deeper than " + std::to_string(max_rcc_depth) + " levels");
    }
    const uint8_t* p = node(index);
    uint64_t count = be32(p + 6);
    uint64_t first = be32(p + 10);
    if (count == 0) return Status::ok();
    if (first >= node_count_ || count > node_count_ - first) {
      return node_error(index, "children " + std::to_string(first) + ".." +
                                   std::to_string(first + count - 1) + " are past the end of the tree (" +
                                   std::to_string(node_count_) + " nodes fit)");
    }
    for (uint64_t child = first; child < first + count; ++child) {
      if (reached_[child]) {
        return node_error(index, "child node " + std::to_string(child) +
                                     " was already reached (a loop or a shared subtree)");
      }
      reached_[child] = true;
      std::string name;
      TINT_RETURN_IF_ERROR(read_name(child, name));
      std::string path = prefix.empty() ? name : prefix + "/" + name;
      const uint8_t* c = node(child);
      uint16_t flags = uint16_t(be16(c + 4));
      if (flags & flag_directory) {
        TINT_RETURN_IF_ERROR(walk_directory(child, path, depth + 1, entries));
        continue;
      }
      if (flags & flag_compressed_zstd) {
        return node_error(child, path + ": zstd-compressed entries are not supported");
      }
      RccEntry entry;
      entry.path = std::move(path);
      entry.compressed = (flags & flag_compressed) != 0;
      entry.node_index = uint32_t(child);
      entry.country = uint16_t(be16(c + 6));
      entry.language = uint16_t(be16(c + 8));
      entry.data_offset = uint64_t(data_offset_) + be32(c + 10);
      if (!fits(size_, entry.data_offset, 4)) {
        return node_error(child, entry.path + ": data offset " + std::to_string(entry.data_offset) +
                                     " is past the end" + of_size());
      }
      entry.stored_size = be32(bytes_ + entry.data_offset);
      if (!fits(size_, entry.data_offset + 4, entry.stored_size)) {
        return node_error(child, entry.path + ": " + std::to_string(entry.stored_size) +
                                     " bytes of data at offset " + std::to_string(entry.data_offset) +
                                     " run past the end" + of_size());
      }
      if (entry.compressed) {
        if (entry.stored_size < 4) {
          return node_error(child, entry.path + ": compressed data shorter than its 4-byte size");
        }
        entry.size = be32(bytes_ + entry.data_offset + 4);
      } else {
        entry.size = entry.stored_size;
      }
      entries.push_back(std::move(entry));
    }
    return Status::ok();
  }

  const uint8_t* bytes_;
  size_t size_;
  const std::string& source_;
  uint32_t version_ = 0;
  uint32_t tree_offset_ = 0;
  uint32_t data_offset_ = 0;
  uint32_t names_offset_ = 0;
  uint64_t node_size_ = 14;
  uint64_t node_count_ = 0;
  std::vector<bool> reached_;
};

// Inflates a zlib stream that must produce exactly `declared` bytes. The output buffer grows
// by doubling with what the stream actually yields, so a tiny bundle that declares 256 MiB
// costs only what it inflates to.
Result<std::vector<uint8_t>> inflate_exactly(const uint8_t* input, size_t input_size,
                                             uint64_t declared, const std::string& where) {
  z_stream stream;
  std::memset(&stream, 0, sizeof stream);
  if (inflateInit(&stream) != Z_OK) return Status::error(where + ": zlib failed to initialise");
  stream.next_in = const_cast<Bytef*>(input);
  stream.avail_in = uInt(input_size);  // input_size < 2^32: it came from a u32 length
  std::vector<uint8_t> out;
  uint64_t produced = 0;
  const uint64_t limit = declared + 1;  // one byte more than declared detects an overlong stream
  int result = Z_OK;
  std::string problem;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() >= limit) {
        problem = "inflates to more than the declared " + std::to_string(declared) + " bytes";
        break;
      }
      uint64_t grown = std::min<uint64_t>(limit, std::max<uint64_t>(64 * 1024, out.size() * 2));
      out.resize(size_t(grown));
    }
    uint64_t room = std::min<uint64_t>(out.size() - produced, UINT_MAX);
    stream.next_out = out.data() + produced;
    stream.avail_out = uInt(room);
    result = inflate(&stream, Z_NO_FLUSH);
    produced += room - stream.avail_out;
    if (result == Z_STREAM_END) break;
    if (result == Z_OK) continue;
    if (result == Z_BUF_ERROR && stream.avail_out == 0) continue;  // needs more room
    if (result == Z_BUF_ERROR) {
      problem = "zlib stream is truncated";
    } else {
      problem = std::string("zlib error: ") + (stream.msg ? stream.msg : "code " + std::to_string(result));
    }
    break;
  }
  inflateEnd(&stream);
  if (!problem.empty()) return Status::error(where + ": " + problem);
  if (produced != declared) {
    return Status::error(where + ": inflates to " + std::to_string(produced) + " bytes, declared " +
                         std::to_string(declared));
  }
  out.resize(size_t(produced));
  return out;
}

}  // namespace

Result<std::vector<RccEntry>> list_rcc(const uint8_t* bytes, size_t size,
                                       const std::string& source) {
  TreeWalk walk(bytes, size, source);
  TINT_RETURN_IF_ERROR(walk.read_header());
  std::vector<RccEntry> entries;
  TINT_RETURN_IF_ERROR(walk.walk_root(entries));
  return entries;
}

Result<std::vector<uint8_t>> read_rcc_entry(const uint8_t* bytes, size_t size,
                                            const RccEntry& entry, const std::string& source,
                                            uint64_t max_bytes) {
  std::string where = source + ": " + entry.path;
  if (!fits(size, entry.data_offset, 4)) {
    return Status::error(where + ": data offset " + std::to_string(entry.data_offset) +
                         " is past the end (" + std::to_string(size) + " bytes)");
  }
  uint32_t stored = be32(bytes + entry.data_offset);
  if (stored != entry.stored_size) {
    return Status::error(where + ": entry does not match the bundle (stored size " +
                         std::to_string(stored) + ", listed " + std::to_string(entry.stored_size) + ")");
  }
  if (!fits(size, entry.data_offset + 4, stored)) {
    return Status::error(where + ": " + std::to_string(stored) + " bytes of data run past the end (" +
                         std::to_string(size) + " bytes)");
  }
  const uint8_t* data = bytes + entry.data_offset + 4;
  if (!entry.compressed) {
    if (stored > max_bytes) {
      return Status::error(where + ": " + format_byte_count(stored) + " is above the limit of " +
                           format_byte_count(max_bytes));
    }
    return std::vector<uint8_t>(data, data + stored);
  }
  if (stored < 4) return Status::error(where + ": compressed data shorter than its 4-byte size");
  uint32_t declared = be32(data);
  if (declared > max_bytes) {
    return Status::error(where + ": declared uncompressed size " + format_byte_count(declared) +
                         " is above the limit of " + format_byte_count(max_bytes));
  }
  // qCompress writes an empty input as just its four zero size bytes, with no zlib stream.
  if (stored == 4) {
    if (declared == 0) return std::vector<uint8_t>();
    return Status::error(where + ": declares " + std::to_string(declared) + " bytes but holds no zlib stream");
  }
  return inflate_exactly(data + 4, stored - 4, declared, where);
}

bool path_matches_glob(const std::string& path, const std::string& glob) {
  // Greedy matching with one backtrack point, as '*' cannot cross '/': when a later character
  // fails, the last '*' takes one more character, unless that character is '/'.
  size_t p = 0, g = 0;
  size_t star_glob = std::string::npos, star_path = 0;
  while (p < path.size()) {
    if (g < glob.size() && glob[g] == '*') {
      star_glob = g++;
      star_path = p;
    } else if (g < glob.size() && (glob[g] == path[p] || (glob[g] == '?' && path[p] != '/'))) {
      ++g;
      ++p;
    } else if (star_glob != std::string::npos && path[star_path] != '/') {
      g = star_glob + 1;
      p = ++star_path;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

}  // namespace tint
