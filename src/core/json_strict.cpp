#include "json_strict.h"

#include <set>
#include <vector>

namespace tint {
namespace {

using json = nlohmann::json;

// Only used after a failed parse, to say where the JSON is broken: the DOM parser without
// exceptions reports failure but not the position, while a SAX parse_error receives both.
class ParseErrorFinder : public nlohmann::json_sax<json> {
 public:
  std::string message = "unknown error";
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) override {
    message = error.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix: users need the position.
    const size_t bracket = message.find("] ");
    if (bracket != std::string::npos) message.erase(0, bracket + 2);
    return false;
  }
};

}  // namespace

StrictJson parse_json_strict(const std::string& text) {
  StrictJson result;
  const size_t nul = text.find('\0');
  if (nul != std::string::npos) {
    result.error = "NUL byte at offset " + std::to_string(nul);
    return result;
  }
  // The parser callback sees every key; one set of seen keys per open object catches
  // duplicates at any depth.
  std::vector<std::set<std::string>> open_objects;
  auto callback = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == json::parse_event_t::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == json::parse_event_t::key && !open_objects.empty() && result.duplicate.empty()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second) {
        result.duplicate = key;
        result.duplicate_top_level = open_objects.size() == 1;
      }
    }
    return true;
  };
  result.value = json::parse(text, callback, /*allow_exceptions=*/false);
  if (result.value.is_discarded()) {
    ParseErrorFinder finder;
    json::sax_parse(text, &finder);
    result.error = finder.message;
  }
  return result;
}

}  // namespace tint
