#include "common.h"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "file_io.h"
#include "weights.h"

namespace tint::cli {

namespace fs = std::filesystem;

namespace {
constexpr const char* shipped_model_name = "tint-v2.safetensors";

fs::path executable_directory() {
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::path(".") : self.parent_path();
}
}  // namespace

std::string find_shipped_model() {
  if (const char* from_environment = std::getenv("TINT_MODEL"); from_environment && *from_environment) {
    return from_environment;
  }
  const fs::path directory = executable_directory();
  // build/<preset>/tint -> weights/ of the source tree; <prefix>/bin/tint -> <prefix>/share/tint.
  for (const fs::path& candidate : {directory / "../../weights" / shipped_model_name,
                                    directory / "../weights" / shipped_model_name,
                                    directory / "../share/tint" / shipped_model_name}) {
    std::error_code error;
    if (fs::is_regular_file(candidate, error)) return fs::weakly_canonical(candidate, error).string();
  }
  return "";
}

std::vector<std::string> shipped_models() {
  std::vector<std::string> models;
  const std::string shipped = find_shipped_model();
  if (shipped.empty()) return models;
  const fs::path folder = fs::path(shipped).parent_path();
  for (const char* name : {"tint-baseline.safetensors", "tint-v1.safetensors", "tint-v2.safetensors"}) {
    if (fs::exists(folder / name)) models.push_back((folder / name).string());
  }
  return models;
}

std::vector<std::string> display_names(const std::vector<std::string>& models) {
  std::vector<std::string> names;
  for (const auto& model : models) {
    const fs::path path(model);
    const bool shared = std::count_if(models.begin(), models.end(),
                                      [&](const std::string& m) { return fs::path(m).stem() == path.stem(); }) > 1;
    names.push_back(shared ? path.parent_path().filename().string() + "-" + path.stem().string() : path.stem().string());
  }
  return names;
}

Result<Model> load_model_file(const std::string& path) {
  std::string chosen = path;
  if (chosen.empty()) {
    chosen = find_shipped_model();
    if (chosen.empty()) {
      return Status::error(std::string("no model given and no shipped model (weights/") + shipped_model_name +
                           ") found; pass --model FILE.safetensors or set TINT_MODEL");
    }
  }
  auto bytes = read_file(chosen, uint64_t(1) << 30);
  if (!bytes) return bytes.status();
  return load_model(bytes->data(), bytes->size(), chosen);
}

Result<Architecture> load_architecture(const std::string& name_or_path) {
  if (name_or_path == "baseline") return baseline_architecture();
  auto text = read_file(name_or_path, 1 << 20);
  if (!text) return text.status();
  return parse_architecture(std::string(text->begin(), text->end()), name_or_path);
}

void add_compute_options(CLI::App* command, ComputeArguments& args, const std::string& size_help, int min_size) {
  command->add_option("--size", args.size, size_help)->check(CLI::Range(min_size, 4096));
  command->add_option("--threads", args.threads, "Threads")->check(CLI::Range(1, 256))->capture_default_str();
  auto* backend = command->add_option("--backend", args.backend,
                                      args.backend.empty() ? "Only this compute backend (default: all)" : "Compute backend");
  backend->check(CLI::IsMember(available_backends()));
  if (!args.backend.empty()) backend->capture_default_str();
}

void add_hint_reach_option(CLI::App* command, ComputeArguments& args) {
  command->add_option("--hint-reach", args.hint_reach,
                      "Hints change colours only this far from them (share of the working size's long side, "
                      "measured along the photo's structure); 0: as far as the network spreads them")
      ->check(CLI::Range(0.0, 10.0))
      ->capture_default_str();
  command->add_flag("--match-hints,!--no-match-hints", args.match_hints,
                    "Match the hints (the default): they reweight the network's colour distribution, and the "
                    "difference between each hint's colour and the network's there is spread over the photo along "
                    "its structure, so the colours at the hints are the hints'. --no-match-hints: the network's "
                    "colours as they are");
}

Result<std::unique_ptr<Colorizer>> make_colorizer(Model model, const ComputeArguments& args, uint64_t max_pixels) {
  ColorizerOptions options;
  options.hint_reach = args.hint_reach;
  options.match_hints = args.match_hints;
  options.backend = args.backend;
  options.threads = args.threads;
  options.working_size = args.size;
  options.max_pixels = max_pixels;
  return Colorizer::create(std::move(model), options);
}

Result<std::vector<ColorHint>> read_hints(const std::vector<std::string>& texts, const std::string& file) {
  std::vector<ColorHint> hints;
  if (!file.empty()) {
    auto text = read_file(file, 16 << 20);
    if (!text) return text.status();
    auto parsed = parse_hints_json(std::string(text->begin(), text->end()), file);
    if (!parsed) return parsed.status();
    hints = std::move(parsed.value());
  }
  for (const std::string& text : texts) {
    auto hint = parse_hint(text);
    if (!hint) return hint.status();
    hints.push_back(hint.value());
  }
  if (hints.size() > kMaxHints) {
    return Status::error(std::to_string(hints.size()) + " hints, more than the " + std::to_string(kMaxHints) + " allowed");
  }
  return hints;
}

void print_error(const std::string& message) { std::fprintf(stderr, "tint: %s\n", message.c_str()); }

int default_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : int(std::min(cores, 16u));
}

}  // namespace tint::cli
