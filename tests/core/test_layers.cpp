// Every layer's backward pass against finite differences, on small models built around it, on
// every backend. The loss is a fixed random projection of the output (so d loss / d output is
// known and dense); central differences with a kink rule for ReLU (after ggml's
// test-backend-ops): where the two one-sided slopes disagree the point sits on a kink and is
// skipped, and a test fails if it had to skip most of its points.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "ab_bins.h"
#include "loss.h"
#include "model.h"
#include "reference_ops.h"
#include "graph.h"

using namespace tint;

namespace {

struct GradientCase {
  const char* name;
  const char* layers;  // JSON list
  Shape input;
};

const GradientCase cases[] = {
    {"conv stride 1 + relu", R"([{"name": "c1", "op": "conv", "out": 5, "activation": "relu"},
                                 {"name": "c2", "op": "conv", "out": 2}])", {2, 5, 7, 1}},
    {"conv stride 2 + nearest upsample", R"([{"name": "c1", "op": "conv", "out": 4, "stride": 2, "activation": "relu"},
                                 {"name": "c2", "op": "conv", "out": 3, "stride": 1},
                                 {"name": "up", "op": "upsample", "mode": "nearest"},
                                 {"name": "c3", "op": "conv", "out": 2}])", {1, 6, 10, 1}},
    {"bilinear upsample, odd half size", R"([{"name": "c1", "op": "conv", "out": 3, "stride": 2},
                                 {"name": "up", "op": "upsample", "mode": "bilinear"},
                                 {"name": "c2", "op": "conv", "out": 2}])", {2, 6, 10, 1}},
    {"concat skip", R"([{"name": "c1", "op": "conv", "out": 3, "activation": "relu"},
                        {"name": "c2", "op": "conv", "out": 4, "stride": 2},
                        {"name": "up", "op": "upsample", "mode": "bilinear"},
                        {"name": "cat", "op": "concat", "with": "c1"},
                        {"name": "c3", "op": "conv", "out": 2}])", {1, 8, 6, 1}},
    {"add skip", R"([{"name": "c1", "op": "conv", "out": 3},
                     {"name": "c2", "op": "conv", "out": 3, "activation": "relu"},
                     {"name": "sum", "op": "add", "with": "c1"},
                     {"name": "c3", "op": "conv", "out": 2}])", {1, 5, 5, 1}},
    {"dropout", R"([{"name": "c1", "op": "conv", "out": 4},
                    {"name": "drop", "op": "dropout", "rate": 0.5},
                    {"name": "c2", "op": "conv", "out": 2}])", {1, 6, 6, 1}},
    {"tanh", R"([{"name": "c1", "op": "conv", "out": 2}, {"name": "out", "op": "tanh"}])", {2, 3, 5, 1}},
    {"softmax + annealed mean", R"([{"name": "c1", "op": "conv", "out": BINS},
                                    {"name": "p", "op": "softmax"},
                                    {"name": "ab", "op": "annealed_mean", "temperature": 0.38}])", {1, 3, 4, 1}},
    {"annealed mean at T = 1", R"([{"name": "c1", "op": "conv", "out": BINS},
                                   {"name": "p", "op": "softmax"},
                                   {"name": "ab", "op": "annealed_mean", "temperature": 1}])", {1, 2, 3, 1}},
};

struct Probe {
  Model model;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Graph> graph;
  Tensor input, projection;

  double loss() {  // forward with a fixed dropout stream, so every evaluation draws the same mask
    Random rng(7);
    REQUIRE(graph->forward(input, &rng).is_ok());
    double sum = 0.0;
    for (size_t i = 0; i < projection.size(); ++i) sum += double(graph->output().data[i]) * projection.data[i];
    return sum;
  }
};

// Compares analytic and central-difference slopes at up to `samples` entries of `values`.
template <class Values, class Slopes>
void check_entries(Probe& probe, Values& values, const Slopes& analytic, const std::string& what) {
  const float epsilon = 1e-3f;
  int checked = 0, kinks = 0;
  const size_t samples = std::min<size_t>(values.size(), 24);
  for (size_t s = 0; s < samples; ++s) {
    const size_t i = s * values.size() / samples;
    const float saved = values[i];
    const double center = probe.loss();
    values[i] = saved + epsilon;
    const double plus = probe.loss();
    values[i] = saved - epsilon;
    const double minus = probe.loss();
    values[i] = saved;
    const double right = (plus - center) / epsilon, left = (center - minus) / epsilon;
    if (std::fabs(right - left) > 0.01 * std::max({std::fabs(right), std::fabs(left), 0.1})) {
      ++kinks;  // a ReLU switched inside [x - eps, x + eps]: the slope is undefined here
      continue;
    }
    const double numeric = (plus - minus) / (2 * epsilon);
    INFO(what << "[" << i << "]: analytic " << analytic[i] << ", numeric " << numeric);
    CHECK(std::fabs(analytic[i] - numeric) <= 2e-3 * std::max(1.0, std::fabs(numeric)));
    ++checked;
  }
  INFO(what << ": " << kinks << " of " << samples << " points on kinks");
  CHECK(checked >= int(samples) / 2);
}

// Builds the probe model around `layers` (a JSON list) and checks every parameter's and the
// input's gradient against finite differences.
void check_gradients(const char* layers, Shape input_shape, const std::string& backend_name) {
  std::string json = std::string(R"({"name": "probe", "working_size": 16, "layers": )") + layers + "}";
  const size_t bins = json.find("BINS");  // the classification head's width: one channel per ab bin
  if (bins != std::string::npos) json.replace(bins, 4, std::to_string(AbBins::gamut().count()));
  auto architecture = parse_architecture(json, "probe.json");
  REQUIRE(architecture.is_ok());
  Probe probe;
  auto model = create_model(architecture.value(), 11);
  REQUIRE(model.is_ok());
  probe.model = std::move(model.value());
  probe.backend = std::move(make_backend(backend_name, 1).value());
  probe.graph = std::move(Graph::create(probe.model, *probe.backend, Graph::Mode::training).value());
  probe.input = Tensor(input_shape);
  reference::fill_pattern(probe.input.data, 3);
  probe.projection = Tensor(Shape{input_shape.n, input_shape.h, input_shape.w, 2});
  reference::fill_pattern(probe.projection.data, 4);

  probe.loss();
  Tensor grad_output = probe.projection, grad_input;
  REQUIRE(probe.graph->backward(grad_output, &grad_input).is_ok());
  REQUIRE(grad_input.shape == probe.input.shape);
  const auto gradients = probe.graph->gradients();
  for (size_t p = 0; p < probe.model.parameters.size(); ++p) {
    check_entries(probe, probe.model.parameters[p].values, gradients[p], probe.model.parameters[p].name);
  }
  check_entries(probe, probe.input.data, grad_input.data, "input");
}

// A toy kind, defined here and nowhere else: y = factor * gain[c] * x, with a constant
// attribute "factor" and a learned per-channel "gain". Registering it is all it takes for the
// parser, shape inference, parameter layout, initialisation and the graph interpreter to run it.
class ScaleKind : public LayerKind {
 public:
  std::string op() const override { return "toy_scale"; }
  std::vector<AttributeSpec> attributes() const override { return {{"factor", AttributeType::number, "1", {}}}; }
  Result<LayerShape> infer(const Layer&, const std::vector<LayerShape>& inputs) const override { return inputs[0]; }
  std::vector<ParameterSpec> parameters(const Layer&, const LayerShape& shape) const override {
    return {{"gain", {shape.out_channels}, 1.0f}};
  }
  Status forward(ForwardCall& call) const override {
    const Tensor& x = *call.inputs[0];
    call.output.resize(x.shape);
    const float factor = call.layer.number("factor");
    for (size_t i = 0; i < x.size(); ++i) call.output.data[i] = factor * call.parameters[0][i % x.shape.c] * x.data[i];
    return Status::ok();
  }
  Status backward(BackwardCall& call) const override {
    const Tensor& x = *call.inputs[0];
    const float factor = call.layer.number("factor");
    float* grad_gain = call.grad_parameters[0];
    std::fill(grad_gain, grad_gain + x.shape.c, 0.0f);
    for (size_t i = 0; i < x.size(); ++i) grad_gain[i % x.shape.c] += factor * x.data[i] * call.grad_output.data[i];
    if (call.grad_inputs[0]) {
      call.grad_inputs[0]->resize(x.shape);
      for (size_t i = 0; i < x.size(); ++i)
        call.grad_inputs[0]->data[i] = factor * call.parameters[0][i % x.shape.c] * call.grad_output.data[i];
    }
    return Status::ok();
  }
};

}  // namespace

TEST_CASE("every layer's backward pass matches finite differences on every backend") {
  for (const auto& c : cases) {
    for (const auto& backend_name : available_backends()) {
      INFO(c.name << " on " << backend_name);
      check_gradients(c.layers, c.input, backend_name);
    }
  }
}

TEST_CASE("a new layer kind is one entry: a toy kind runs forward and backward through the shared interpreter") {
  if (!find_layer_kind("toy_scale")) REQUIRE(register_layer_kind(std::make_unique<ScaleKind>()).is_ok());
  CHECK_FALSE(register_layer_kind(std::make_unique<ScaleKind>()).is_ok());  // one kind per op
  const char* layers = R"([{"name": "c1", "op": "conv", "out": 3, "activation": "relu"},
                           {"name": "s", "op": "toy_scale", "factor": 1.5},
                           {"name": "c2", "op": "conv", "out": 2}])";
  for (const auto& backend_name : available_backends()) {
    INFO("toy_scale on " << backend_name);
    check_gradients(layers, {2, 5, 6, 1}, backend_name);
  }
  // The parser knows its attribute, the layout its parameter, the JSON writer round-trips it,
  // and inference gives what training's forward gives.
  auto architecture = parse_architecture(std::string(R"({"name": "toy", "layers": )") + layers + "}", "toy.json");
  REQUIRE(architecture.is_ok());
  CHECK(architecture->layers[1].number("factor") == 1.5f);
  CHECK(architecture_to_json(*architecture).find(R"("op":"toy_scale","factor":1.5)") != std::string::npos);
  CHECK(*parse_architecture(architecture_to_json(*architecture), "again") == *architecture);
  CHECK_THAT(parse_architecture(R"({"name": "t", "layers": [{"name": "s", "op": "toy_scale", "factor": "big"}]})", "t")
                 .message(),
             Catch::Contains("layer s: \"factor\" must be a number"));
  auto model = create_model(*architecture, 5);
  REQUIRE(model.is_ok());
  REQUIRE(model->find("s.gain") != nullptr);
  CHECK(model->find("s.gain")->shape == std::vector<int>{3});
  Tensor input(1, 4, 4, 1);
  reference::fill_pattern(input.data, 2);
  for (const auto& backend_name : available_backends()) {
    auto backend = make_backend(backend_name, 1);
    auto training = Graph::create(*model, *backend.value(), Graph::Mode::training);
    auto inference = Graph::create(*model, *backend.value(), Graph::Mode::inference);
    REQUIRE(training.value()->forward(input).is_ok());
    REQUIRE(inference.value()->forward(input).is_ok());
    CHECK(reference::max_abs_difference(training.value()->output(), inference.value()->output()) == 0.0f);
  }
}

TEST_CASE("MSE loss and its gradient") {
  Tensor prediction(1, 2, 2, 2), target(1, 2, 2, 2), grad;
  for (size_t i = 0; i < 8; ++i) prediction.data[i] = 0.1f * float(i), target.data[i] = 0.05f * float(i * i % 5);
  double expected = 0;
  for (size_t i = 0; i < 8; ++i) expected += std::pow(prediction.data[i] - target.data[i], 2);
  CHECK(mse_loss(prediction, target, &grad) == Approx(expected / 8).epsilon(1e-9));
  for (size_t i = 0; i < 8; ++i) CHECK(grad.data[i] == Approx(2 * (prediction.data[i] - target.data[i]) / 8));
}

TEST_CASE("Huber loss: worked values, finite-difference gradient, MSE when delta is 0") {
  // d = -0.3, -0.05, 0, 0.05, 0.3, 1.0 with delta 0.1: 0.5 d^2 inside, delta (|d| - delta / 2) outside.
  const float d[] = {-0.3f, -0.05f, 0.0f, 0.05f, 0.3f, 1.0f};
  Tensor prediction(1, 1, 3, 2), target(1, 1, 3, 2), grad;
  for (size_t i = 0; i < 6; ++i) target.data[i] = 0.01f * float(i), prediction.data[i] = target.data[i] + d[i];
  const double expected = (0.1 * 0.25 + 0.5 * 0.0025 + 0 + 0.5 * 0.0025 + 0.1 * 0.25 + 0.1 * 0.95) / 6;
  CHECK(huber_loss(prediction, target, 0.1f, &grad) == Approx(expected).epsilon(1e-6));
  const float expected_grad[] = {-0.1f, -0.05f, 0.0f, 0.05f, 0.1f, 0.1f};
  for (size_t i = 0; i < 6; ++i) CHECK(grad.data[i] == Approx(expected_grad[i] / 6).margin(1e-7));
  // Away from the kinks the gradient is the loss's slope.
  for (size_t i : {0, 1, 3, 4, 5}) {
    Tensor plus = prediction, minus = prediction;
    plus.data[i] += 1e-3f, minus.data[i] -= 1e-3f;
    const double slope = (huber_loss(plus, target, 0.1f) - huber_loss(minus, target, 0.1f)) / 2e-3;
    CHECK(grad.data[i] == Approx(slope).margin(1e-5));
  }
  Tensor mse_grad;
  CHECK(training_loss(prediction, target, 0.0f, &grad) == mse_loss(prediction, target, &mse_grad));
  CHECK(grad.data == mse_grad.data);
}

TEST_CASE("ab cross-entropy: soft targets, rebalancing weights, finite-difference gradient") {
  const AbBins& bins = AbBins::gamut();
  const int q = bins.count();
  INFO(q << " gamut bins");
  CHECK(q > 200);
  CHECK(q < 330);
  int nearest[5];
  float weights[5];
  REQUIRE(bins.soft_encode(bins.a(7), bins.b(7), 5.0f, nearest, weights) == 5);
  CHECK(nearest[0] == 7);  // a bin centre is its own nearest bin, with the largest weight
  CHECK(weights[0] > weights[1]);
  CHECK(weights[0] + weights[1] + weights[2] + weights[3] + weights[4] == Approx(1.0f));
  // Rebalancing: a rare bin weighs more than a common one, and the prior's mean weight is 1.
  std::vector<double> prior(size_t(q), 0.1 / (q - 1));
  prior[0] = 0.9;
  const auto class_weights = rebalancing_weights(prior, bins, 0.5f);
  CHECK(class_weights[0] < class_weights[size_t(q) - 1]);
  double mean = 0;
  for (int k = 0; k < q; ++k) mean += prior[size_t(k)] * class_weights[size_t(k)];
  CHECK(mean == Approx(1.0));

  Tensor logits(1, 2, 3, q), ab(1, 2, 3, 2), grad;
  reference::fill_pattern(logits.data, 5);
  reference::fill_pattern(ab.data, 6);
  for (float& v : ab.data) v *= 0.5f;
  ab_cross_entropy(logits, ab, bins, class_weights, 5.0f, &grad);
  for (size_t i : {size_t(0), size_t(17), size_t(q + 3), logits.size() - 1}) {
    Tensor plus = logits, minus = logits;
    plus.data[i] += 1e-2f, minus.data[i] -= 1e-2f;
    const double slope = (ab_cross_entropy(plus, ab, bins, class_weights, 5.0f) -
                          ab_cross_entropy(minus, ab, bins, class_weights, 5.0f)) / 2e-2;
    CHECK(grad.data[i] == Approx(slope).margin(1e-5));
  }
  // Split across a backend's threads, the same loss and gradient to the bit.
  const double alone = ab_cross_entropy(logits, ab, bins, class_weights, 5.0f, &grad);
  for (const std::string& name : available_backends()) {
    INFO(name);
    auto backend = make_backend(name, 3);
    REQUIRE(backend.is_ok());
    Tensor split_grad;
    CHECK(ab_cross_entropy(logits, ab, bins, class_weights, 5.0f, &split_grad, backend.value().get()) == alone);
    CHECK(split_grad.data == grad.data);
  }
}

TEST_CASE("dropout is off at inference and scales kept values by 1/(1-rate) in training") {
  auto architecture = parse_architecture(R"({"name": "d", "layers": [
    {"name": "c1", "op": "conv", "out": 8}, {"name": "drop", "op": "dropout", "rate": 0.25},
    {"name": "c2", "op": "conv", "out": 2}]})", "d.json");
  auto model = create_model(architecture.value(), 1);
  auto backend = make_backend("simd", 1);
  auto made = Graph::create(model.value(), *backend.value(), Graph::Mode::training);
  REQUIRE(made.is_ok());
  Graph& graph = *made.value();
  Tensor input(1, 16, 16, 1);
  reference::fill_pattern(input.data, 1);
  Random rng(3);
  REQUIRE(graph.forward(input).is_ok());
  CHECK(reference::max_abs_difference(graph.activation(1), graph.activation(0)) == 0.0f);
  REQUIRE(graph.forward(input, &rng).is_ok());
  size_t dropped = 0, scaled = 0;
  for (size_t i = 0; i < graph.activation(0).size(); ++i) {
    const float x = graph.activation(0).data[i], y = graph.activation(1).data[i];
    if (y == 0.0f && x != 0.0f) ++dropped;
    if (y != 0.0f && std::fabs(y - x / 0.75f) < 1e-6f) ++scaled;
  }
  CHECK(dropped + scaled == graph.activation(0).size());
  CHECK(dropped > 0.15 * 2048);  // 16*16*8 values, a quarter dropped on average
  CHECK(dropped < 0.35 * 2048);
}

TEST_CASE("dropout on a share of a batch draws that share's part of the whole batch's masks") {
  // Two dropout layers: the second's draws follow the first's, for the whole batch.
  auto architecture = parse_architecture(R"({"name": "d", "layers": [
    {"name": "c1", "op": "conv", "out": 4}, {"name": "drop1", "op": "dropout", "rate": 0.5},
    {"name": "c2", "op": "conv", "out": 2}, {"name": "drop2", "op": "dropout", "rate": 0.5}]})", "d.json");
  REQUIRE(architecture.is_ok());
  auto model = create_model(architecture.value(), 1);
  REQUIRE(model.is_ok());
  auto backend = make_backend("simd", 1);
  auto whole_graph = Graph::create(model.value(), *backend.value(), Graph::Mode::training);
  auto share_graph = Graph::create(model.value(), *backend.value(), Graph::Mode::training);
  REQUIRE(whole_graph.is_ok());
  REQUIRE(share_graph.is_ok());
  Tensor whole(5, 8, 8, 1);
  reference::fill_pattern(whole.data, 4);
  Random whole_rng(9, 2);
  REQUIRE(whole_graph.value()->forward(whole, &whole_rng).is_ok());
  const Tensor& expected = whole_graph.value()->output();
  const size_t row = 8 * 8 * 2;
  for (const auto& [first, rows] : {std::pair{0, 2}, std::pair{2, 2}, std::pair{4, 1}, std::pair{1, 3}}) {
    INFO("rows " << first << ".." << first + rows - 1);
    Tensor share(rows, 8, 8, 1);
    std::copy(whole.data.begin() + first * 64, whole.data.begin() + (first + rows) * 64, share.data.begin());
    Random share_rng(9, 2);
    REQUIRE(share_graph.value()->forward(share, &share_rng, first, 5 - first - rows).is_ok());
    const Tensor& got = share_graph.value()->output();
    REQUIRE(got.size() == row * size_t(rows));
    CHECK(std::equal(got.data.begin(), got.data.end(), expected.data.begin() + std::ptrdiff_t(row * size_t(first))));
    CHECK(share_rng.state() == whole_rng.state());  // the stream ends where the whole batch's does
  }
}
