// tint against PyTorch 1.13 on two tiny models and batches (tools/reference/make_reference.py
// wrote the dumps; CI needs no torch). The first: every activation, the loss, every gradient, and
// the parameters after 5 steps of Adam, AdamW and clipped Adam. The second, a classification head
// with hint inputs: the gamut ab bins, the class-rebalancing weights, softmax, annealed_mean, the
// declared losses (ab cross-entropy + MSE), their gradients and 5 Adam steps. Prints the max
// difference per tensor.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "ab_bins.h"
#include "graph.h"
#include "hints.h"
#include "loss.h"
#include "safetensors.h"
#include "train.h"
#include "weights.h"

using namespace tint;

namespace {

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  REQUIRE(file.good());
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

const TensorEntry& entry(const TensorFile& file, const std::string& name) {
  const TensorEntry* found = file.find(name);
  INFO("dump tensor " << name);
  REQUIRE(found != nullptr);
  return *found;
}

// Max |ours - reference| over max |reference|, printed per tensor.
double compare(const std::string& what, const float* ours, const std::vector<float>& reference, size_t count) {
  REQUIRE(count == reference.size());
  double worst = 0, scale = 1e-12;
  for (size_t i = 0; i < count; ++i) {
    worst = std::max(worst, double(std::fabs(ours[i] - reference[i])));
    scale = std::max(scale, double(std::fabs(reference[i])));
  }
  std::printf("  %-28s max |diff| %.3g (relative %.3g)\n", what.c_str(), worst, worst / scale);
  return worst / scale;
}

Tensor tensor_of(const TensorEntry& e) {
  Tensor t(Shape{int(e.shape[0]), int(e.shape[1]), int(e.shape[2]), int(e.shape[3])});
  t.data.assign(e.values.begin(), e.values.end());
  return t;
}

// Every layer's output of the graph's last forward against the dump's "activation.<layer>".
void check_activations(Graph& graph, const Model& model, const TensorFile& dump) {
  for (size_t i = 0; i < model.architecture.layers.size(); ++i) {
    const std::string name = model.architecture.layers[i].name;
    const auto& expected = entry(dump, "activation." + name);
    CHECK(compare("activation." + name, graph.activation(i).ptr(), expected.values, graph.activation(i).size()) < 1e-5);
  }
}

// Every parameter's gradient of the last backward, and the input's, against "grad.<name>".
void check_gradients(Graph& graph, const Model& model, const TensorFile& dump, const Tensor& grad_input) {
  for (size_t p = 0; p < model.parameters.size(); ++p) {
    const std::string name = "grad." + model.parameters[p].name;
    CHECK(compare(name, graph.gradients()[p].data(), entry(dump, name).values, graph.gradients()[p].size()) < 1e-5);
  }
  CHECK(compare("grad.input", grad_input.ptr(), entry(dump, "grad.input").values, grad_input.size()) < 1e-5);
}

// A training graph for `model` on `backend` (both must outlive it).
std::unique_ptr<Graph> training_graph(const Model& model, Backend& backend) {
  auto made = Graph::create(model, backend, Graph::Mode::training);
  REQUIRE(made.is_ok());
  return std::move(made.value());
}

struct Reference {
  Model model;
  TensorFile dump;
  explicit Reference(const std::string& model_file = "reference_model.safetensors",
                     const std::string& dump_file = "reference_dump.safetensors") {
    const auto model_bytes = read_bytes(std::string(TINT_TEST_DATA_DIR) + "/" + model_file);
    auto loaded = load_model(model_bytes.data(), model_bytes.size(), model_file);
    REQUIRE(loaded.is_ok());
    model = std::move(loaded.value());
    const auto dump_bytes = read_bytes(std::string(TINT_TEST_DATA_DIR) + "/" + dump_file);
    auto parsed = parse_safetensors(dump_bytes.data(), dump_bytes.size(), dump_file);
    REQUIRE(parsed.is_ok());
    dump = std::move(parsed.value());
  }
};

}  // namespace

TEST_CASE("forward, loss and every gradient match PyTorch") {
  Reference ref;
  const Tensor input = tensor_of(entry(ref.dump, "input")), target = tensor_of(entry(ref.dump, "target"));
  for (const auto& backend_name : available_backends()) {
    std::printf("%s:\n", backend_name.c_str());
    auto backend = make_backend(backend_name, 1);
    Model model = ref.model;
    const auto graph_owner = training_graph(model, *backend.value());
    Graph& graph = *graph_owner;
    Random rng(0);
    REQUIRE(graph.forward(input, &rng).is_ok());
    check_activations(graph, model, ref.dump);
    Tensor grad, grad_input;
    const double loss = mse_loss(graph.output(), target, &grad);
    CHECK(loss == Approx(entry(ref.dump, "loss").values[0]).epsilon(1e-6));
    REQUIRE(graph.backward(grad, &grad_input).is_ok());
    check_gradients(graph, model, ref.dump, grad_input);
  }
}

TEST_CASE("5 steps of Adam, AdamW and clipped Adam match PyTorch") {
  Reference ref;
  const Tensor input = tensor_of(entry(ref.dump, "input")), target = tensor_of(entry(ref.dump, "target"));
  struct Variant {
    const char* prefix;
    const char* losses;
    float weight_decay, clip_norm;
  };
  for (const Variant& variant : {Variant{"adam5.", "losses", 0.0f, 0.0f}, Variant{"adamw5.", "losses.adamw5", 0.1f, 0.0f},
                                 Variant{"clip5.", "losses.clip5", 0.0f, 0.2f}}) {
    for (const auto& backend_name : available_backends()) {
      std::printf("%s, %s:\n", variant.prefix, backend_name.c_str());
      auto backend = make_backend(backend_name, 1);
      Model model = ref.model;
      const auto graph_owner = training_graph(model, *backend.value());
    Graph& graph = *graph_owner;
      AdamOptions options;
      options.learning_rate = 1e-2f;
      options.weight_decay = variant.weight_decay;
      options.clip_norm = variant.clip_norm;
      Adam adam(options, model.parameters);
      const auto& losses = entry(ref.dump, variant.losses).values;
      for (int step = 0; step < 5; ++step) {
        auto loss = train_step(graph, model, adam, input, target, 1, step);
        REQUIRE(loss.is_ok());
        CHECK(loss.value() == Approx(losses[step]).epsilon(1e-5));
      }
      for (const auto& parameter : model.parameters) {
        const std::string name = variant.prefix + parameter.name;
        CHECK(compare(name, parameter.values.data(), entry(ref.dump, name).values, parameter.values.size()) < 5e-5);
      }
    }
  }
}

TEST_CASE("a hint-input classification head matches PyTorch: bins, class weights, objective, gradients, Adam") {
  Reference ref("reference_head_model.safetensors", "reference_head_dump.safetensors");
  const Architecture& architecture = ref.model.architecture;
  const Tensor input = tensor_of(entry(ref.dump, "input")), target = tensor_of(entry(ref.dump, "target"));
  REQUIRE(architecture.input_channels == 4);
  REQUIRE(takes_hints(architecture));
  REQUIRE(architecture.losses.size() == 2);
  REQUIRE(architecture.losses[0].type == "cross_entropy");

  // The dump's input is tint's layout: the lightness channel plus the hints of make_reference.py's
  // HEAD_HINTS (sample, x0, y0, size, a/128, b/128), placed as place_hint does.
  Tensor lightness(input.shape.n, input.shape.h, input.shape.w, 1);
  const int l = input_channel(architecture, "lightness");
  for (size_t p = 0; p < lightness.size(); ++p) lightness.data[p] = input.data[p * 4 + size_t(l)];
  auto assembled = network_input(architecture, lightness);
  REQUIRE(assembled.is_ok());
  place_hint(assembled.value(), architecture, 0, 3, 2, 1, 0.30f, -0.20f);
  place_hint(assembled.value(), architecture, 0, 8, 5, 2, -0.10f, 0.45f);
  place_hint(assembled.value(), architecture, 1, 10, 0, 3, 0.20f, 0.40f);
  CHECK(assembled.value().data == input.data);

  // The same gamut bins, in the same order.
  const AbBins& bins = AbBins::gamut();
  const TensorEntry& centres = entry(ref.dump, "gamut_bins");
  REQUIRE(centres.shape == std::vector<int64_t>{bins.count(), 2});
  int mismatched = 0;
  for (int k = 0; k < bins.count(); ++k)
    mismatched += bins.a(k) != centres.values[size_t(2 * k)] || bins.b(k) != centres.values[size_t(2 * k + 1)];
  CHECK(mismatched == 0);

  // The class weights from the dump's prior (computed in double on both sides).
  const auto& prior_values = entry(ref.dump, "prior").values;
  const std::vector<double> prior(prior_values.begin(), prior_values.end());
  const std::vector<float> class_weights = rebalancing_weights(prior, bins, float(architecture.losses[0].rebalance));
  CHECK(compare("class_weights", class_weights.data(), entry(ref.dump, "class_weights").values, class_weights.size()) < 1e-6);

  auto objective_made = TrainingObjective::create(ref.model, 0, prior);
  REQUIRE(objective_made.is_ok());
  const TrainingObjective& objective = objective_made.value();
  for (const auto& backend_name : available_backends()) {
    std::printf("head, %s:\n", backend_name.c_str());
    auto backend = make_backend(backend_name, 1);
    Model model = ref.model;
    const auto graph_owner = training_graph(model, *backend.value());
    Graph& graph = *graph_owner;
    REQUIRE(graph.forward(input, nullptr).is_ok());
    check_activations(graph, model, ref.dump);
    std::vector<Graph::Seed> seeds;
    const double loss = objective.evaluate(graph, target, &seeds);
    CHECK(loss == Approx(entry(ref.dump, "loss").values[0]).epsilon(1e-6));
    Tensor grad_input;
    REQUIRE(graph.backward(std::move(seeds), &grad_input).is_ok());
    check_gradients(graph, model, ref.dump, grad_input);
  }

  // 5 Adam steps through train_step (no dropout, so the seed does not matter).
  for (const auto& backend_name : available_backends()) {
    std::printf("head adam5., %s:\n", backend_name.c_str());
    auto backend = make_backend(backend_name, 1);
    Model model = ref.model;
    const auto graph_owner = training_graph(model, *backend.value());
    Graph& graph = *graph_owner;
    AdamOptions options;
    options.learning_rate = 1e-2f;
    Adam adam(options, model.parameters);
    const auto& losses = entry(ref.dump, "losses").values;
    for (int step = 0; step < 5; ++step) {
      auto loss = train_step(graph, model, adam, input, target, objective, 1, step);
      REQUIRE(loss.is_ok());
      CHECK(loss.value() == Approx(losses[size_t(step)]).epsilon(1e-5));
    }
    for (const auto& parameter : model.parameters) {
      const std::string name = "adam5." + parameter.name;
      CHECK(compare(name, parameter.values.data(), entry(ref.dump, name).values, parameter.values.size()) < 5e-5);
    }
  }
}
