#include "trainer.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "ab_bins.h"
#include "colorizer.h"
#include "evaluation.h"
#include "hints.h"
#include "metrics.h"

namespace tint {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Result<std::unique_ptr<Trainer>> Trainer::create(Model& model, Adam& adam, const TrainingProgress& progress,
                                                 std::vector<MetricsRow> rows, Backend& backend,
                                                 const TrainerOptions& options) {
  if (options.epochs < 1 || options.batch < 1 || options.threads < 1) {
    return Status::error("epochs, batch and threads must be >= 1; got epochs " + std::to_string(options.epochs) +
                         ", batch " + std::to_string(options.batch) + ", threads " + std::to_string(options.threads));
  }
  if (options.select != "loss" && options.select != "auc") {
    return Status::error("select must be \"loss\" or \"auc\", not \"" + options.select + "\"");
  }
  const int ranks = options.collective ? options.collective->size() : 1;
  if (options.batch < ranks) {
    return Status::error("batch " + std::to_string(options.batch) + " is smaller than the " + std::to_string(ranks) +
                         " ranks: each needs at least one photo of every batch");
  }
  std::unique_ptr<Trainer> trainer(new Trainer(model, adam, backend));
  adam.backend = &backend;
  trainer->options_ = options;
  trainer->progress_ = progress;
  trainer->rows_ = std::move(rows);
  auto graph = Graph::create(model, backend, Graph::Mode::training);
  if (!graph) return graph.status();
  trainer->graph_ = std::move(graph.value());
  trainer->parallel_.collective = options.collective;
  trainer->parallel_.shard = BatchShard::of(options.batch, options.collective ? options.collective->rank() : 0, ranks);
  return trainer;
}

double Trainer::elapsed() const { return elapsed_before_ + now_seconds() - run_start_; }

Status Trainer::run(TrainingData& data, const TrainerHooks& hooks, bool* stopped) {
  *stopped = false;
  if (data.batches_per_epoch() < 1) {
    return Status::error("batch " + std::to_string(options_.batch) + " is larger than the " +
                         std::to_string(data.train_count()) + " training images");
  }
  const std::vector<double> prior = TrainingObjective::needs_prior(model_.architecture) ? data.colour_prior() : std::vector<double>{};
  auto objective = TrainingObjective::create(model_, float(progress_.huber_delta), prior);
  if (!objective) return objective.status();
  objective_ = std::move(objective.value());
  elapsed_before_ = progress_.elapsed_seconds;
  run_start_ = last_checkpoint_time_ = now_seconds();
  last_checkpoint_step_ = first_step_ = progress_.step;
  while (progress_.epoch < options_.epochs) {
    TINT_RETURN_IF_ERROR(run_steps(data, hooks, stopped));
    if (*stopped) return Status::ok();
    TINT_RETURN_IF_ERROR(finish_epoch(data, hooks));
  }
  return Status::ok();
}

// The rest of the current epoch's steps. A metrics row every ~1/20 epoch (at least every 50
// steps) and at the epoch's end; a checkpoint when one is due or when stopping.
Status Trainer::run_steps(TrainingData& data, const TrainerHooks& hooks, bool* stopped) {
  const int steps_per_epoch = data.batches_per_epoch();
  // A run stopped right after an epoch's last step resumes at that epoch's validation.
  if (progress_.step_in_epoch >= steps_per_epoch) return Status::ok();
  TINT_RETURN_IF_ERROR(data.start(progress_.epoch, progress_.step_in_epoch));
  const int64_t total_steps = int64_t(options_.epochs) * steps_per_epoch;
  double interval_loss = 0.0, interval_start = now_seconds();
  int interval_steps = 0;
  while (progress_.step_in_epoch < steps_per_epoch) {
    auto batch = data.next();
    if (!batch) return batch.status();
    auto input = batch_input(batch.value(), 0x68696e7400000000ull + uint64_t(progress_.step),  // "hint" + step
                             parallel_.shard.first, &batch->ab);
    if (!input) return input.status();
    auto loss = train_step(*graph_, model_, adam_, input.value(), batch->ab, objective_, progress_.seed, progress_.step,
                           &parallel_);
    if (!loss) return loss.status();
    if (!std::isfinite(loss.value())) {
      return Status::error("training diverged at step " + std::to_string(progress_.step) +
                           " (loss is not finite); try a lower --lr");
    }
    ++progress_.step;
    ++progress_.step_in_epoch;
    interval_loss += loss.value();
    progress_.epoch_loss_sum += loss.value();  // checkpointed, so a resumed epoch reports the same mean
    ++interval_steps;
    const bool record = progress_.step_in_epoch == steps_per_epoch ||
                        interval_steps >= std::clamp(steps_per_epoch / 20, 1, 50);
    const double since = std::max(now_seconds() - interval_start, 1e-9);
    const double done = double(progress_.step - first_step_);
    TrainerHooks::Step report{progress_.epoch, options_.epochs, progress_.step_in_epoch, steps_per_epoch,
                              interval_steps * options_.batch / since, interval_loss / interval_steps,
                              done > 0 ? (elapsed() - elapsed_before_) / done * double(total_steps - progress_.step) : 0,
                              record};
    hooks.step(report);
    if (record) {
      rows_.push_back({progress_.step, progress_.epoch, report.loss, NAN, adam_.options.learning_rate,
                       report.images_per_second});
      interval_loss = 0;
      interval_steps = 0;
      interval_start = now_seconds();
    }
    *stopped = hooks.stop_requested() || (options_.max_steps > 0 && progress_.step >= options_.max_steps) ||
               (options_.max_minutes > 0 && elapsed() - elapsed_before_ >= options_.max_minutes * 60);
    if (options_.collective) {  // a signal or a clock seen by one rank stops them all at this step
      auto any = options_.collective->any(*stopped);
      if (!any) return any.status();
      *stopped = any.value();
    }
    const bool due = (options_.checkpoint_steps > 0 && progress_.step - last_checkpoint_step_ >= options_.checkpoint_steps) ||
                     (options_.checkpoint_minutes > 0 && now_seconds() - last_checkpoint_time_ >= options_.checkpoint_minutes * 60);
    if (*stopped || due) TINT_RETURN_IF_ERROR(write_checkpoint(hooks));
    if (*stopped) return Status::ok();
  }
  return Status::ok();
}

// Validation loss on the fixed crops, and the eval metrics on whole validation photos.
Status Trainer::validate(TrainingData& data, MetricsRow& row) {
  double val_sum = 0;
  const int val_batches = data.validation_batches();
  for (int b = 0; b < val_batches; ++b) {
    auto batch = data.validation_batch(b);
    if (!batch) return batch.status();
    auto input = batch_input(batch.value(), 0x76616c6800000000ull + uint64_t(b));  // "valh" + batch: fixed hints
    if (!input) return input.status();
    auto loss = evaluation_loss(*graph_, input.value(), batch->ab, objective_);
    if (!loss) return loss.status();
    val_sum += loss.value() * batch->lightness.shape.n;
  }
  if (val_batches == 0) return Status::ok();
  row.val_loss = val_sum / data.validation_count();
  ColorizerOptions options;
  options.threads = options_.threads;
  options.backend = backend_.name();
  auto colorizer = Colorizer::create(model_, options);
  if (!colorizer) return colorizer.status();
  MetricsMean mean, hinted;
  const bool hints = colorizer.value()->takes_hints();
  for (int index = 0; index < data.validation_count(); ++index) {
    auto photo = data.validation_photo(index);
    if (!photo) return photo.status();
    const Image* original = photo->get();
    for (const bool with_hints : {false, true}) {
      if (with_hints && !hints) continue;
      // Each photo's hints are fixed by its place in the split, so epochs compare like with like.
      const std::vector<ColorHint> given =
          with_hints ? sample_hints(*original, kValidationHints, hint_seed("validation", index)) : std::vector<ColorHint>{};
      auto colorized = colorizer.value()->colorize(original->view(), given);
      if (!colorized) return colorized.status();
      ColorMetrics m;
      compare_colors(colorized.value(), *original, m);
      (with_hints ? hinted : mean).add(m);
    }
  }
  row.val_psnr = mean.psnr();
  row.val_colorfulness = mean.colorfulness_ratio();
  row.val_auc = mean.auc();
  if (hints) row.val_psnr_hints = hinted.psnr(), row.val_auc_hints = hinted.auc();
  return Status::ok();
}

// While alive, the model holds the optimiser's moving average of its weights (when one is kept)
// instead of the weights being trained; the graph reads the values through the model.
class AveragedWeights {
 public:
  AveragedWeights(Model& model, Adam& adam) : model_(model), adam_(adam) { swap(); }
  ~AveragedWeights() { swap(); }
  AveragedWeights(const AveragedWeights&) = delete;
  AveragedWeights& operator=(const AveragedWeights&) = delete;

 private:
  void swap() {
    if (adam_.average.size() != model_.parameters.size()) return;
    for (size_t p = 0; p < model_.parameters.size(); ++p) model_.parameters[p].values.swap(adam_.average[p]);
  }
  Model& model_;
  Adam& adam_;
};

// End of an epoch: validation, the best and last weights (the moving average when one is kept),
// a checkpoint.
Status Trainer::finish_epoch(TrainingData& data, const TrainerHooks& hooks) {
  const int steps = progress_.step_in_epoch;
  MetricsRow row{progress_.step, progress_.epoch, NAN, NAN, adam_.options.learning_rate, NAN};
  if (steps > 0) row.train_loss = progress_.epoch_loss_sum / steps;
  if (root()) TINT_RETURN_IF_ERROR(validate_and_save(data, hooks, row));
  ++progress_.epoch;
  progress_.step_in_epoch = 0;
  progress_.epoch_loss_sum = 0;
  TINT_RETURN_IF_ERROR(write_checkpoint(hooks));
  if (root()) TINT_RETURN_IF_ERROR(hooks.rows(rows_));
  // The other ranks sleep here while rank 0 validates and writes.
  return options_.collective ? options_.collective->barrier() : Status::ok();
}

Status Trainer::validate_and_save(TrainingData& data, const TrainerHooks& hooks, MetricsRow& row) {
  AveragedWeights averaged(model_, adam_);
  TINT_RETURN_IF_ERROR(validate(data, row));
  rows_.push_back(row);
  const bool has_validation = data.validation_batches() > 0;
  hooks.epoch_done(progress_.epoch, options_.epochs, row, has_validation);
  const double score = std::isnan(row.val_loss) ? row.train_loss : row.val_loss;
  const bool best_loss = progress_.best_val_loss < 0 || score < progress_.best_val_loss;
  const bool best_auc = !std::isnan(row.val_auc) && row.val_auc > progress_.best_val_auc;
  if (best_loss) progress_.best_val_loss = score;
  if (best_auc) progress_.best_val_auc = row.val_auc;
  if ((options_.select == "auc" && !std::isnan(row.val_auc)) ? best_auc : best_loss) {
    TINT_RETURN_IF_ERROR(hooks.weights("best", with_metadata(row, data.train_count(), data.validation_count())));
  }
  return hooks.weights("last", with_metadata(row, data.train_count(), data.validation_count()));
}

Result<Tensor> Trainer::batch_input(const Batch& batch, uint64_t stream, int first_row, Tensor* recolour) const {
  auto input = network_input(model_.architecture, batch.lightness);
  if (!input) return input.status();
  for (int row = 0; row < batch.ab.shape.n; ++row) {
    Random rng(progress_.seed, mix_hash(stream, uint64_t(first_row + row)));
    simulate_hints_row(input.value(), model_.architecture, batch.ab, row, rng, options_.hints, recolour);
  }
  return input;
}

Status Trainer::write_checkpoint(const TrainerHooks& hooks) {
  progress_.elapsed_seconds = elapsed();
  if (root()) TINT_RETURN_IF_ERROR(hooks.checkpoint(save_checkpoint(model_, adam_, progress_), rows_));
  last_checkpoint_time_ = now_seconds();
  last_checkpoint_step_ = progress_.step;
  return Status::ok();
}

// The weights as of an epoch's end, with that epoch's row in their "training" metadata.
Model Trainer::with_metadata(const MetricsRow& row, int train_count, int validation_count) const {
  nlohmann::json training = {{"data", options_.data_folders},
                             {"cifar10", options_.cifar10_folder},
                             {"command", options_.command_line},
                             {"epochs", options_.epochs},
                             {"steps", progress_.step},
                             {"batch", options_.batch},
                             {"crop", options_.crop},
                             {"loss", !model_.architecture.losses.empty() ? "architecture" : progress_.huber_delta > 0 ? "huber" : "mse"},
                             {"huber_delta", progress_.huber_delta},
                             {"weights_average_decay", std::round(double(adam_.options.average_decay) * 1e6) / 1e6},  // as typed
                             {"seed", std::to_string(progress_.seed)},
                             {"wall_time_seconds", std::round(elapsed())},
                             {"final_train_loss", row.train_loss},
                             {"final_val_loss", row.val_loss},
                             {"final_val_psnr", row.val_psnr},
                             {"final_val_colorfulness", row.val_colorfulness},
                             {"final_val_auc", row.val_auc},
                             {"best_val_loss", progress_.best_val_loss},
                             {"best_val_auc", progress_.best_val_auc},
                             {"selected_by", options_.select},
                             {"train_images", train_count},
                             {"val_images", validation_count},
                             {"date", options_.date}};
  Model copy = model_;
  copy.metadata["training"] = training.dump();
  return copy;
}

}  // namespace tint
