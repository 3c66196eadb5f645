// tint against PyTorch 1.13 on one tiny model and batch (tools/reference/make_reference.py wrote
// the dump; CI needs no torch): every activation, the loss, every gradient, and the parameters
// after 5 steps of Adam, AdamW and clipped Adam. Prints the max difference per tensor.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

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
  t.data = e.values;
  return t;
}

struct Reference {
  Model model;
  TensorFile dump;
  Reference() {
    const auto model_bytes = read_bytes(std::string(TINT_TEST_DATA_DIR) + "/reference_model.safetensors");
    auto loaded = load_model(model_bytes.data(), model_bytes.size(), "reference_model.safetensors");
    REQUIRE(loaded.is_ok());
    model = std::move(loaded.value());
    const auto dump_bytes = read_bytes(std::string(TINT_TEST_DATA_DIR) + "/reference_dump.safetensors");
    auto parsed = parse_safetensors(dump_bytes.data(), dump_bytes.size(), "reference_dump.safetensors");
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
    auto graph_made = Graph::create(model, *backend.value(), Graph::Mode::training);
    REQUIRE(graph_made.is_ok());
    Graph& graph = *graph_made.value();
    Random rng(0);
    REQUIRE(graph.forward(input, &rng).is_ok());
    for (size_t i = 0; i < model.architecture.layers.size(); ++i) {
      const std::string name = model.architecture.layers[i].name;
      const auto& expected = entry(ref.dump, "activation." + name);
      CHECK(compare("activation." + name, graph.activation(i).ptr(), expected.values, graph.activation(i).size()) < 1e-5);
    }
    Tensor grad, grad_input;
    const double loss = mse_loss(graph.output(), target, &grad);
    CHECK(loss == Approx(entry(ref.dump, "loss").values[0]).epsilon(1e-6));
    REQUIRE(graph.backward(grad, &grad_input).is_ok());
    for (size_t p = 0; p < model.parameters.size(); ++p) {
      const std::string name = "grad." + model.parameters[p].name;
      CHECK(compare(name, graph.gradients()[p].data(), entry(ref.dump, name).values, graph.gradients()[p].size()) < 1e-5);
    }
    CHECK(compare("grad.input", grad_input.ptr(), entry(ref.dump, "grad.input").values, grad_input.size()) < 1e-5);
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
      auto graph_made = Graph::create(model, *backend.value(), Graph::Mode::training);
    REQUIRE(graph_made.is_ok());
    Graph& graph = *graph_made.value();
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
