// tint info FILE: what a weights file holds - architecture, size, cost, metadata.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "commands.h"
#include "common.h"

namespace tint::cli {

namespace {

int run_info(const std::string& path) {
  auto model = load_model_file(path);
  if (!model) return print_error(model.message()), 1;
  const Model& m = model.value();
  const auto& architecture = m.architecture;
  const auto layer_flops = m.layer_flops(256, 256);
  std::printf("architecture  %s\n", architecture.name.c_str());
  std::printf("parameters    %lld\n", (long long)m.parameter_count());
  std::printf("FLOPs         %.2f G at 256x256 (2 x multiply-adds)\n", m.flops(256, 256) * 1e-9);
  std::printf("working size  %d (sides padded to multiples of %d)\n\n", architecture.working_size,
              stride_multiple(architecture));
  std::printf("%-12s %-13s %-22s %9s %10s\n", "layer", "op", "detail", "params", "GFLOP@256");
  for (size_t i = 0; i < architecture.layers.size(); ++i) {
    const Layer& layer = architecture.layers[i];
    const LayerShape& shape = m.shapes[i];
    const LayerKind* kind = find_layer_kind(layer.op);
    const std::string detail = kind ? kind->describe(layer, shape) : "";
    long long params = 0;
    for (const Parameter& parameter : parameter_layout(architecture, m.shapes)) {
      if (parameter.name.rfind(layer.name + ".", 0) != 0) continue;
      long long size = 1;
      for (int dimension : parameter.shape) size *= dimension;
      params += size;
    }
    std::printf("%-12s %-13s %-22s %9lld %10.3f\n", layer.name.c_str(), layer.op.c_str(), detail.c_str(), params,
                layer_flops[i] * 1e-9);
  }
  if (!m.metadata.empty()) std::printf("\nmetadata\n");
  for (const auto& [key, value] : m.metadata) std::printf("  %s: %s\n", key.c_str(), value.c_str());
  return 0;
}

}  // namespace

Command add_info_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand("info", "Show a weights file's architecture, parameters, FLOPs and metadata");
  command->add_option("model", *path, "Weights file (.safetensors; default: the shipped model)");
  return {command, [path] { return run_info(*path); }};
}

}  // namespace tint::cli
