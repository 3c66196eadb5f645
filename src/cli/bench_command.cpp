// tint bench: forward time per layer and in total on every backend, with GFLOP/s. Backends run
// in interleaved rounds (this kind of machine drifts), and the best round per layer is kept.
// Also times one 64->64 conv at 128x128 so the whole model's rate can be read against it.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "common.h"
#include "benchmark.h"

namespace tint::cli {

namespace {

struct BenchArguments {
  std::string model;
  ComputeArguments compute{"", 1, 256};  // every backend, one thread, 256x256
  int runs = 5;
  std::string arch;     // random weights of this architecture (baseline or FILE.json)
  bool train = false, profile = false;
  int batch = 16, crop = 128;
};

Result<Model> bench_model(const BenchArguments& args) {
  if (!args.model.empty() || (args.arch.empty() && !find_shipped_model().empty())) return load_model_file(args.model);
  auto loaded = load_architecture(args.arch.empty() ? "baseline" : args.arch);
  if (!loaded) return loaded.status();
  const Architecture& architecture = loaded.value();
  std::printf("model: %s architecture with random weights\n", architecture.name.c_str());
  std::fflush(stdout);
  return create_model(architecture, 1);
}

std::vector<std::string> bench_backends(const BenchArguments& args) {
  return args.compute.backend.empty() ? available_backends() : std::vector<std::string>{args.compute.backend};
}

// A step's phases, largest first: mean milliseconds per step and share of the profiled time.
void print_profile(const Profile& profile, int steps) {
  std::vector<std::pair<double, std::string>> phases;
  double total = 0;
  for (const auto& [phase, ms] : profile.milliseconds) phases.emplace_back(ms / steps, phase), total += ms / steps;
  std::sort(phases.rbegin(), phases.rend());
  std::printf("    %-40s %9s %6s\n", "phase (own time, mean of the timed steps)", "ms/step", "share");
  for (const auto& [ms, phase] : phases) std::printf("    %-40s %9.1f %5.1f%%\n", phase.c_str(), ms, 100.0 * ms / total);
  std::printf("    %-40s %9.1f\n", "total", total);
}

// Training steps per second (forward, MSE, backward, Adam) on random batches: the figure
// tools/bench/train_vs_torch.sh sets against PyTorch's.
int run_train_bench(const BenchArguments& args) {
  auto model = bench_model(args);
  if (!model) return print_error(model.message()), 1;
  const int multiple = stride_multiple(model->architecture);
  const int crop = (args.crop + multiple - 1) / multiple * multiple;
  std::printf("training steps of %s, batch %d, crop %d, %d thread(s)\n", model->architecture.name.c_str(), args.batch,
              crop, args.compute.threads);
  for (const auto& name : bench_backends(args)) {
    Profile profile;
    auto best = time_training_step(model.value(), name, args.compute.threads, args.batch, crop, args.runs,
                                   args.profile ? &profile : nullptr);
    if (!best) return print_error(best.message()), 1;
    std::printf("  %-8s %9.1f ms/step  %6.2f steps/s  %6.1f images/s  %6.1f GFLOP/s (forward+backward = 3x forward)\n",
                name.c_str(), *best, 1000.0 / *best, 1000.0 * args.batch / *best,
                3.0 * model->flops(crop, crop) * args.batch / (*best * 1e6));
    if (args.profile) print_profile(profile, args.runs);
  }
  return 0;
}

int run_bench(const BenchArguments& args) {
  if (args.train) return run_train_bench(args);
  auto model = bench_model(args);
  if (!model) return print_error(model.message()), 1;
  const Model& m = model.value();
  const int multiple = stride_multiple(m.architecture);
  const int size = (args.compute.size + multiple - 1) / multiple * multiple;
  std::fprintf(stderr, "timing %d rounds at %dx%d, %d thread(s)...\n", args.runs, size, size, args.compute.threads);
  auto timed = time_forward(m, bench_backends(args), args.compute.threads, size, args.runs);
  if (!timed) return print_error(timed.message()), 1;
  const auto& backends = timed.value();

  const auto layer_flops = m.layer_flops(size, size);
  const double total_flops = m.flops(size, size);
  const double conv_flops = 2.0 * 9 * kYardstickChannels * kYardstickChannels * kYardstickSize * kYardstickSize;
  std::printf("\n%s at %dx%d, %d thread(s), best of %d rounds\n\n", m.architecture.name.c_str(), size, size,
              args.compute.threads, args.runs);
  std::printf("%-12s %9s", "layer", "GFLOP");
  for (const auto& b : backends) std::printf(" | %9s ms %8s", b.backend.c_str(), "GFLOP/s");
  std::printf("\n");
  auto row = [&](const std::string& name, double flops, auto ms_of) {
    std::printf("%-12s %9.3f", name.c_str(), flops * 1e-9);
    for (const auto& b : backends) {
      const double ms = ms_of(b);
      if (flops > 0) {
        std::printf(" | %12.3f %8.1f", ms, flops / (ms * 1e6));
      } else {
        std::printf(" | %12.3f %8s", ms, "");
      }
    }
    std::printf("\n");
  };
  for (size_t i = 0; i < layer_flops.size(); ++i) {
    row(m.architecture.layers[i].name, layer_flops[i], [i](const ForwardTimes& b) { return b.layer_ms[i]; });
  }
  row("total", total_flops, [](const ForwardTimes& b) { return b.total_ms; });
  row("conv 64x128", conv_flops, [](const ForwardTimes& b) { return b.conv_ms; });
  std::printf("\nwhole model as a share of the single 64->64 conv's rate:");
  for (const auto& b : backends) {
    std::printf("  %s %.0f%%", b.backend.c_str(), 100.0 * (total_flops / b.total_ms) / (conv_flops / b.conv_ms));
  }
  std::printf("\n");
  return 0;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArguments>();
  CLI::App* command = app.add_subcommand("bench", "Time the forward pass per layer on every backend");
  command->add_option("--model", args->model, "Weights file (default: the shipped model, else a random baseline)");
  command->add_option("--arch", args->arch, "Bench this architecture (baseline or FILE.json) with random weights");
  add_compute_options(command, args->compute, "Input side in pixels (default 256)", 8);
  command->add_option("--runs", args->runs, "Timed rounds")->check(CLI::Range(1, 1000))->capture_default_str();
  command->add_flag("--train", args->train, "Time training steps (forward, backward, Adam) instead");
  command->add_flag("--profile", args->profile, "With --train: where a step's time goes, phase by phase");
  command->add_option("--batch", args->batch, "Batch size for --train")->check(CLI::Range(1, 1024))->capture_default_str();
  command->add_option("--crop", args->crop, "Crop side for --train")->check(CLI::Range(8, 1024))->capture_default_str();
  return {command, [args] { return run_bench(*args); }};
}

}  // namespace tint::cli
