// Qt resource bundles (.rcc, what `rcc -binary` writes): a listing and a reader for the files
// inside. GCompris ships its photos this way (docs/design.md, "Data"); tools/rcc/rcc_extract.cpp is
// the thin tool over this file. Every offset, count and size read from the bundle is checked
// against the buffer before use, so a malformed or hostile bundle gives a one-line error that
// names it, never a crash, an endless walk or a huge allocation.
//
// Layout (all integers big-endian):
//   header   "qres", u32 version (1, 2 or 3), u32 tree offset, u32 data offset,
//            u32 names offset, and from version 3 u32 flags
//   tree     nodes of 14 bytes (22 from version 2, which appends a u64 modification time):
//            u32 name offset (into names), u16 flags (1 zlib-compressed, 2 directory,
//            4 zstd-compressed in version 3), then for a directory u32 child count and u32
//            index of its first child node, for a file u16 country, u16 language and u32 data
//            offset (into data). Node 0 is the root; a directory's children are consecutive.
//   names    u16 length in UTF-16 units, u32 hash, then the UTF-16BE characters
//   data     u32 length, then that many bytes; a zlib-compressed entry's bytes are Qt's
//            qCompress format: u32 uncompressed size, then a zlib stream
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace tint {

struct RccEntry {
  std::string path;          // UTF-8, '/'-separated from the bundle's root, no leading '/'
  bool compressed = false;   // zlib (qCompress); the bytes read back are always uncompressed
  uint32_t node_index = 0;   // the file's node in the tree
  uint64_t data_offset = 0;  // absolute offset of the entry's u32 length in the buffer
  uint32_t stored_size = 0;  // bytes after that length, as stored
  uint32_t size = 0;         // uncompressed size (as declared, for a compressed entry)
  uint16_t country = 0;      // QLocale country and language; 0 for "any"
  uint16_t language = 0;
};

// 256 MiB: far above any resource GCompris ships (the largest photo is a few MiB), far below
// what a corrupt size field could ask for.
constexpr uint64_t default_max_rcc_entry_bytes = 256ull << 20;

// Bounds on the tree walk: a real bundle nests a dozen levels at most. Each node may be reached
// once, so loops and shared subtrees are errors, and the walk visits at most as many nodes as
// fit in the buffer.
constexpr int max_rcc_depth = 64;

// Lists the files (not directories) in tree order, with their paths. `source` names the
// bundle in messages ("erase.rcc: node 12: name offset 9000 is past the end (4096 bytes)").
// Errors: short or bad header, unknown version, node/name/data offsets out of range, a child
// index reached twice (a loop) or a tree deeper than max_rcc_depth, bad UTF-16 in a name, a
// name that is empty, ".", "..", or holds '/' or NUL (it would not be a safe path), and
// zstd-compressed entries (not supported).
Result<std::vector<RccEntry>> list_rcc(const uint8_t* bytes, size_t size,
                                       const std::string& source);

// The entry's bytes, uncompressed. `entry` must come from list_rcc on the same buffer, but it
// is checked again against the buffer all the same. Errors: data past the end, a size above
// max_bytes, zlib errors, and a stream that inflates to more or fewer bytes than declared.
// Memory grows with the bytes actually inflated, never with the declared size alone.
Result<std::vector<uint8_t>> read_rcc_entry(const uint8_t* bytes, size_t size,
                                            const RccEntry& entry, const std::string& source,
                                            uint64_t max_bytes = default_max_rcc_entry_bytes);

// Shell-style match of a whole '/'-separated path: '*' is any run of characters within one
// path component (it never crosses '/'), '?' is one character other than '/', everything else
// matches itself. "gcompris/*/erase/resource/*.webp". Works on bytes, so '?' is one byte.
bool path_matches_glob(const std::string& path, const std::string& glob);

}  // namespace tint
