#include "layer_kind.h"

#include <mutex>

namespace tint {
namespace {

struct Registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<LayerKind>> kinds;
};

// The table: one line per built-in kind. Kinds are never removed, so the pointers handed out
// stay valid for the life of the process.
Registry& registry() {
  static Registry* table = [] {
    auto* made = new Registry;
    for (auto* make : {make_conv_kind, make_upsample_kind, make_concat_kind, make_add_kind, make_dropout_kind,
                       make_tanh_kind, make_softmax_kind, make_annealed_mean_kind}) {
      made->kinds.push_back(make());
    }
    return made;
  }();
  return *table;
}

}  // namespace

Status check_same_depth(const std::string& other_name, const LayerShape& previous, const LayerShape& other) {
  if (previous.depth == other.depth) return Status::ok();
  return Status::error(other_name + " is at depth " + std::to_string(other.depth) + " but the previous output is at depth " +
                       std::to_string(previous.depth) + " (resolutions must match)");
}

const LayerKind* find_layer_kind(const std::string& op) {
  Registry& table = registry();
  std::lock_guard<std::mutex> lock(table.mutex);
  for (const auto& kind : table.kinds)
    if (kind->op() == op) return kind.get();
  return nullptr;
}

std::vector<std::string> layer_kind_names() {
  Registry& table = registry();
  std::lock_guard<std::mutex> lock(table.mutex);
  std::vector<std::string> names;
  for (const auto& kind : table.kinds) names.push_back(kind->op());
  return names;
}

Status register_layer_kind(std::unique_ptr<LayerKind> kind) {
  if (!kind) return Status::error("register_layer_kind: no kind given");
  const std::string op = kind->op();
  if (find_layer_kind(op)) return Status::error("layer kind \"" + op + "\" is already registered");
  Registry& table = registry();
  std::lock_guard<std::mutex> lock(table.mutex);
  table.kinds.push_back(std::move(kind));
  return Status::ok();
}

}  // namespace tint
