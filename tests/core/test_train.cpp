// Training steps: a tiny overfit, bitwise resume through a checkpoint, checkpoint round trips,
// and Adam's arithmetic on a case worked by hand.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstring>

#include "benchmark.h"
#include "profile.h"
#include "train.h"

using namespace tint;

namespace {

const char* small_net = R"({"name": "small", "working_size": 16, "layers": [
  {"name": "c1", "op": "conv", "out": 16, "activation": "relu"},
  {"name": "c2", "op": "conv", "out": 16, "stride": 2, "activation": "relu"},
  {"name": "drop", "op": "dropout", "rate": 0.1},
  {"name": "up", "op": "upsample", "mode": "bilinear"},
  {"name": "cat", "op": "concat", "with": "c1"},
  {"name": "head", "op": "conv", "out": 2},
  {"name": "out", "op": "tanh"}]})";

// 8 fixed 16x16 "crops": smooth lightness patterns whose colour is a fixed function of the
// lightness, so a small network can learn it.
void make_batch(Tensor& lightness, Tensor& ab) {
  lightness = Tensor(8, 16, 16, 1);
  ab = Tensor(8, 16, 16, 2);
  for (int n = 0; n < 8; ++n)
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x) {
        const float l = 0.5f + 0.45f * std::sin(0.4f * x * (1 + n % 3) + 0.3f * y * (1 + n / 3) + n);
        lightness.at(n, y, x, 0) = l;
        ab.at(n, y, x, 0) = 0.6f * (l - 0.5f);
        ab.at(n, y, x, 1) = 0.4f * std::sin(6.0f * l);
      }
}

Model small_model() {
  auto model = create_model(parse_architecture(small_net, "small.json").value(), 5);
  REQUIRE(model.is_ok());
  return std::move(model.value());
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("a small network overfits 8 fixed crops: the loss falls at least 10x") {
  for (const auto& backend_name : available_backends()) {
    INFO(backend_name);
    Model model = small_model();
    auto backend = make_backend(backend_name, 1);
    auto graph_made = Graph::create(model, *backend.value(), Graph::Mode::training);
    REQUIRE(graph_made.is_ok());
    Graph& graph = *graph_made.value();
    AdamOptions options;
    options.learning_rate = 1e-2f;
    Adam adam(options, model.parameters);
    Tensor lightness, ab;
    make_batch(lightness, ab);
    const double initial = evaluation_loss(graph, lightness, ab).value();
    double final_loss = initial;
    for (int step = 0; step < 300 && final_loss > initial / 10; ++step) {
      REQUIRE(train_step(graph, model, adam, lightness, ab, 1, step).is_ok());
      if (step % 25 == 24) final_loss = evaluation_loss(graph, lightness, ab).value();
    }
    INFO("loss " << initial << " -> " << final_loss);
    CHECK(final_loss < initial / 10);
  }
}

TEST_CASE("resuming from a checkpoint ends with bitwise the same weights") {
  for (const auto& backend_name : available_backends()) {
    for (int threads : {1, 2}) {
      INFO(backend_name << " threads " << threads);
      auto backend = make_backend(backend_name, threads);
      Tensor lightness, ab;
      make_batch(lightness, ab);
      AdamOptions options;
      options.weight_decay = 0.01f;
      options.clip_norm = 1.0f;

      Model straight = small_model();
      auto straight_graph_made = Graph::create(straight, *backend.value(), Graph::Mode::training);
    REQUIRE(straight_graph_made.is_ok());
    Graph& straight_graph = *straight_graph_made.value();
      Adam straight_adam(options, straight.parameters);
      for (int step = 0; step < 6; ++step)
        REQUIRE(train_step(straight_graph, straight, straight_adam, lightness, ab, 9, step).is_ok());

      Model first = small_model();
      auto first_graph_made = Graph::create(first, *backend.value(), Graph::Mode::training);
    REQUIRE(first_graph_made.is_ok());
    Graph& first_graph = *first_graph_made.value();
      Adam first_adam(options, first.parameters);
      for (int step = 0; step < 3; ++step) REQUIRE(train_step(first_graph, first, first_adam, lightness, ab, 9, step).is_ok());
      TrainingProgress progress;
      progress.seed = 9;
      progress.step = 3;
      const auto bytes = save_checkpoint(first, first_adam, progress);

      auto checkpoint = load_checkpoint(bytes.data(), bytes.size(), "checkpoint.safetensors");
      REQUIRE(checkpoint.is_ok());
      Model resumed = std::move(checkpoint->model);
      Adam resumed_adam(checkpoint->adam_options, resumed.parameters);
      resumed_adam.steps = checkpoint->adam_steps;
      resumed_adam.first_moment = checkpoint->first_moment;
      resumed_adam.second_moment = checkpoint->second_moment;
      auto resumed_graph_made = Graph::create(resumed, *backend.value(), Graph::Mode::training);
    REQUIRE(resumed_graph_made.is_ok());
    Graph& resumed_graph = *resumed_graph_made.value();
      for (int64_t step = checkpoint->progress.step; step < 6; ++step)
        REQUIRE(train_step(resumed_graph, resumed, resumed_adam, lightness, ab, checkpoint->progress.seed, step).is_ok());

      bool identical = true;
      for (size_t p = 0; p < straight.parameters.size(); ++p)
        identical &= same_bits(straight.parameters[p].values, resumed.parameters[p].values);
      CHECK(identical);
      // And the run really moved: the weights differ from the initial ones.
      CHECK_FALSE(same_bits(straight.parameters[0].values, small_model().parameters[0].values));
    }
  }
}

TEST_CASE("checkpoints round-trip progress and optimiser state exactly, and are checked") {
  Model model = small_model();
  AdamOptions options;
  options.learning_rate = 3e-4f;
  options.weight_decay = 0.05f;
  Adam adam(options, model.parameters);
  adam.steps = 17;
  for (auto& m : adam.first_moment)
    for (size_t i = 0; i < m.size(); ++i) m[i] = 1e-3f * float(i % 13);
  TrainingProgress progress{123456789012345ull, 17, 2, 5, 0.0123456789, 0.75, 61.5};
  const auto bytes = save_checkpoint(model, adam, progress);
  auto loaded = load_checkpoint(bytes.data(), bytes.size(), "c.safetensors");
  REQUIRE(loaded.is_ok());
  CHECK(loaded->progress.seed == progress.seed);
  CHECK(loaded->progress.step == 17);
  CHECK(loaded->progress.epoch == 2);
  CHECK(loaded->progress.step_in_epoch == 5);
  CHECK(loaded->progress.best_val_loss == progress.best_val_loss);
  CHECK(loaded->progress.epoch_loss_sum == progress.epoch_loss_sum);
  CHECK(loaded->progress.elapsed_seconds == progress.elapsed_seconds);
  CHECK(loaded->adam_options.learning_rate == options.learning_rate);
  CHECK(loaded->adam_options.weight_decay == options.weight_decay);
  CHECK(loaded->adam_steps == 17);
  CHECK(same_bits(loaded->first_moment[0], adam.first_moment[0]));
  CHECK(same_bits(loaded->model.parameters[2].values, model.parameters[2].values));
  CHECK(loaded->model.metadata.count("training_progress") == 0);
  // A plain weights file is not a checkpoint.
  const auto weights = save_checkpoint(model, adam, progress);
  CHECK_FALSE(load_checkpoint(weights.data(), weights.size() / 2, "half.safetensors").is_ok());
}

TEST_CASE("Adam's first steps match the formula worked by hand") {
  std::vector<Parameter> parameters{{"p", {2}, {1.0f, -2.0f}}};
  std::vector<std::vector<float>> gradients{{0.5f, -0.25f}};
  AdamOptions options;
  options.learning_rate = 0.1f;
  Adam adam(options, parameters);
  adam.step(parameters, gradients);
  // Step 1: m = 0.1 g, v = 0.001 g^2, m_hat = g, v_hat = g^2: p -= lr * g / (|g| + eps).
  CHECK(parameters[0].values[0] == Approx(1.0 - 0.1).epsilon(1e-6));
  CHECK(parameters[0].values[1] == Approx(-2.0 + 0.1).epsilon(1e-6));
  gradients = {{0.5f, 0.25f}};
  adam.step(parameters, gradients);
  // Step 2, first entry: g the same, so m_hat = 0.5 and v_hat = 0.25: another -lr.
  CHECK(parameters[0].values[0] == Approx(0.8).epsilon(1e-6));
  // Second entry: m = 0.9*(-0.025) + 0.025 = 0.0025, m_hat = 0.0025/0.19;
  // v = 0.999 * 6.25e-5 + 0.001 * 0.25^2, v_hat = v / (1 - 0.999^2).
  const double m = 0.0025 / 0.19, v = (0.999 * 6.25e-5 + 0.001 * 0.0625) / (1 - 0.999 * 0.999);
  CHECK(parameters[0].values[1] == Approx(-1.9 - 0.1 * m / (std::sqrt(v) + 1e-8)).epsilon(1e-5));
  // AdamW decays the weights before the update; clipping caps the global norm.
  AdamOptions decayed = options;
  decayed.weight_decay = 0.5f;
  decayed.clip_norm = 0.1f;
  std::vector<Parameter> w{{"w", {1}, {2.0f}}};
  std::vector<std::vector<float>> g{{3.0f}};
  Adam adamw(decayed, w);
  CHECK(adamw.step(w, g) == Approx(3.0));
  CHECK(g[0][0] == Approx(0.1f).epsilon(1e-4));
  CHECK(w[0].values[0] == Approx(2.0 * (1 - 0.05) - 0.1).epsilon(1e-5));
}

TEST_CASE("Adam keeps the weights' moving average: a = d a + (1 - d) p after each step") {
  std::vector<Parameter> parameters{{"p", {2}, {1.0f, -2.0f}}};
  AdamOptions options;
  options.learning_rate = 0.1f;
  options.average_decay = 0.75f;
  Adam adam(options, parameters);
  REQUIRE(adam.average.size() == 1);
  std::vector<double> expected{1.0, -2.0};  // starts at the initial weights
  for (int step = 0; step < 3; ++step) {
    std::vector<std::vector<float>> gradients{{0.5f, -0.25f * float(step + 1)}};
    adam.step(parameters, gradients);
    for (int i = 0; i < 2; ++i) expected[i] = 0.75 * expected[i] + 0.25 * parameters[0].values[i];
  }
  CHECK(adam.average[0][0] == Approx(expected[0]).epsilon(1e-6));
  CHECK(adam.average[0][1] == Approx(expected[1]).epsilon(1e-6));
  CHECK(adam.average[0][0] != parameters[0].values[0]);
  // Without a decay no average is kept.
  CHECK(Adam(AdamOptions{}, parameters).average.empty());
  // A checkpoint carries it exactly.
  Model model = small_model();
  Adam kept(options, model.parameters);
  std::vector<std::vector<float>> gradients;
  for (const auto& parameter : model.parameters) gradients.emplace_back(parameter.values.size(), 0.01f);
  kept.step(model.parameters, gradients);
  const auto bytes = save_checkpoint(model, kept, TrainingProgress{});
  auto loaded = load_checkpoint(bytes.data(), bytes.size(), "c.safetensors");
  REQUIRE(loaded.is_ok());
  CHECK(loaded->adam_options.average_decay == 0.75f);
  REQUIRE(loaded->average.size() == kept.average.size());
  CHECK(same_bits(loaded->average[3], kept.average[3]));
}

TEST_CASE("a profile counts each phase's own time, and nothing while inactive") {
  auto busy = [](double ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double, std::milli>(ms);
    while (std::chrono::steady_clock::now() < until) {
    }
  };
  {
    ProfileScope ignored("unseen");  // no active profile: nothing recorded, nothing to crash
    busy(1);
  }
  Profile profile;
  Profile* previous = Profile::activate(&profile);
  const auto start = std::chrono::steady_clock::now();
  {
    ProfileScope outer("outer");
    busy(20);
    {
      ProfileScope inner("inner");
      busy(30);
    }
    busy(10);
  }
  const double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  Profile::activate(previous);
  {
    ProfileScope after("after");
    busy(1);
  }
  REQUIRE(profile.milliseconds.size() == 2);
  CHECK(profile.milliseconds.at("inner") >= 30.0);
  CHECK(profile.milliseconds.at("outer") >= 30.0);  // 20 + 10 of its own
  // Own times: together they are the block's wall time, not more (the inner 30 counted once).
  CHECK(profile.milliseconds.at("outer") + profile.milliseconds.at("inner") <= wall + 0.01);
}

TEST_CASE("a profiled training step names the phases of a conv network") {
  auto architecture = parse_architecture(R"({"name": "p", "layers": [
    {"name": "a", "op": "conv", "out": 4, "stride": 2, "activation": "relu"},
    {"name": "up", "op": "upsample", "mode": "nearest"},
    {"name": "b", "op": "conv", "out": 2}, {"name": "t", "op": "tanh"}]})", "p.json");
  REQUIRE(architecture.is_ok());
  auto model = create_model(architecture.value(), 3);
  REQUIRE(model.is_ok());
  Profile profile;
  REQUIRE(time_training_step(model.value(), "simd", 1, 2, 16, 2, &profile).is_ok());
  for (const char* phase : {"forward conv", "conv weight gradient", "conv input gradient", "relu gradient (elementwise)",
                            "backward upsample", "optimizer (Adam)", "loss and its gradient"}) {
    INFO(phase);
    CHECK(profile.milliseconds.count(phase) == 1);
  }
  CHECK(Profile::current() == nullptr);
}

TEST_CASE("a training step computes layers up to the last one a loss reads, and no further") {
  // A loss on "head" (MSE against the ab map): "out" after it changes neither the loss nor a
  // gradient, so the step leaves it uncomputed; without losses the output is the loss's layer.
  auto architecture = parse_architecture(std::string(small_net).insert(std::string(small_net).size() - 1,
                                                                      R"(, "losses": [{"layer": "head", "type": "mse"}])"),
                                         "small.json");
  REQUIRE(architecture.is_ok());
  for (const bool with_losses : {true, false}) {
    INFO((with_losses ? "loss on head" : "MSE on the output"));
    auto model = create_model(with_losses ? architecture.value() : parse_architecture(small_net, "small.json").value(), 5);
    REQUIRE(model.is_ok());
    auto backend = make_backend("simd", 1);
    auto graph = Graph::create(model.value(), *backend.value(), Graph::Mode::training);
    REQUIRE(graph.is_ok());
    auto objective = TrainingObjective::create(model.value(), 0.0f);
    REQUIRE(objective.is_ok());
    const size_t layers = model->architecture.layers.size();
    CHECK(objective->last_layer() == int(with_losses ? layers - 2 : layers - 1));
    Tensor lightness, ab;
    make_batch(lightness, ab);
    Adam adam({}, model->parameters);
    auto loss = train_step(*graph.value(), model.value(), adam, lightness, ab, 1, 0);
    REQUIRE(loss.is_ok());
    CHECK(graph.value()->activation(layers - 2).size() > 0);
    CHECK((graph.value()->activation(layers - 1).size() > 0) == !with_losses);
  }
}
