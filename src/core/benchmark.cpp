#include "benchmark.h"

#include <algorithm>
#include <chrono>

#include "ab_bins.h"
#include "colorizer.h"
#include "hints.h"
#include "train.h"

namespace tint {

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Contender {
  ForwardTimes times;
  std::unique_ptr<Colorizer> colorizer;
  std::unique_ptr<Conv3x3> conv;
};

}  // namespace

Result<std::vector<ForwardTimes>> time_forward(const Model& model, const std::vector<std::string>& backends, int threads,
                                               int size, int runs) {
  const int multiple = stride_multiple(model.architecture);
  size = (size + multiple - 1) / multiple * multiple;
  Tensor input(1, size, size, model.architecture.input_channels);
  for (size_t i = 0; i < input.size(); ++i) input.data[i] = float((i * 7919) % 101) / 100.0f;
  const int c = kYardstickChannels;
  Tensor conv_input(1, kYardstickSize, kYardstickSize, c), conv_output;
  std::vector<float> conv_weight(size_t(c) * c * 9, 0.01f), conv_bias(c, 0.0f);

  std::vector<Contender> contenders;
  for (const auto& name : backends) {
    ColorizerOptions options;
    options.backend = name;
    options.threads = threads;
    auto colorizer = Colorizer::create(model, options);
    if (!colorizer) return colorizer.status();
    Contender contender;
    contender.times = {name, std::vector<double>(model.architecture.layers.size(), 1e300), 1e300, 1e300};
    contender.colorizer = std::move(colorizer.value());
    contender.colorizer->graph().set_profiling(true);
    auto conv = contender.colorizer->backend().make_conv3x3({c, c, 1, true}, conv_weight.data(), conv_bias.data());
    if (!conv) return conv.status();
    contender.conv = std::move(conv.value());
    contenders.push_back(std::move(contender));
  }
  for (int round = -1; round < runs; ++round) {  // round -1 warms up
    for (auto& contender : contenders) {
      Graph& graph = contender.colorizer->graph();
      double start = now_ms();
      TINT_RETURN_IF_ERROR(graph.forward(input));
      const double total = now_ms() - start;
      start = now_ms();
      TINT_RETURN_IF_ERROR(contender.conv->run(conv_input, conv_output));
      const double conv = now_ms() - start;
      if (round < 0) continue;
      ForwardTimes& t = contender.times;
      t.total_ms = std::min(t.total_ms, total);
      t.conv_ms = std::min(t.conv_ms, conv);
      for (size_t i = 0; i < t.layer_ms.size(); ++i) t.layer_ms[i] = std::min(t.layer_ms[i], graph.layer_milliseconds()[i]);
    }
  }
  std::vector<ForwardTimes> times;
  for (auto& contender : contenders) times.push_back(std::move(contender.times));
  return times;
}

Result<double> time_training_step(const Model& model, const std::string& backend_name, int threads, int batch, int crop,
                                  int runs, Profile* profile) {
  Tensor lightness(batch, crop, crop, 1), ab(batch, crop, crop, 2);
  for (size_t i = 0; i < lightness.size(); ++i) lightness.data[i] = float((i * 7919) % 101) / 100.0f;
  for (size_t i = 0; i < ab.size(); ++i) ab.data[i] = float((i * 104729) % 201) / 250.0f - 0.4f;
  auto backend = make_backend(backend_name, threads);
  if (!backend) return backend.status();
  Model trained = model;
  auto graph = Graph::create(trained, *backend.value(), Graph::Mode::training);
  if (!graph) return graph.status();
  Adam adam({}, trained.parameters);
  adam.backend = backend.value().get();
  // The bench has no training set: cross-entropy terms get a flat colour prior (no rebalancing).
  std::vector<double> prior;
  if (TrainingObjective::needs_prior(model.architecture)) prior.assign(size_t(AbBins::gamut().count()), 1.0 / AbBins::gamut().count());
  auto objective = TrainingObjective::create(trained, 0.0f, prior);
  if (!objective) return objective.status();
  auto input = network_input(model.architecture, lightness);  // no hints
  if (!input) return input.status();
  double best = 1e300;
  for (int round = -1; round < runs; ++round) {  // round -1 warms up
    const double start = now_ms();
    Profile* previous = Profile::activate(round >= 0 ? profile : nullptr);
    auto loss = train_step(*graph.value(), trained, adam, input.value(), ab, objective.value(), 1, round + 1);
    Profile::activate(previous);
    if (!loss) return loss.status();
    if (round >= 0) best = std::min(best, now_ms() - start);
  }
  return best;
}

}  // namespace tint
