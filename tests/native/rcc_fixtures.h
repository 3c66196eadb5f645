// Qt resource bundles built in memory (versions 1-3, nested folders, stored and zlib entries),
// for test_rcc.cpp and the fuzzer's seeds (tools/fuzz).
#pragma once

#include "fixture_check.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace tint_test {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& out, uint32_t v) {
  out.push_back(uint8_t(v >> 8));
  out.push_back(uint8_t(v));
}
inline void put32(Bytes& out, uint32_t v) {
  put16(out, v >> 16);
  put16(out, v & 0xFFFF);
}
inline void set32(Bytes& out, size_t at, uint32_t v) {
  out[at] = uint8_t(v >> 24);
  out[at + 1] = uint8_t(v >> 16);
  out[at + 2] = uint8_t(v >> 8);
  out[at + 3] = uint8_t(v);
}
inline void set16(Bytes& out, size_t at, uint32_t v) {
  out[at] = uint8_t(v >> 8);
  out[at + 1] = uint8_t(v);
}

// UTF-8 (as written in these tests) to UTF-16 units.
inline std::vector<uint16_t> utf16_of(const std::string& text) {
  std::vector<uint16_t> units;
  for (size_t i = 0; i < text.size();) {
    uint8_t c = uint8_t(text[i]);
    uint32_t code;
    int extra;
    if (c < 0x80) { code = c; extra = 0; }
    else if (c < 0xE0) { code = c & 0x1F; extra = 1; }
    else if (c < 0xF0) { code = c & 0x0F; extra = 2; }
    else { code = c & 0x07; extra = 3; }
    for (int k = 1; k <= extra; ++k) code = code << 6 | (uint8_t(text[i + size_t(k)]) & 0x3F);
    i += size_t(extra) + 1;
    if (code >= 0x10000) {
      units.push_back(uint16_t(0xD800 + ((code - 0x10000) >> 10)));
      units.push_back(uint16_t(0xDC00 + ((code - 0x10000) & 0x3FF)));
    } else {
      units.push_back(uint16_t(code));
    }
  }
  return units;
}

// Qt's qt_hash over UTF-16 units (the reader ignores it; written for realism).
inline uint32_t qt_hash(const std::vector<uint16_t>& units) {
  uint32_t h = 0;
  for (uint16_t unit : units) {
    h = (h << 4) + unit;
    h ^= (h & 0xF0000000) >> 23;
    h &= 0x0FFFFFFF;
  }
  return h;
}

// qCompress's format: u32 uncompressed size, then a zlib stream.
inline Bytes q_compress(const Bytes& data) {
  uLongf bound = compressBound(uLong(data.size()));
  Bytes out(4 + bound);
  set32(out, 0, uint32_t(data.size()));
  fixture_check(compress2(out.data() + 4, &bound, data.data(), uLong(data.size()), 9) == Z_OK, "compress2");
  out.resize(4 + bound);
  return out;
}

struct FileSpec {
  std::string path;
  Bytes data;
  bool compress = false;
};

struct Built {
  Bytes bytes;
  uint32_t tree_offset = 0, data_offset = 0, names_offset = 0;
  size_t node_size = 0;
  std::map<std::string, uint32_t> node_of;  // path ("" for the root) -> node index
  size_t node_at(const std::string& path) const { return tree_offset + node_of.at(path) * node_size; }
};

// Writes a bundle the way Qt's rcc does: header, data, names, then the tree numbered breadth
// first, so each folder's children are consecutive nodes.
inline Built build_rcc(uint32_t version, const std::vector<FileSpec>& files) {
  struct Node {
    std::string name, path;
    bool directory = true;
    const FileSpec* file = nullptr;
    std::map<std::string, std::unique_ptr<Node>> children;
  };
  Node root;
  for (const FileSpec& file : files) {
    Node* at = &root;
    size_t start = 0;
    for (;;) {
      size_t slash = file.path.find('/', start);
      std::string part = file.path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      auto& child = at->children[part];
      if (!child) {
        child = std::make_unique<Node>();
        child->name = part;
        child->path = file.path.substr(0, slash);
      }
      at = child.get();
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    at->directory = false;
    at->file = &file;
  }
  std::vector<Node*> order{&root};  // breadth first
  for (size_t i = 0; i < order.size(); ++i) {
    for (auto& [name, child] : order[i]->children) order.push_back(child.get());
  }

  Built built;
  Bytes& out = built.bytes;
  for (char c : std::string("qres")) out.push_back(uint8_t(c));  // (insert of a list trips a GCC 12 false warning)
  put32(out, version);
  size_t offsets_at = out.size();
  put32(out, 0);
  put32(out, 0);
  put32(out, 0);
  if (version >= 3) put32(out, 0);  // flags

  built.data_offset = uint32_t(out.size());
  std::map<const Node*, uint32_t> data_of, name_of;
  for (const Node* node : order) {
    if (node->directory) continue;
    data_of[node] = uint32_t(out.size()) - built.data_offset;
    Bytes stored = node->file->compress ? q_compress(node->file->data) : node->file->data;
    put32(out, uint32_t(stored.size()));
    out.insert(out.end(), stored.begin(), stored.end());
  }
  built.names_offset = uint32_t(out.size());
  for (const Node* node : order) {
    if (node == &root) continue;
    name_of[node] = uint32_t(out.size()) - built.names_offset;
    std::vector<uint16_t> units = utf16_of(node->name);
    put16(out, uint32_t(units.size()));
    put32(out, qt_hash(units));
    for (uint16_t unit : units) put16(out, unit);
  }
  built.tree_offset = uint32_t(out.size());
  built.node_size = version >= 2 ? 22 : 14;
  std::map<const Node*, uint32_t> index_of;
  for (size_t i = 0; i < order.size(); ++i) index_of[order[i]] = uint32_t(i);
  for (const Node* node : order) {
    built.node_of[node->path] = index_of[node];
    put32(out, node == &root ? 0 : name_of[node]);
    if (node->directory) {
      put16(out, 2);
      put32(out, uint32_t(node->children.size()));
      put32(out, node->children.empty() ? 0 : index_of[node->children.begin()->second.get()]);
    } else {
      put16(out, node->file->compress ? 1 : 0);
      put16(out, 0);  // country: any
      put16(out, 1);  // language: C
      put32(out, data_of[node]);
    }
    if (version >= 2) {
      put32(out, 0);
      put32(out, 1700000000);  // modification time, ms since the epoch (low word only)
    }
  }
  set32(out, offsets_at, built.tree_offset);
  set32(out, offsets_at + 4, built.data_offset);
  set32(out, offsets_at + 8, built.names_offset);
  return built;
}

inline Bytes pattern(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  Bytes bytes(size);
  for (uint8_t& b : bytes) b = uint8_t(random() % 7 == 0 ? random() : 'a' + random() % 3);  // compressible
  return bytes;
}

inline std::vector<FileSpec> sample_files() {
  return {
      {"gcompris/src/activities/erase/resource/photo1.webp", pattern(5000, 1), true},
      {"gcompris/src/activities/erase/resource/photo2.webp", pattern(1234, 2), false},
      {"gcompris/src/activities/erase/resource/nested/deep/x.bin", pattern(70000, 3), true},
      {"gcompris/src/activities/erase/Erase.qml", pattern(10, 4), false},
      {"gcompris/src/activities/details/resource/image/Neuschwanstein_background.webp", pattern(100000, 5), true},
      {"empty-stored", {}, false},
      {"empty-compressed", {}, true},
      {"caf\xC3\xA9/\xF0\x9F\x93\xB7.txt", pattern(3, 6), false},  // café/📷.txt: a surrogate pair
  };
}

}  // namespace tint_test
