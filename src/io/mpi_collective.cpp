#include "mpi_collective.h"

#include <climits>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#ifdef TINT_WITH_MPI
#define OMPI_SKIP_MPICXX 1  // the C API only: the header would otherwise pull in C++ bindings
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace tint {

namespace {

int environment_number(const char* name) {
  const char* text = std::getenv(name);
  return text ? std::atoi(text) : 0;
}

}  // namespace

int launched_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"})
    if (const int size = environment_number(name); size > 0) return size;
  return 0;
}

int local_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"})
    if (const int size = environment_number(name); size > 0) return size;
  return 1;
}

#ifdef TINT_WITH_MPI

namespace {

class MpiCollective : public Collective {
 public:
  MpiCollective(int rank, int size) : rank_(rank), size_(size) {}
  ~MpiCollective() override { MPI_Finalize(); }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Status sum(std::vector<float>& values) override { return sum_in_rank_order(values, MPI_FLOAT); }
  Status sum(std::vector<double>& values) override { return sum_in_rank_order(values, MPI_DOUBLE); }

  Result<bool> any(bool flag) override {
    int local = flag ? 1 : 0, global = 0;
    TINT_RETURN_IF_ERROR(check(MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "Allreduce"));
    return global != 0;
  }

  Status broadcast(std::vector<uint8_t>& bytes) override {
    unsigned long long size = bytes.size();
    TINT_RETURN_IF_ERROR(check(MPI_Bcast(&size, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD), "Bcast"));
    bytes.resize(size_t(size));
    constexpr size_t kChunk = size_t(1) << 30;  // MPI counts are ints
    for (size_t offset = 0; offset < bytes.size(); offset += kChunk) {
      const int count = int(std::min(kChunk, bytes.size() - offset));
      TINT_RETURN_IF_ERROR(check(MPI_Bcast(bytes.data() + offset, count, MPI_BYTE, 0, MPI_COMM_WORLD), "Bcast"));
    }
    return Status::ok();
  }

  Result<std::vector<std::vector<uint8_t>>> all_gather(const std::vector<uint8_t>& mine) override {
    // Every rank learns every size first, so that all of them refuse an oversized exchange alike.
    unsigned long long size = mine.size();
    std::vector<unsigned long long> wide(size_t(size_), 0);
    TINT_RETURN_IF_ERROR(
        check(MPI_Allgather(&size, 1, MPI_UNSIGNED_LONG_LONG, wide.data(), 1, MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD), "Allgather"));
    std::vector<int> sizes(size_t(size_), 0), offsets(size_t(size_), 0);
    unsigned long long total = 0;
    for (size_t r = 0; r < wide.size(); ++r) {
      if (wide[r] > (unsigned long long)INT_MAX - total) return Status::error("more than 2^31 bytes to gather across the ranks");
      offsets[r] = int(total);
      sizes[r] = int(wide[r]);
      total += wide[r];
    }
    std::vector<uint8_t> all(static_cast<size_t>(total));
    TINT_RETURN_IF_ERROR(check(MPI_Allgatherv(mine.data(), int(size), MPI_BYTE, all.data(), sizes.data(), offsets.data(),
                                              MPI_BYTE, MPI_COMM_WORLD),
                               "Allgatherv"));
    std::vector<std::vector<uint8_t>> every(sizes.size());
    for (size_t r = 0; r < sizes.size(); ++r)
      every[r].assign(all.begin() + offsets[r], all.begin() + offsets[r] + sizes[r]);
    return every;
  }

  Result<int> first_mismatch(uint64_t value) override {
    unsigned long long root = value;
    TINT_RETURN_IF_ERROR(check(MPI_Bcast(&root, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD), "Bcast"));
    int local = root == value ? INT_MAX : rank_, lowest = INT_MAX;
    TINT_RETURN_IF_ERROR(check(MPI_Allreduce(&local, &lowest, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "Allreduce"));
    return lowest == INT_MAX ? -1 : lowest;
  }

  Status barrier() override {
    MPI_Request request;
    TINT_RETURN_IF_ERROR(check(MPI_Ibarrier(MPI_COMM_WORLD, &request), "Ibarrier"));
    for (int done = 0;;) {
      TINT_RETURN_IF_ERROR(check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "Test"));
      if (done) return Status::ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

 private:
  static Status check(int code, const char* call) {
    if (code == MPI_SUCCESS) return Status::ok();
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    return Status::error(std::string("MPI_") + call + " failed: " + std::string(text, size_t(length)));
  }

  // A reduce-scatter written out so that its order is ours: rank r receives slice r of every
  // rank's values (MPI_Alltoallv), adds them in rank order, and the summed slices are gathered
  // back to everyone (MPI_Allgatherv). The traffic of a ring allreduce, and the same bits on every
  // rank and for every message size. (MPI_Allreduce promises neither: the standard leaves the
  // order of a reduction to the implementation, which picks algorithms by size and rank count.)
  template <typename T>
  Status sum_in_rank_order(std::vector<T>& values, MPI_Datatype type) {
    const size_t n = values.size(), ranks = size_t(size_);
    if (n > size_t(INT_MAX)) return Status::error("a sum across ranks of more than 2^31 values");
    std::vector<int> counts(ranks), offsets(ranks);
    for (size_t r = 0; r < ranks; ++r) {
      offsets[r] = int(n * r / ranks);
      counts[r] = int(n * (r + 1) / ranks) - offsets[r];
    }
    const int mine = counts[size_t(rank_)];
    std::vector<int> from_counts(ranks, mine), from_offsets(ranks);
    for (size_t r = 0; r < ranks; ++r) from_offsets[r] = int(r) * mine;
    received_.resize(sizeof(T) * ranks * size_t(mine));
    T* slices = reinterpret_cast<T*>(received_.data());
    TINT_RETURN_IF_ERROR(check(MPI_Alltoallv(values.data(), counts.data(), offsets.data(), type, slices,
                                             from_counts.data(), from_offsets.data(), type, MPI_COMM_WORLD),
                               "Alltoallv"));
    std::vector<T> sum(slices, slices + mine);
    for (size_t r = 1; r < ranks; ++r)
      for (int i = 0; i < mine; ++i) sum[size_t(i)] += slices[r * size_t(mine) + size_t(i)];
    return check(MPI_Allgatherv(sum.data(), mine, type, values.data(), counts.data(), offsets.data(), type, MPI_COMM_WORLD),
                 "Allgatherv");
  }

  int rank_, size_;
  std::vector<unsigned char> received_;
};

}  // namespace

bool mpi_built() { return true; }

Result<std::unique_ptr<Collective>> start_mpi() {
  int provided = 0;
  if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    return Status::error("MPI did not start (MPI_Init_thread failed)");
  }
  // Errors come back as codes (and messages), not as the library's default abort.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return std::unique_ptr<Collective>(new MpiCollective(rank, size));
}

void abort_mpi(int exit_code) {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

#else

bool mpi_built() { return false; }

Result<std::unique_ptr<Collective>> start_mpi() {
  return Status::error("this tint was built without MPI (install libopenmpi-dev and rebuild)");
}

void abort_mpi(int exit_code) { std::_Exit(exit_code); }

#endif

}  // namespace tint
