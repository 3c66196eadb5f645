// Whole-file reads and crash-safe writes. Every failure comes back as a Status whose message
// names the path and the problem in one line; nothing here throws or prints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace tint {

// 2 GiB: stb_image takes an int length, and no input tint handles is legitimately larger.
constexpr uint64_t default_max_file_bytes = 1ull << 31;

// Reads the whole file. Errors: missing, a directory, unreadable, empty ("x.png: file is
// empty"), or larger than max_bytes.
Result<std::vector<uint8_t>> read_file(const std::string& path,
                                       uint64_t max_bytes = default_max_file_bytes);

// Writes to a uniquely named temp file in the same directory (".<name>.tmp-<pid>-<counter>"),
// fsyncs it, then renames it over `path`, so a reader sees either the old file or the whole
// new one, never a partial one. On failure the temp file is removed and `path` is untouched.
// A symlink at `path` is replaced by the new file, not written through.
Status write_file_atomic(const std::string& path, const void* data, size_t size);

// "12 B", "3.0 KiB", "2.0 GiB": sizes in messages.
std::string format_byte_count(uint64_t bytes);

}  // namespace tint
