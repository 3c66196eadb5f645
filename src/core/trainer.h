// The training loop and its policies (docs/design.md, "Training"): steps over the epochs,
// metrics rows, validation (loss on fixed crops, and whole photos colourised and scored as
// `tint eval` does), which weights are "best", when a checkpoint is due, when to stop. It owns no
// files and no terminal: it hands bytes, models and progress to TrainerHooks, which src/io
// implements (metrics.csv, loss.svg, atomic writes, the progress line).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adam.h"
#include "collective.h"
#include "data.h"
#include "hints.h"
#include "image.h"
#include "model.h"
#include "status.h"
#include "train.h"

namespace tint {

// One row of a run's metrics (metrics.csv): a stretch of steps, or an epoch's end.
struct MetricsRow {
  int64_t step = 0;
  int epoch = 0;
  double train_loss = NAN;  // mean over the row's steps
  double val_loss = NAN;    // NaN when not measured
  double learning_rate = NAN;
  double images_per_second = NAN;
  // Whole validation photos colourised from their L (means, as `tint eval`); NaN when not measured.
  double val_psnr = NAN, val_colorfulness = NAN, val_auc = NAN;
  // The same with kValidationHints simulated hints per photo (hint models only).
  double val_psnr_hints = NAN, val_auc_hints = NAN;
};

// How many hints training's validation gives each photo for its with-hints figures.
inline constexpr int kValidationHints = 10;

// Where the batches come from: natively src/io's Dataset and BatchLoader.
class TrainingData {
 public:
  virtual ~TrainingData() = default;
  virtual int batches_per_epoch() const = 0;
  // Begins (or resumes) an epoch at a step; the batches depend on (seed, epoch, step) only.
  virtual Status start(int epoch, int first_step) = 0;
  virtual Result<Batch> next() = 0;
  virtual int validation_batches() const = 0;
  virtual Result<Batch> validation_batch(int index) const = 0;
  virtual int train_count() const = 0;
  virtual int validation_count() const = 0;
  // Validation photo `index` (0 .. validation_count() - 1), whole (8-bit RGB), for the eval
  // metrics; it may be read from disk now, so it can fail.
  virtual Result<std::shared_ptr<const Image>> validation_photo(int index) const = 0;
  // The training photos' colour prior (ab_prior_from_counts) for a classification head's
  // rebalancing; empty when the data was loaded without one.
  virtual std::vector<double> colour_prior() const = 0;
};

struct TrainerOptions {
  int epochs = 10;
  int batch = 16;
  int threads = 1;
  std::string select = "loss";       // best.safetensors: lowest validation "loss" or highest "auc"
  int64_t checkpoint_steps = 0;      // 0: off
  double checkpoint_minutes = 10.0;  // 0: off
  double max_minutes = 0.0;          // stop (with a checkpoint) after this long; 0: no limit
  int64_t max_steps = 0;             // stop (with a checkpoint) at this total step; 0: no limit
  // Recorded in the weights' "training" metadata.
  std::vector<std::string> data_folders;
  std::string cifar10_folder;
  std::string command_line;
  int crop = 128;
  std::string date;  // "YYYY-MM-DD"
  // A data-parallel run's ranks (null: one process). The data then yields this rank's share of
  // each batch (BatchShard::of); rank 0 alone validates and calls the hooks that write files.
  Collective* collective = nullptr;
  HintSimulation hints;  // how hint models' training hints are drawn
};

// What the loop reports and asks; every member must be set.
struct TrainerHooks {
  struct Step {
    int epoch, epochs, step_in_epoch, steps_per_epoch;
    double images_per_second, loss, eta_seconds;
    bool recorded;  // this step closed a metrics row
  };
  std::function<void(const Step&)> step;
  // An epoch's end, with its row (validation figures filled when there is validation data).
  std::function<void(int epoch, int epochs, const MetricsRow& row, bool has_validation)> epoch_done;
  // Writes a checkpoint (its bytes) and the rows so far; called when one is due.
  std::function<Status(const std::vector<uint8_t>& checkpoint, const std::vector<MetricsRow>& rows)> checkpoint;
  // Writes weights: "best" or "last" (f32), with the run's metadata.
  std::function<Status(const std::string& which, const Model& model)> weights;
  // The rows so far, after each epoch (for curves).
  std::function<Status(const std::vector<MetricsRow>& rows)> rows;
  // True when the run should stop now (a signal), with a checkpoint.
  std::function<bool()> stop_requested;
};

class Trainer {
 public:
  // Continues from `progress` (step 0 for a new run) with `rows` already recorded. The model,
  // optimiser and backend must outlive the trainer.
  static Result<std::unique_ptr<Trainer>> create(Model& model, Adam& adam, const TrainingProgress& progress,
                                                 std::vector<MetricsRow> rows, Backend& backend,
                                                 const TrainerOptions& options);
  // Runs to the last epoch, a limit or a stop request. `stopped` says whether it stopped early
  // (a checkpoint was written). Every rank of a data-parallel run calls it with its share.
  Status run(TrainingData& data, const TrainerHooks& hooks, bool* stopped);
  const TrainingProgress& progress() const { return progress_; }

 private:
  Trainer(Model& model, Adam& adam, Backend& backend) : model_(model), adam_(adam), backend_(backend) {}
  Status run_steps(TrainingData& data, const TrainerHooks& hooks, bool* stopped);
  Status finish_epoch(TrainingData& data, const TrainerHooks& hooks);
  Status validate_and_save(TrainingData& data, const TrainerHooks& hooks, MetricsRow& row);
  Status validate(TrainingData& data, MetricsRow& row);
  Status write_checkpoint(const TrainerHooks& hooks);
  // The batch's network input: lightness, and hints simulated from its ab for hint models (row r
  // from a stream fixed by `stream` and first_row + r, its row in the global batch, so resumed,
  // repeated and data-parallel runs see the same hints). With `recolour` (the batch's target),
  // some hints' regions are recoloured in it first (HintSimulation::recolour_share).
  Result<Tensor> batch_input(const Batch& batch, uint64_t stream, int first_row = 0, Tensor* recolour = nullptr) const;
  bool root() const { return !options_.collective || options_.collective->rank() == 0; }
  Model with_metadata(const MetricsRow& row, int train_count, int validation_count) const;
  double elapsed() const;

  Model& model_;
  Adam& adam_;
  Backend& backend_;
  TrainerOptions options_;
  TrainingProgress progress_;
  std::vector<MetricsRow> rows_;
  std::unique_ptr<Graph> graph_;
  TrainingObjective objective_;
  DataParallel parallel_;
  double elapsed_before_ = 0;
  double run_start_ = 0, last_checkpoint_time_ = 0;
  int64_t last_checkpoint_step_ = 0, first_step_ = 0;
};

}  // namespace tint
