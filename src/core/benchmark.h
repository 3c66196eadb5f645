// `tint bench`'s timing loops: the forward pass per layer on several backends, interleaved
// round by round (this kind of machine drifts) with the best round per layer kept, beside one
// 64->64 3x3 conv at 128x128 as the machine's yardstick; and whole training steps. Printing
// lives in the CLI; figures are for benches, never for tests.
#pragma once

#include <string>
#include <vector>

#include "model.h"
#include "profile.h"
#include "status.h"

namespace tint {

struct ForwardTimes {
  std::string backend;
  std::vector<double> layer_ms;  // best per layer
  double total_ms = 0;           // best whole forward
  double conv_ms = 0;            // best yardstick conv
};
inline constexpr int kYardstickChannels = 64, kYardstickSize = 128;

// Inputs of side `size` (rounded up to the model's stride multiple); one warm-up round, then
// `runs` timed rounds.
Result<std::vector<ForwardTimes>> time_forward(const Model& model, const std::vector<std::string>& backends, int threads,
                                               int size, int runs);

// Best milliseconds of one training step (forward, MSE, backward, Adam) on a fixed synthetic
// batch of `crop` x `crop` crops; one warm-up step, then `runs` timed steps. With `profile`, the
// timed steps' phases (profile.h) are summed into it.
Result<double> time_training_step(const Model& model, const std::string& backend, int threads, int batch, int crop,
                                  int runs, Profile* profile = nullptr);

}  // namespace tint
