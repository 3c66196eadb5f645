// tint convert IN OUT [--dtype f16|f32|i8] [--keep-float LAYER] [--name N]: rewrite a weights file
// (e.g. a training run's f32 last.safetensors as the f16 or 8-bit file a web page downloads),
// keeping its architecture and metadata (or renaming the architecture, e.g. an experiment's JSON
// name to the shipped model's).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "common.h"
#include "file_io.h"
#include "weights.h"

namespace tint::cli {

namespace {

struct ConvertArguments {
  std::string input, output, dtype = "f16", name;
  std::vector<std::string> training_fields;  // KEY=JSON merged into the "training" metadata
  std::vector<std::string> float_layers;     // i8: layers whose weights stay f16
};

int run_convert(const ConvertArguments& args) {
  auto model = load_model_file(args.input);
  if (!model) return print_error(model.message()), 1;
  const Dtype dtype = args.dtype == "f16" ? Dtype::f16 : args.dtype == "i8" ? Dtype::i8 : Dtype::f32;
  if (!args.float_layers.empty() && dtype != Dtype::i8) return print_error("convert: --keep-float needs --dtype i8"), 2;
  for (const std::string& layer : args.float_layers) {
    const auto& layers = model->architecture.layers;
    if (std::none_of(layers.begin(), layers.end(), [&](const Layer& l) { return l.name == layer; })) {
      return print_error("convert: --keep-float " + layer + ": the architecture has no such layer"), 2;
    }
  }
  if (dtype != Dtype::f32) {
    for (const auto& parameter : model->parameters)
      for (float v : parameter.values)
        if (std::fabs(v) >= 65504.0f) {
          print_error(args.input + ": " + parameter.name + " holds " + std::to_string(v) + ", beyond f16's range");
          return 1;
        }
  }
  for (const std::string& field : args.training_fields) {
    const size_t equals = field.find('=');
    const auto value = nlohmann::json::parse(equals == std::string::npos ? "" : field.substr(equals + 1), nullptr, false);
    if (equals == std::string::npos || equals == 0 || value.is_discarded()) {
      print_error("convert: --training-field takes KEY=JSON, got '" + field + "'");
      return 2;
    }
    auto training = nlohmann::json::object();
    if (auto it = model->metadata.find("training"); it != model->metadata.end()) {
      training = nlohmann::json::parse(it->second, nullptr, false);
      if (!training.is_object()) return print_error(args.input + ": \"training\" metadata is not a JSON object"), 1;
    }
    training[field.substr(0, equals)] = value;
    model->metadata["training"] = training.dump();
  }
  if (!args.name.empty()) model->architecture.name = args.name;
  const auto bytes = save_model(model.value(), dtype, args.float_layers);
  if (auto status = write_file_atomic(args.output, bytes.data(), bytes.size()); !status) {
    return print_error(status.message()), 1;
  }
  std::printf("%s -> %s (%s, %zu bytes)\n", args.input.c_str(), args.output.c_str(), args.dtype.c_str(), bytes.size());
  return 0;
}

}  // namespace

Command add_convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArguments>();
  CLI::App* command = app.add_subcommand("convert", "Rewrite a weights file, e.g. as f16 (half the size)");
  command->add_option("input", args->input, "Weights file to read")->required();
  command->add_option("output", args->output, "Weights file to write (atomically)")->required();
  command->add_option("--training-field", args->training_fields,
                      "KEY=JSON to set in the \"training\" metadata (e.g. eval figures); repeatable");
  command->add_option("--name", args->name, "Rename the architecture stored in the file")
      ->check([](const std::string& name) { return name.empty() ? std::string("must not be empty") : std::string(); });
  command->add_option("--dtype", args->dtype, "Storage type (i8: 8-bit weights with a scale per output channel, the rest f16)")
      ->check(CLI::IsMember({"f16", "f32", "i8"}))
      ->capture_default_str();
  command->add_option("--keep-float", args->float_layers, "With --dtype i8: keep this layer's weights f16; repeatable");
  return {command, [args] { return run_convert(*args); }};
}

}  // namespace tint::cli
