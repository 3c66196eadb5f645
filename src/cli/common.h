// Shared pieces of the `tint` subcommands: model loading and lookup of the shipped model.
#pragma once

#include <memory>
#include <string>

#include "model.h"
#include "network.h"
#include "ops.h"
#include "status.h"

namespace tint::cli {

// The default model: $TINT_MODEL, else weights/tint-v1.safetensors next to the source tree or
// install prefix of this executable. Empty when none exists.
std::string find_shipped_model();
// `path`, or the shipped model when `path` is empty (an error explains what was searched).
Result<Model> load_model_file(const std::string& path);

// "baseline" (built in) or an architecture JSON file (the schema of the weights metadata).
Result<Architecture> load_architecture(const std::string& name_or_path);

// A backend plus the network prepared on it.
struct Engine {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Network> network;
};
Result<Engine> make_engine(const Model& model, const std::string& backend, int threads);

// One-line error on stderr: "tint: <message>".
void print_error(const std::string& message);
int default_threads();

}  // namespace tint::cli
