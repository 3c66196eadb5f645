// Data-parallel training over MPI (docs/design.md, "Training on several machines"): the
// Collective of src/core on MPI's calls. Built when CMake finds MPI (TINT_WITH_MPI); without it
// start_mpi says so, and `tint train` started by mpirun refuses to run as N unrelated copies.
#pragma once

#include <memory>

#include "collective.h"
#include "status.h"

namespace tint {

// The number of processes an MPI launcher (mpirun, mpiexec) started this one among, from the
// environment it sets (Open MPI's OMPI_COMM_WORLD_SIZE, or PMI_SIZE / PMIX_SIZE); 0 when not
// started by one. local_ranks(): how many of them share this machine (1 when unknown).
int launched_ranks();
int local_ranks();

// Whether this build can talk MPI.
bool mpi_built();

// Initialises MPI (once per process; finalised when the collective is destroyed). An error when
// MPI is not built in or does not start.
Result<std::unique_ptr<Collective>> start_mpi();

// Ends every rank of the job (MPI_Abort) after this one hit an error the others cannot know of:
// they may be waiting for it in a sum and would otherwise wait forever.
[[noreturn]] void abort_mpi(int exit_code);

}  // namespace tint
