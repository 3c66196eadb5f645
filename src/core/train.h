// The training step and the state a checkpoint holds. The loop around them (data, files,
// signals, progress) lives in src/io/training_run; everything here is pure computation, so
// resuming from a checkpoint replays the exact same arithmetic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "adam.h"
#include "collective.h"
#include "data.h"
#include "model.h"
#include "ops.h"
#include "status.h"
#include "tensor.h"
#include "graph.h"

namespace tint {

// Where a run is: everything a checkpoint must restore for the run to continue bit for bit.
// Random streams are derived from (seed, step), so no generator state beyond these is needed.
struct TrainingProgress {
  uint64_t seed = 1;
  int64_t step = 0;          // optimiser steps done
  int epoch = 0;             // current epoch (0-based)
  int step_in_epoch = 0;     // batches of `epoch` already consumed
  double best_val_loss = -1; // lowest validation loss seen; < 0 = none yet
  double best_val_auc = -1;  // highest validation AuC seen (best.safetensors with --select auc)
  double huber_delta = 0;    // the run's loss: Huber with this delta, or MSE when 0 (loss.h)
  double epoch_loss_sum = 0; // sum of this epoch's batch losses so far
  double elapsed_seconds = 0;
};

// What a training step minimises: the architecture's losses (model.h, LossSpec), each on its
// layer against the ab map averaged down to that layer's resolution, or, when it names none, MSE
// (Huber with huber_delta > 0) on the output.
class TrainingObjective {
 public:
  // prior: the training set's frequency of each ab bin (ab_prior), needed by cross_entropy terms
  // for their class rebalancing; may be empty otherwise.
  static Result<TrainingObjective> create(const Model& model, float huber_delta, const std::vector<double>& prior = {});
  static bool needs_prior(const Architecture& architecture);
  // The loss of the graph's last forward against ab [n,h,w,2] (ab / 128) at input resolution;
  // with `seeds`, also the gradient seeds for Graph::backward. Per-pixel work runs on the
  // graph's backend's threads.
  double evaluate(const Graph& graph, const Tensor& ab, std::vector<Graph::Seed>* seeds = nullptr) const;
  // The last layer a term reads: a forward for training need not go further.
  int last_layer() const;

 private:
  struct Term {
    size_t layer;
    LossSpec spec;
    int factor;                  // the layer's resolution is the input's / factor
    std::vector<float> weights;  // cross_entropy: per-bin rebalancing weights
  };
  std::vector<Term> terms_;
};

// A data-parallel step: this process holds `shard` of the global batch, and the ranks' gradients
// (each its share's mean, weighted by the share's rows) are summed before every rank takes the
// same Adam step. Without one, or with one rank, a step is the single-process step bit for bit.
struct DataParallel {
  BatchShard shard;
  Collective* collective = nullptr;
  std::vector<float> buffer;  // the gradients, flattened for the sum (kept across steps)
};

// One optimiser step on a batch whose network input is assembled (hints.h): forward (dropout on,
// its mask drawn from a stream fixed by seed and step), the objective, backward, Adam. Returns the
// batch's loss (before the update; with `parallel`, the global batch's).
Result<double> train_step(Graph& graph, Model& model, Adam& adam, const Tensor& input, const Tensor& ab,
                          const TrainingObjective& objective, uint64_t seed, int64_t step,
                          DataParallel* parallel = nullptr);
// One optimiser step on a batch: forward (dropout on, its mask drawn from a stream fixed by
// seed and step), the loss (MSE, or Huber with huber_delta > 0), backward, Adam. Returns the
// batch's loss (before the update).
Result<double> train_step(Graph& graph, Model& model, Adam& adam, const Tensor& lightness,
                          const Tensor& ab, uint64_t seed, int64_t step, float huber_delta = 0);
// The objective over a batch without dropout or updates.
Result<double> evaluation_loss(Graph& graph, const Tensor& input, const Tensor& ab, const TrainingObjective& objective);
// The same loss over a batch without dropout or updates.
Result<double> evaluation_loss(Graph& graph, const Tensor& lightness, const Tensor& ab,
                               float huber_delta = 0);

// Checkpoint = the model's weights file (f32) + "adam.m.<name>" / "adam.v.<name>" tensors (and
// "adam.avg.<name>" when the weights' average is kept) + metadata "training_progress" and "adam"
// (JSON). Written like any weights file.
std::vector<uint8_t> save_checkpoint(const Model& model, const Adam& adam, const TrainingProgress& progress);
struct Checkpoint {
  Model model;
  AdamOptions adam_options;
  int64_t adam_steps = 0;
  std::vector<std::vector<float>> first_moment, second_moment, average;
  TrainingProgress progress;
};
Result<Checkpoint> load_checkpoint(const uint8_t* bytes, size_t size, const std::string& source);

}  // namespace tint
