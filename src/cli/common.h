// Shared pieces of the `tint` subcommands: model loading, lookup of the shipped model, the
// compute flags and the colouriser built from them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "colorizer.h"
#include "hints.h"
#include "model.h"
#include "ops.h"
#include "status.h"

namespace CLI {
class App;
}

namespace tint::cli {

// The default model: $TINT_MODEL, else weights/tint-v1.safetensors next to the source tree or
// install prefix of this executable. Empty when none exists.
std::string find_shipped_model();
// Every shipped model beside the default one (baseline, v1, ...), for `tint eval`.
std::vector<std::string> shipped_models();
// Names for weights files in tables: each file's stem; stems that repeat (runs/a/best,
// runs/b/best) get their folder in front ("a-best").
std::vector<std::string> display_names(const std::vector<std::string>& paths);
// `path`, or the shipped model when `path` is empty (an error explains what was searched).
Result<Model> load_model_file(const std::string& path);

// "baseline" (built in) or an architecture JSON file (the schema of the weights metadata).
Result<Architecture> load_architecture(const std::string& name_or_path);

int default_threads();

// How a command computes: the --threads, --backend and --size flags every model-running
// command shares. Set the defaults on the struct before add_compute_options.
struct ComputeArguments {
  std::string backend = default_backend_name();  // "" (bench): every backend
  int threads = default_threads();
  int size = 0;  // long side the network sees; 0 = the model's
  float hint_reach = 0;  // ColorizeOptions::hint_reach (colorize and eval)
  bool match_hints = true;  // ColorizeOptions::match_hints (colorize and eval)
};
void add_compute_options(CLI::App* command, ComputeArguments& args, const std::string& size_help, int min_size = 16);
// --hint-reach and --match-hints, for the commands that colourise with hints.
void add_hint_reach_option(CLI::App* command, ComputeArguments& args);
// A colouriser for `model` (loaded by load_model_file) with these flags and pixel limit.
Result<std::unique_ptr<Colorizer>> make_colorizer(Model model, const ComputeArguments& args,
                                                  uint64_t max_pixels = default_max_pixels);

// --hint X,Y,#rrggbb (each of `hints`) and --hints FILE.json (`file`, may be ""), together at
// most kMaxHints.
Result<std::vector<ColorHint>> read_hints(const std::vector<std::string>& hints, const std::string& file);

// One-line error on stderr: "tint: <message>".
void print_error(const std::string& message);

}  // namespace tint::cli
