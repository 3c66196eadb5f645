// How the processes of a data-parallel training run talk (docs/design.md, "Training on several
// machines"). The core only sees this interface; src/io/mpi_collective implements it on MPI, and a
// run of one process has none at all, so the single-process trainer does exactly what it did
// before data parallelism existed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace tint {

// What a rank returns when another rank's error ends a collective step (that rank prints its own
// message; repeating it N times would bury it).
inline constexpr char kAnotherRankFailed[] = "stopped by another rank's error (its message is above)";

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
  // Every rank's bytes on every rank, in rank order (what each rank learnt from its share of the
  // photos at the start).
  virtual Result<std::vector<std::vector<uint8_t>>> all_gather(const std::vector<uint8_t>& mine) = 0;
  // The lowest rank whose `value` differs from rank 0's, or -1 when all agree.
  virtual Result<int> first_mismatch(uint64_t value) = 0;
  // Returns once every rank got here; waiting ranks sleep instead of spinning a core (while rank
  // 0 validates and writes files, the others must not slow it down).
  virtual Status barrier() = 0;
};

// A step that can fail on some ranks only (a missing folder, a file that cannot be written):
// every rank learns whether any failed, so that none goes on to wait for the others forever. The
// ranks that failed return their own error, the others kAnotherRankFailed. No collective, or one
// rank: `local` as it is.
inline Status agree(Collective* collective, Status local) {
  if (!collective || collective->size() == 1) return local;
  auto failed = collective->any(!local.is_ok());
  if (!failed) return failed.status();
  if (!local.is_ok()) return local;
  return failed.value() ? Status::error(kAnotherRankFailed) : Status::ok();
}

// An error every rank meets alike (the same flags, the same start file, the same data): rank 0
// reports it, the others end with kAnotherRankFailed instead of repeating it.
inline Status reported_by_root(Collective* collective, Status status) {
  if (status.is_ok() || !collective || collective->rank() == 0) return status;
  return Status::error(kAnotherRankFailed);
}

// A value every rank must share (a hash of the program, the flags, the list of photos): rank 0
// names the first rank that differs ("rank 2 " + what), the others end with kAnotherRankFailed.
inline Status check_same_on_every_rank(Collective& collective, uint64_t value, const std::string& what) {
  auto rank = collective.first_mismatch(value);
  if (!rank) return rank.status();
  if (rank.value() < 0) return Status::ok();
  return reported_by_root(&collective, Status::error("rank " + std::to_string(rank.value()) + " " + what));
}

}  // namespace tint
