// JSON from files of unknown origin (weights headers, architecture JSON), parsed strictly: a raw
// NUL byte is an error (nlohmann would silently stop reading there) and so is a duplicate key
// (nlohmann would silently keep the last copy, letting a file hide a second tensor or field).
// Never throws (the WASM build has no exceptions).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace tint {

struct StrictJson {
  nlohmann::json value;
  std::string error;         // why the text is not JSON ("" when it is): a position and reason
  std::string duplicate;     // the first key seen twice in one object ("" when none)
  bool duplicate_top_level = false;  // that key belongs to the outermost object
  bool ok() const { return error.empty() && duplicate.empty(); }
};

StrictJson parse_json_strict(const std::string& text);

}  // namespace tint
