// `tint train` as a library call: data, the loop, checkpoints, metrics and curves on disk.
// A run killed at any moment loses at most the work since its last checkpoint; SIGINT/SIGTERM
// write one and stop cleanly; --resume continues bit for bit (same seed and thread count).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collective.h"
#include "model.h"
#include "status.h"

namespace tint {

struct TrainingRunOptions {
  std::vector<std::string> data_folders;
  std::string cifar10_folder;
  Architecture architecture;  // ignored with resume or init (the file's is used)
  std::string out_dir;
  int epochs = 10;
  int batch = 16;
  int crop = 128;
  float learning_rate = 3e-4f;
  float weight_decay = 0.0f;
  float clip_norm = 0.0f;
  float average_decay = 0.0f;  // > 0: validate and save a moving average of the weights (adam.h)
  float huber_delta = 0.0f;  // 0: MSE; > 0: Huber loss (ignored with resume: the checkpoint's)
  double val_fraction = 0.1;
  std::string val_list;  // a file of keys to hold out (one per line) instead of val_fraction
  uint64_t seed = 1;
  int threads = 1;
  int max_side = 512;       // long-side cap of each photo in memory
  double data_memory_mb = 4096;  // MiB of decoded photos kept per process (0: all); beyond it they are read again when needed
  float min_scale = 0.5f;   // random downscale range of a crop: [min_scale, 1]
  std::string resume;       // checkpoint to continue from
  std::string init;         // weights to start a new run from (architecture from the file)
  int64_t checkpoint_steps = 0;      // 0: off
  double checkpoint_minutes = 10.0;  // 0: off
  double max_minutes = 0.0;          // stop (with a checkpoint) after this long; 0: no limit
  int64_t max_steps = 0;             // stop (with a checkpoint) at this total step; 0: no limit
  std::string command_line;          // recorded in the weights' metadata
  // What best.safetensors keeps: "loss" (lowest validation MSE) or "auc" (highest validation AuC
  // of whole validation photos colourised as `tint eval` does; MSE rewards the brown average,
  // AuC rewards getting colours right).
  std::string select = "loss";
  // Hint models' simulated hints: the share of crops without any, and where the points go
  // ("centre": normal around the crop's centre; "uniform": anywhere, as `eval --hints`).
  double no_hint_share = 0.5;
  std::string hint_locations = "centre";
  double hint_recolour_share = 0.0;  // share of hint points whose region is recoloured (hints.h)
};

// Runs to the last epoch, to max_minutes, or to a signal. Returns an error for bad data,
// unwritable output, or a checkpoint that does not fit; `interrupted` says whether it stopped
// early (checkpoint written).
// With a collective, this process is one rank of a data-parallel run (every rank calls this with
// the same options): rank 0 reads the start file and sends it to the others, every rank loads
// the data and builds its share of each batch, the ranks' program, flags and data are compared
// before the first step, and rank 0 alone reports and writes files. An error at the start that
// only some ranks hit ends every rank (the others return kAnotherRankFailed); an error during
// training ends the whole job (abort_mpi) after printing it.
Status run_training(const TrainingRunOptions& options, bool* interrupted = nullptr, Collective* collective = nullptr);

}  // namespace tint
