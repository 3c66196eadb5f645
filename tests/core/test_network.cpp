// A whole model's forward pass, on each backend, against a naive layer-by-layer reference.
#include <catch2/catch.hpp>

#include "model.h"
#include "graph.h"
#include "reference_ops.h"

using namespace tint;

namespace {

// Exercises every op: stride 2, skip concat and add, both upsampling modes, dropout, tanh.
const char* small_architecture = R"({"name": "small", "input_channels": 1, "working_size": 32, "layers": [
  {"name": "enc1", "op": "conv", "out": 8, "stride": 1, "activation": "relu"},
  {"name": "enc2", "op": "conv", "out": 12, "stride": 2, "activation": "relu"},
  {"name": "enc3", "op": "conv", "out": 16, "stride": 2, "activation": "relu"},
  {"name": "drop", "op": "dropout", "rate": 0.3},
  {"name": "up1", "op": "upsample", "mode": "bilinear"},
  {"name": "dec1", "op": "conv", "out": 12, "stride": 1, "activation": "none"},
  {"name": "add1", "op": "add", "with": "enc2"},
  {"name": "up2", "op": "upsample", "mode": "nearest"},
  {"name": "cat1", "op": "concat", "with": "enc1"},
  {"name": "head", "op": "conv", "out": 2, "stride": 1, "activation": "none"},
  {"name": "out", "op": "tanh"}]})";

Tensor reference_forward(const Model& model, const Tensor& input) {
  std::vector<Tensor> outputs;
  const auto& layers = model.architecture.layers;
  auto find_output = [&](const std::string& name) -> const Tensor& {
    for (size_t j = 0; j < outputs.size(); ++j)
      if (layers[j].name == name) return outputs[j];
    FAIL("no layer " << name);
    return outputs[0];
  };
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& layer = layers[i];
    const Tensor& x = i == 0 ? input : outputs.back();
    Tensor y;
    if (layer.op == "conv") {
        y = reference::conv3x3(x, model.find(layer.name + ".weight")->values, model.find(layer.name + ".bias")->values,
                               layer.integer("out"), layer.integer("stride"), layer.text("activation") == "relu");
    } else if (layer.op == "upsample") {
        y = reference::upsample2x(x, layer.text("mode") == "bilinear");
    } else if (layer.op == "concat") {
        const Tensor& other = find_output(layer.text("with"));
        y = Tensor(x.shape.n, x.shape.h, x.shape.w, x.shape.c + other.shape.c);
        for (int n = 0; n < x.shape.n; ++n)
          for (int h = 0; h < x.shape.h; ++h)
            for (int w = 0; w < x.shape.w; ++w)
              for (int c = 0; c < y.shape.c; ++c)
                y.at(n, h, w, c) = c < x.shape.c ? x.at(n, h, w, c) : other.at(n, h, w, c - x.shape.c);
    } else if (layer.op == "add") {
        y = x;
        const Tensor& other = find_output(layer.text("with"));
        for (size_t k = 0; k < y.size(); ++k) y.data[k] += other.data[k];
    } else if (layer.op == "dropout") {
        y = x;
    } else if (layer.op == "tanh") {
        y = x;
        for (float& v : y.data) v = std::tanh(v);
    } else {
      FAIL("no reference for op " << layer.op);
    }
    outputs.push_back(std::move(y));
  }
  return outputs.back();
}

}  // namespace

TEST_CASE("a small model's forward equals the naive reference on every backend") {
  auto architecture = parse_architecture(small_architecture, "small.json");
  REQUIRE(architecture.is_ok());
  auto model = create_model(architecture.value(), 42);
  REQUIRE(model.is_ok());
  REQUIRE(stride_multiple(model->architecture) == 4);
  Tensor input(2, 12, 20, 1);
  reference::fill_pattern(input.data, 9);
  for (float& v : input.data) v = 0.5f + 0.5f * v;  // L/100 in [0, 1]
  const Tensor expected = reference_forward(model.value(), input);
  for (const auto& name : available_backends()) {
    for (int threads : {1, 2}) {
      INFO(name << " threads " << threads);
      auto backend = make_backend(name, threads);
      REQUIRE(backend.is_ok());
      auto network = Graph::create(model.value(), *backend.value(), Graph::Mode::inference);
      REQUIRE(network.is_ok());
      REQUIRE(network.value()->forward(input).is_ok());
      const Tensor output = network.value()->take_output();
      REQUIRE(output.shape == Shape{2, 12, 20, 2});
      CHECK(reference::max_abs_difference(output, expected) < 1e-5f);
      // A second call reuses the prepared network and gives the same answer.
      REQUIRE(network.value()->forward(input).is_ok());
      const Tensor again = network.value()->take_output();
      CHECK(reference::max_abs_difference(again, output) == 0.0f);
    }
  }
}

TEST_CASE("forward rejects inputs that are not a multiple of the network's stride") {
  auto model = create_model(parse_architecture(small_architecture, "small.json").value(), 1);
  REQUIRE(model.is_ok());
  auto backend = make_backend("simd", 1);
  auto network = Graph::create(model.value(), *backend.value(), Graph::Mode::inference);
  REQUIRE(network.is_ok());
  CHECK_THAT(network.value()->forward(Tensor(1, 10, 12, 1)).message(),
             Catch::Contains("input is [1,10,12,1], expected 1 channel(s) and sides that are multiples of 4"));
  CHECK_FALSE(network.value()->forward(Tensor(1, 12, 12, 3)).is_ok());
}

TEST_CASE("Graph::create rejects parameters of the wrong size") {
  auto model = create_model(parse_architecture(small_architecture, "small.json").value(), 1);
  REQUIRE(model.is_ok());
  model->find("dec1.weight")->values.pop_back();
  auto backend = make_backend("simd", 1);
  CHECK_THAT(Graph::create(model.value(), *backend.value(), Graph::Mode::inference).message(),
             Catch::Contains("layer dec1: parameter dec1.weight has 1727 values, expected 1728 ([12,16,3,3])"));
}
