// tint bench: forward time per layer and in total on every backend, with GFLOP/s. Backends run
// in interleaved rounds (this kind of machine drifts), and the best round per layer is kept.
// Also times one 64->64 conv at 128x128 so the whole model's rate can be read against it.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "common.h"
#include "train.h"

namespace tint::cli {

namespace {

struct BenchArguments {
  std::string model;
  ComputeArguments compute{"", 1, 256};  // every backend, one thread, 256x256
  int runs = 5;
  std::string arch;     // random weights of this architecture (baseline or FILE.json)
  bool train = false;
  int batch = 16, crop = 128;
};

struct BackendTimes {
  std::string name;
  std::unique_ptr<Colorizer> colorizer;
  std::vector<double> best_layer_ms;
  double best_total_ms = 1e300;
  double conv_ms = 1e300;
  std::unique_ptr<Conv3x3> conv;
};

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

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

// Training steps per second (forward, MSE, backward, Adam) on random batches: the figure
// tools/bench/train_vs_torch.sh sets against PyTorch's.
int run_train_bench(const BenchArguments& args) {
  auto model = bench_model(args);
  if (!model) return print_error(model.message()), 1;
  const int multiple = stride_multiple(model->architecture);
  const int crop = (args.crop + multiple - 1) / multiple * multiple;
  Tensor lightness(args.batch, crop, crop, model->architecture.input_channels), ab(args.batch, crop, crop, 2);
  for (size_t i = 0; i < lightness.size(); ++i) lightness.data[i] = float((i * 7919) % 101) / 100.0f;
  for (size_t i = 0; i < ab.size(); ++i) ab.data[i] = float((i * 104729) % 201) / 250.0f - 0.4f;
  std::printf("training steps of %s, batch %d, crop %d, %d thread(s)\n", model->architecture.name.c_str(), args.batch,
              crop, args.compute.threads);
  for (const auto& name : bench_backends(args)) {
    auto backend = make_backend(name, args.compute.threads);
    if (!backend) return print_error(backend.message()), 1;
    Model trained = model.value();
    auto graph = Graph::create(trained, *backend.value(), Graph::Mode::training);
    if (!graph) return print_error(graph.message()), 1;
    Adam adam({}, trained.parameters);
    double best = 1e300;
    for (int round = -1; round < args.runs; ++round) {  // round -1 warms up
      const double start = now_ms();
      auto loss = train_step(*graph.value(), trained, adam, lightness, ab, 1, round + 1);
      if (!loss) return print_error(loss.message()), 1;
      if (round >= 0) best = std::min(best, now_ms() - start);
    }
    std::printf("  %-8s %9.1f ms/step  %6.2f steps/s  %6.1f images/s  %6.1f GFLOP/s (forward+backward = 3x forward)\n",
                name.c_str(), best, 1000.0 / best, 1000.0 * args.batch / best,
                3.0 * model->flops(crop, crop) * args.batch / (best * 1e6));
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
  Tensor input(1, size, size, m.architecture.input_channels);
  for (size_t i = 0; i < input.size(); ++i) input.data[i] = float((i * 7919) % 101) / 100.0f;

  constexpr int conv_channels = 64, conv_size = 128;
  Tensor conv_input(1, conv_size, conv_size, conv_channels), conv_output;
  std::vector<float> conv_weight(conv_channels * conv_channels * 9, 0.01f), conv_bias(conv_channels, 0.0f);
  const double conv_flops = 2.0 * 9 * conv_channels * conv_channels * conv_size * conv_size;

  std::vector<BackendTimes> backends;
  for (const auto& name : bench_backends(args)) {
    ComputeArguments compute = args.compute;
    compute.backend = name;
    auto colorizer = make_colorizer(m, compute);
    if (!colorizer) return print_error(colorizer.message()), 1;
    BackendTimes times;
    times.name = name;
    times.colorizer = std::move(colorizer.value());
    times.colorizer->graph().set_profiling(true);
    auto conv = times.colorizer->backend().make_conv3x3({conv_channels, conv_channels, 1, true}, conv_weight.data(),
                                                   conv_bias.data());
    if (!conv) return print_error(conv.message()), 1;
    times.conv = std::move(conv.value());
    times.best_layer_ms.assign(m.architecture.layers.size(), 1e300);
    backends.push_back(std::move(times));
  }
  std::fprintf(stderr, "timing %d rounds at %dx%d, %d thread(s)...\n", args.runs, size, size, args.compute.threads);
  for (int round = -1; round < args.runs; ++round) {  // round -1 warms up
    for (auto& b : backends) {
      double start = now_ms();
      if (auto status = b.colorizer->graph().forward(input); !status) return print_error(status.message()), 1;
      const double total = now_ms() - start;
      start = now_ms();
      if (auto status = b.conv->run(conv_input, conv_output); !status) return print_error(status.message()), 1;
      const double conv = now_ms() - start;
      if (round < 0) continue;
      b.best_total_ms = std::min(b.best_total_ms, total);
      b.conv_ms = std::min(b.conv_ms, conv);
      const auto& layer_ms = b.colorizer->graph().layer_milliseconds();
      for (size_t i = 0; i < layer_ms.size(); ++i) b.best_layer_ms[i] = std::min(b.best_layer_ms[i], layer_ms[i]);
    }
  }

  const auto layer_flops = m.layer_flops(size, size);
  const double total_flops = m.flops(size, size);
  std::printf("\n%s at %dx%d, %d thread(s), best of %d rounds\n\n", m.architecture.name.c_str(), size, size,
              args.compute.threads, args.runs);
  std::printf("%-12s %9s", "layer", "GFLOP");
  for (const auto& b : backends) std::printf(" | %9s ms %8s", b.name.c_str(), "GFLOP/s");
  std::printf("\n");
  for (size_t i = 0; i < layer_flops.size(); ++i) {
    std::printf("%-12s %9.3f", m.architecture.layers[i].name.c_str(), layer_flops[i] * 1e-9);
    for (const auto& b : backends) {
      const double ms = b.best_layer_ms[i];
      if (layer_flops[i] > 0) {
        std::printf(" | %12.3f %8.1f", ms, layer_flops[i] / (ms * 1e6));
      } else {
        std::printf(" | %12.3f %8s", ms, "");
      }
    }
    std::printf("\n");
  }
  std::printf("%-12s %9.3f", "total", total_flops * 1e-9);
  for (const auto& b : backends) std::printf(" | %12.3f %8.1f", b.best_total_ms, total_flops / (b.best_total_ms * 1e6));
  std::printf("\n%-12s %9.3f", "conv 64x128", conv_flops * 1e-9);
  for (const auto& b : backends) std::printf(" | %12.3f %8.1f", b.conv_ms, conv_flops / (b.conv_ms * 1e6));
  std::printf("\n\nwhole model as a share of the single 64->64 conv's rate:");
  for (const auto& b : backends) {
    std::printf("  %s %.0f%%", b.name.c_str(),
                100.0 * (total_flops / b.best_total_ms) / (conv_flops / b.conv_ms));
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
  command->add_option("--batch", args->batch, "Batch size for --train")->check(CLI::Range(1, 1024))->capture_default_str();
  command->add_option("--crop", args->crop, "Crop side for --train")->check(CLI::Range(8, 1024))->capture_default_str();
  return {command, [args] { return run_bench(*args); }};
}

}  // namespace tint::cli
