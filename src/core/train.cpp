#include "train.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>

#include "ab_bins.h"
#include "hints.h"
#include "loss.h"
#include "profile.h"
#include "random.h"
#include "weights.h"

namespace tint {

using json = nlohmann::json;

bool TrainingObjective::needs_prior(const Architecture& architecture) {
  for (const LossSpec& loss : architecture.losses)
    if (loss.type == "cross_entropy") return true;
  return false;
}

int TrainingObjective::last_layer() const {
  int last = -1;
  for (const Term& term : terms_) last = std::max(last, int(term.layer));
  return last;
}

Result<TrainingObjective> TrainingObjective::create(const Model& model, float huber_delta, const std::vector<double>& prior) {
  TrainingObjective objective;
  const Architecture& architecture = model.architecture;
  if (architecture.losses.empty()) {
    LossSpec spec;
    spec.layer = architecture.layers.back().name;
    spec.type = huber_delta > 0 ? "huber" : "mse";
    spec.delta = huber_delta;
    objective.terms_.push_back({architecture.layers.size() - 1, spec, 1, {}});
    return objective;
  }
  const AbBins& bins = AbBins::gamut();
  for (const LossSpec& spec : architecture.losses) {
    Term term{0, spec, 1, {}};
    for (size_t i = 0; i < architecture.layers.size(); ++i)
      if (architecture.layers[i].name == spec.layer) term.layer = i, term.factor = 1 << model.shapes[i].depth;
    if (spec.type == "cross_entropy") {
      if (prior.size() != size_t(bins.count())) return Status::error("cross_entropy needs the training set's ab prior");
      term.weights = rebalancing_weights(prior, bins, float(spec.rebalance));
    }
    objective.terms_.push_back(std::move(term));
  }
  return objective;
}

double TrainingObjective::evaluate(const Graph& graph, const Tensor& ab, std::vector<Graph::Seed>* seeds) const {
  double total = 0;
  for (const Term& term : terms_) {
    const Tensor& output = graph.activation(term.layer);
    const Tensor target = term.factor == 1 ? Tensor() : downsample_average(ab, term.factor);
    const Tensor& truth = term.factor == 1 ? ab : target;
    Tensor grad;
    Tensor* g = seeds ? &grad : nullptr;
    double loss = 0;
    if (term.spec.type == "cross_entropy") {
      loss = ab_cross_entropy(output, truth, AbBins::gamut(), term.weights, float(term.spec.sigma), g, &graph.backend());
    } else {
      loss = training_loss(output, truth, term.spec.type == "huber" ? float(term.spec.delta) : 0.0f, g);
    }
    total += term.spec.weight * loss;
    if (seeds) {
      if (term.spec.weight != 1.0)
        for (float& v : grad.data) v *= float(term.spec.weight);
      seeds->emplace_back(term.layer, std::move(grad));
    }
  }
  return total;
}

namespace {

// The global batch's gradients and loss on every rank: each rank's share-mean weighted by its
// share of the rows, summed in rank order (Collective::sum): the gradients in one message, the
// loss (a double) in a second.
Status sum_across_ranks(std::vector<std::vector<float>>& gradients, double& loss, DataParallel& parallel) {
  const float share = float(parallel.shard.rows) / float(parallel.shard.total);
  std::vector<float>& buffer = parallel.buffer;
  buffer.clear();
  for (const auto& gradient : gradients)
    for (const float g : gradient) buffer.push_back(g * share);
  TINT_RETURN_IF_ERROR(parallel.collective->sum(buffer));
  size_t offset = 0;
  for (auto& gradient : gradients) {
    std::copy(buffer.begin() + std::ptrdiff_t(offset), buffer.begin() + std::ptrdiff_t(offset + gradient.size()), gradient.begin());
    offset += gradient.size();
  }
  std::vector<double> total{loss * double(share)};
  TINT_RETURN_IF_ERROR(parallel.collective->sum(total));
  loss = total[0];
  return Status::ok();
}

}  // namespace

Result<double> train_step(Graph& graph, Model& model, Adam& adam, const Tensor& input, const Tensor& ab,
                          const TrainingObjective& objective, uint64_t seed, int64_t step, DataParallel* parallel) {
  Random dropout_rng(seed, 0x64726f70ull + uint64_t(step) * 2);  // "drop", one stream per step
  const bool shared = parallel && parallel->collective && parallel->collective->size() > 1;
  TINT_RETURN_IF_ERROR(graph.forward(input, &dropout_rng, shared ? parallel->shard.first : 0,
                                     shared ? parallel->shard.after() : 0, objective.last_layer()));
  std::vector<Graph::Seed> seeds;
  double loss;
  {
    ProfileScope phase("loss and its gradient");
    loss = objective.evaluate(graph, ab, &seeds);
  }
  TINT_RETURN_IF_ERROR(graph.backward(std::move(seeds)));
  if (shared) {
    ProfileScope phase("gradient sum across ranks");
    TINT_RETURN_IF_ERROR(sum_across_ranks(graph.gradients(), loss, *parallel));
  }
  ProfileScope phase("optimizer (Adam)");
  adam.step(model.parameters, graph.gradients());
  return loss;
}

Result<double> train_step(Graph& graph, Model& model, Adam& adam, const Tensor& lightness, const Tensor& ab,
                          uint64_t seed, int64_t step, float huber_delta) {
  std::optional<ProfileScope> setup(std::in_place, "loss setup and input assembly");
  auto objective = TrainingObjective::create(model, huber_delta);
  if (!objective) return objective.status();
  auto input = network_input(model.architecture, lightness);
  if (!input) return input.status();
  setup.reset();
  return train_step(graph, model, adam, input.value(), ab, objective.value(), seed, step);
}

Result<double> evaluation_loss(Graph& graph, const Tensor& input, const Tensor& ab, const TrainingObjective& objective) {
  TINT_RETURN_IF_ERROR(graph.forward(input, nullptr, 0, 0, objective.last_layer()));
  return objective.evaluate(graph, ab);
}

Result<double> evaluation_loss(Graph& graph, const Tensor& lightness, const Tensor& ab, float huber_delta) {
  auto objective = TrainingObjective::create(graph.model(), huber_delta);
  if (!objective) return objective.status();
  auto input = network_input(graph.model().architecture, lightness);
  if (!input) return input.status();
  return evaluation_loss(graph, input.value(), ab, objective.value());
}

std::vector<uint8_t> save_checkpoint(const Model& model, const Adam& adam, const TrainingProgress& progress) {
  TensorFile file = model_to_tensor_file(model);
  for (size_t p = 0; p < model.parameters.size(); ++p) {
    const auto& parameter = model.parameters[p];
    std::vector<int64_t> shape(parameter.shape.begin(), parameter.shape.end());
    file.tensors.push_back({"adam.m." + parameter.name, shape, adam.first_moment[p], Dtype::f32});
    file.tensors.push_back({"adam.v." + parameter.name, shape, adam.second_moment[p], Dtype::f32});
    if (!adam.average.empty()) file.tensors.push_back({"adam.avg." + parameter.name, shape, adam.average[p], Dtype::f32});
  }
  // Doubles as hex-float strings: exact round trip of the learning rate and the losses.
  auto exact = [](double value) {
    char text[40];
    std::snprintf(text, sizeof text, "%a", value);
    return std::string(text);
  };
  file.metadata["training_progress"] = json{{"seed", std::to_string(progress.seed)},
                                            {"step", progress.step},
                                            {"epoch", progress.epoch},
                                            {"step_in_epoch", progress.step_in_epoch},
                                            {"best_val_loss", exact(progress.best_val_loss)},
                                            {"best_val_auc", exact(progress.best_val_auc)},
                                            {"huber_delta", exact(progress.huber_delta)},
                                            {"epoch_loss_sum", exact(progress.epoch_loss_sum)},
                                            {"elapsed_seconds", exact(progress.elapsed_seconds)}}
                                           .dump();
  file.metadata["adam"] = json{{"learning_rate", exact(adam.options.learning_rate)},
                               {"beta1", exact(adam.options.beta1)},
                               {"beta2", exact(adam.options.beta2)},
                               {"epsilon", exact(adam.options.epsilon)},
                               {"weight_decay", exact(adam.options.weight_decay)},
                               {"clip_norm", exact(adam.options.clip_norm)},
                               {"average_decay", exact(adam.options.average_decay)},
                               {"steps", adam.steps}}
                              .dump();
  return serialize_safetensors(file, Dtype::f32);
}

namespace {

bool read_exact(const json& object, const char* key, double& out) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return false;
  char* end = nullptr;
  const std::string& text = it->get_ref<const std::string&>();
  out = std::strtod(text.c_str(), &end);
  return end && *end == '\0' && !text.empty();
}

bool read_integer(const json& object, const char* key, int64_t& out) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return false;
  out = it->get<int64_t>();
  return true;
}

}  // namespace

Result<Checkpoint> load_checkpoint(const uint8_t* bytes, size_t size, const std::string& source) {
  auto file = parse_safetensors(bytes, size, source);
  if (!file) return file.status();
  auto model = model_from_tensor_file(file.value(), source, {"adam."});
  if (!model) return model.status();
  Checkpoint checkpoint;
  checkpoint.model = std::move(model.value());
  const std::string at = source + ": ";
  auto metadata_json = [&](const char* key, json& out) -> Status {
    const auto it = checkpoint.model.metadata.find(key);
    if (it == checkpoint.model.metadata.end()) return Status::error(at + "not a checkpoint (no \"" + key + "\" metadata)");
    out = json::parse(it->second, nullptr, false);
    if (out.is_discarded() || !out.is_object()) return Status::error(at + "\"" + key + "\" metadata is not a JSON object");
    checkpoint.model.metadata.erase(it);
    return Status::ok();
  };
  json progress, adam;
  TINT_RETURN_IF_ERROR(metadata_json("training_progress", progress));
  TINT_RETURN_IF_ERROR(metadata_json("adam", adam));
  TrainingProgress& p = checkpoint.progress;
  int64_t epoch = 0, step_in_epoch = 0;
  double lr = 0, beta1 = 0, beta2 = 0, epsilon = 0, decay = 0, clip = 0;
  const auto seed = progress.find("seed");
  if (seed == progress.end() || !seed->is_string() || !read_integer(progress, "step", p.step) ||
      !read_integer(progress, "epoch", epoch) || !read_integer(progress, "step_in_epoch", step_in_epoch) ||
      !read_exact(progress, "best_val_loss", p.best_val_loss) || !read_exact(progress, "epoch_loss_sum", p.epoch_loss_sum) || !read_exact(progress, "elapsed_seconds", p.elapsed_seconds) ||
      !read_exact(adam, "learning_rate", lr) || !read_exact(adam, "beta1", beta1) || !read_exact(adam, "beta2", beta2) ||
      !read_exact(adam, "epsilon", epsilon) || !read_exact(adam, "weight_decay", decay) ||
      !read_exact(adam, "clip_norm", clip) || !read_integer(adam, "steps", checkpoint.adam_steps)) {
    return Status::error(at + "checkpoint metadata is incomplete or malformed");
  }
  // Checkpoints from before --select auc and --huber have neither field: none seen yet, MSE.
  // And before the weights' average: none kept.
  double average_decay = 0;
  if ((progress.contains("best_val_auc") && !read_exact(progress, "best_val_auc", p.best_val_auc)) ||
      (progress.contains("huber_delta") && !read_exact(progress, "huber_delta", p.huber_delta)) ||
      (adam.contains("average_decay") && !read_exact(adam, "average_decay", average_decay)) ||
      !(average_decay >= 0 && average_decay < 1)) {
    return Status::error(at + "checkpoint metadata is incomplete or malformed");
  }
  p.seed = std::strtoull(seed->get_ref<const std::string&>().c_str(), nullptr, 10);
  p.epoch = int(epoch);
  p.step_in_epoch = int(step_in_epoch);
  checkpoint.adam_options = {float(lr),    float(beta1), float(beta2),
                             float(epsilon), float(decay), float(clip), float(average_decay)};
  std::vector<std::pair<const char*, std::vector<std::vector<float>>*>> states{
      {"adam.m.", &checkpoint.first_moment}, {"adam.v.", &checkpoint.second_moment}};
  if (average_decay > 0) states.push_back({"adam.avg.", &checkpoint.average});
  for (const auto& parameter : checkpoint.model.parameters) {
    for (const auto& [prefix, moments] : states) {
      const std::string name = prefix + parameter.name;
      const TensorEntry* entry = file->find(name);
      if (!entry || entry->values.size() != parameter.values.size()) {
        return Status::error(at + "checkpoint is missing optimiser state " + name);
      }
      moments->push_back(entry->values);
    }
  }
  return checkpoint;
}

}  // namespace tint
