// How the processes of a data-parallel training run talk (docs/design.md, "Training on several
// machines"). The core only sees this interface; src/io/mpi_collective implements it on MPI, and a
// run of one process has none at all, so the single-process trainer does exactly what it did
// before data parallelism existed.
#pragma once

#include <cstdint>
#include <vector>

#include "status.h"

namespace tint {

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Element-wise sum over the ranks, every rank's values in place. The terms are added in rank
  // order, ((r0 + r1) + r2) + ..., whatever the transport does, so every rank gets the same bits
  // and a run's result does not depend on the message sizes an MPI library tunes its algorithms by.
  virtual Status sum(std::vector<float>& values) = 0;
  virtual Status sum(std::vector<double>& values) = 0;
  // True on every rank when `flag` is true on any (a stop request, a time limit).
  virtual Result<bool> any(bool flag) = 0;
  // Rank 0's bytes on every rank (the start weights or checkpoint, so only rank 0 needs the file).
  virtual Status broadcast(std::vector<uint8_t>& bytes) = 0;
  // The lowest rank whose `value` differs from rank 0's, or -1 when all agree.
  virtual Result<int> first_mismatch(uint64_t value) = 0;
  // Returns once every rank got here; waiting ranks sleep instead of spinning a core (while rank
  // 0 validates and writes files, the others must not slow it down).
  virtual Status barrier() = 0;
};

}  // namespace tint
