// `mpirun -np N tint train`: data-parallel training against one process, resuming with another
// rank count, faults and refusals (docs/design.md, "Training on several machines"). Built and
// run when CMake found MPI.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "native/run_tint.h"
#include "native/train_workspace.h"
#include "train.h"

using namespace tint;
using namespace tint_test;

namespace {

// What the tests promise: after 16 steps of this model (lr 0.003) the weights of N ranks and of one
// process with the same global batch differ by at most this much. The only difference is the order
// in which each weight's gradient is summed over the batch rows (a rank sums its share, then the
// shares are added in rank order), i.e. float rounding: measured 1.5e-8 to 3e-8 here.
constexpr double kPromised = 1e-6;

// A hint model with dropout: both draw per batch row, so both must come out of a rank's share
// exactly as in the whole batch.
const char* hint_arch = R"({"name": "tiny-hints", "inputs": ["lightness", "hint_ab", "hint_mask"], "working_size": 32,
  "layers": [
  {"name": "enc", "op": "conv", "out": 8, "stride": 2, "activation": "relu"},
  {"name": "drop", "op": "dropout", "rate": 0.2},
  {"name": "up", "op": "upsample", "mode": "bilinear"},
  {"name": "head", "op": "conv", "out": 2},
  {"name": "out", "op": "tanh"}]})";

std::string mpirun(int ranks) {
  return "timeout 300 " + std::string(TINT_MPIRUN_PATH) + " --oversubscribe --allow-run-as-root -np " + std::to_string(ranks) + " ";
}

struct MpiWorkspace : Workspace {
  std::string hints = path("hints.json");
  MpiWorkspace() { std::ofstream(hints) << hint_arch; }
  // 12 photos, 30% held out: 8 or 9 training photos, one batch of 5 per epoch.
  std::string flags(const std::string& out, const std::string& extra = "") const {
    std::string defaults;
    for (const char* flag : {"--epochs 16", "--batch 5", "--seed 7"})
      if (extra.find(std::string(flag).substr(0, std::string(flag).find(' ') + 1)) == std::string::npos) defaults += std::string(" ") + flag;
    return "train --data " + data + " --arch " + hints + " --out-dir " + path(out) + defaults +
           " --crop 32 --lr 0.003 --val 0.3 --checkpoint-minutes 0 " + extra;
  }
  std::string plain(const std::string& out, const std::string& extra = "--threads 1") const {
    return std::string(TINT_CLI_PATH) + " " + flags(out, extra);
  }
  std::string ranks(int n, const std::string& out, const std::string& extra = "--threads 1") const {
    return mpirun(n) + TINT_CLI_PATH + " " + flags(out, extra);
  }
};

TintRun expect_ok(const std::string& command) {
  TintRun run = run_shell(command);
  INFO(command << "\n" << run.output);
  REQUIRE(run.status == 0);
  return run;
}

std::string read_text(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

}  // namespace

TEST_CASE("N ranks train the weights one process trains with the same global batch") {
  MpiWorkspace ws;
  expect_ok(ws.plain("one"));
  const Model one = load(ws.path("one/last.safetensors"));
  // One rank under mpirun is the single-process trainer bit for bit.
  expect_ok(ws.ranks(1, "mpi1"));
  CHECK(same_weights(load(ws.path("mpi1/last.safetensors")), one));
  // Two ranks hold 2 and 3 photos of each batch of 5, three hold 1, 2 and 2.
  for (const int n : {2, 3}) {
    INFO(n << " ranks");
    const std::string out = "mpi" + std::to_string(n);
    const TintRun run = expect_ok(ws.ranks(n, out));
    CHECK(run.output.find("data-parallel: " + std::to_string(n) + " ranks") != std::string::npos);
    // Each rank decoded only its share of the 12 photos at the start.
    CHECK(run.output.find("rank 0 decoded " + std::to_string(12 / n) + " photo files at the start") != std::string::npos);
    const double difference = max_difference(load(ws.path(out + "/last.safetensors")), one);
    INFO("max weight difference " << difference);
    CHECK(difference <= kPromised);
    // Rank 0 alone wrote the run's files; they are complete.
    CHECK(read_text(ws.path(out + "/metrics.csv")) != "");
    CHECK(std::filesystem::exists(ws.path(out + "/loss.svg")));
  }
  // Keeping no photo in memory, each rank reads a photo from disk whenever one of its rows needs it.
  expect_ok(ws.ranks(2, "lean", "--threads 1 --data-memory 0.000001"));
  CHECK(max_difference(load(ws.path("lean/last.safetensors")), one) <= kPromised);
  // The comparison can fail: another seed's weights are far from these.
  expect_ok(ws.plain("seed8", "--threads 1 --seed 8"));
  CHECK(max_difference(load(ws.path("seed8/last.safetensors")), one) > 1000 * kPromised);
}

TEST_CASE("Threads and ranks combine: 2 ranks x 2 threads train what 1 process x 1 thread does") {
  MpiWorkspace ws;
  expect_ok(ws.plain("one"));
  expect_ok(ws.ranks(2, "two", "--threads 2"));
  CHECK(max_difference(load(ws.path("two/last.safetensors")), load(ws.path("one/last.safetensors"))) <= kPromised);
}

TEST_CASE("A checkpoint of 2 ranks resumes with 1, and one of 1 process with 2 ranks") {
  MpiWorkspace ws;
  expect_ok(ws.plain("straight"));
  const Model straight = load(ws.path("straight/last.safetensors"));
  // Each run stops at step 6 (exit 130 from every rank, so mpirun fails) and the other kind resumes.
  TintRun run = run_shell(ws.ranks(2, "two-then-one", "--threads 1 --max-steps 6"));
  INFO(run.output);
  CHECK(run.output.find("checkpoint saved at step 6") != std::string::npos);
  expect_ok(ws.plain("two-then-one", "--threads 1 --resume " + ws.path("two-then-one/checkpoint.safetensors")));
  run = run_shell(ws.plain("one-then-two", "--threads 1 --max-steps 6"));
  CHECK(run.status == 130);
  expect_ok(ws.ranks(2, "one-then-two", "--threads 1 --resume " + ws.path("one-then-two/checkpoint.safetensors")));
  for (const char* out : {"two-then-one", "one-then-two"}) {
    INFO(out);
    CHECK(max_difference(load(ws.path(std::string(out) + "/last.safetensors")), straight) <= kPromised);
  }
}

TEST_CASE("A killed rank ends the job within seconds, non-zero, and the last checkpoint stays readable") {
  MpiWorkspace ws;
  for (const int victim : {1, 0}) {
    INFO("rank " << victim << " killed");
    const std::string out = ws.path("killed" + std::to_string(victim)), pids = out + "-pid.";
    // Each rank's shell writes its pid, then becomes tint.
    const std::string command = mpirun(2) + "sh -c 'echo $$ > " + pids + "$OMPI_COMM_WORLD_RANK; exec " + TINT_CLI_PATH + " " +
                                ws.flags("killed" + std::to_string(victim), "--threads 1 --epochs 100000 --checkpoint-steps 3 --max-minutes 3") +
                                "' > " + out + ".log 2>&1";
    const pid_t launcher = ::fork();
    REQUIRE(launcher >= 0);
    if (launcher == 0) {
      ::setpgid(0, 0);  // its own group, so that a failed test can end all of it
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    struct EndOnFailure {
      pid_t group;
      bool ended = false;
      ~EndOnFailure() {
        if (!ended) ::kill(-group, SIGKILL), ::waitpid(group, nullptr, 0);
      }
    } guard{launcher};
    bool started = false;
    for (int i = 0; i < 2400 && !started; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      started = std::filesystem::exists(out + "/checkpoint.safetensors") && std::filesystem::exists(pids + "1");
    }
    INFO(read_text(out + ".log"));
    REQUIRE(started);
    const pid_t rank = std::stoi(read_text(pids + std::to_string(victim)));
    const auto killed_at = std::chrono::steady_clock::now();
    REQUIRE(::kill(rank, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(launcher, &status, 0) == launcher);
    guard.ended = true;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
    const std::string log = read_text(out + ".log");
    INFO(log);
    INFO("ended " << seconds << " s after the kill");
    CHECK(seconds < 30);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) != 0);
    CHECK(WEXITSTATUS(status) != 124);  // not our timeout
    CHECK(log.find("rank " + std::to_string(victim)) != std::string::npos);
    auto bytes = read_file(out + "/checkpoint.safetensors");
    REQUIRE(bytes.is_ok());
    auto checkpoint = load_checkpoint(bytes->data(), bytes->size(), "checkpoint.safetensors");
    REQUIRE(checkpoint.is_ok());
    CHECK(checkpoint->progress.step > 0);
  }
}

TEST_CASE("Ranks with different flags, photos or programs are refused before the first step") {
  MpiWorkspace ws;
  const std::string tint = TINT_CLI_PATH, mpi = std::string(TINT_MPIRUN_PATH) + " --oversubscribe --allow-run-as-root";
  // The same --data path, different photos: each rank runs in its own folder.
  std::filesystem::create_directories(ws.path("a"));
  std::filesystem::create_directories(ws.path("b/photos"));
  std::filesystem::create_directory_symlink(ws.data, ws.path("a/photos"));
  for (const auto& entry : std::filesystem::recursive_directory_iterator(ws.data))
    if (entry.is_regular_file() && entry.path().filename() != "p0.jpg")
      std::filesystem::copy_file(entry.path(), ws.path("b/photos/") + entry.path().filename().string());
  // A different build: the same program with one byte more (ELF ignores it; the hash does not).
  const std::string other = ws.path("tint-other");
  std::filesystem::copy_file(tint, other);
  std::ofstream(other, std::ios::app) << '\n';
  std::filesystem::permissions(other, std::filesystem::perms::owner_exec, std::filesystem::perm_options::add);
  const std::string relative = " train --data photos --arch " + ws.hints + " --epochs 2 --batch 4 --crop 32 --threads 1 --out-dir ";
  const struct {
    std::string command, expected;
  } cases[] = {
      {mpi + " -np 1 " + tint + " " + ws.flags("flags") + " : -np 1 " + tint + " " + ws.flags("flags", "--seed 8"),
       "tint: rank 1 was started with different flags than rank 0"},
      {mpi + " -np 1 --wdir " + ws.path("a") + " " + tint + relative + ws.path("data") + " : -np 1 --wdir " + ws.path("b") +
           " " + tint + relative + ws.path("data"),
       "tint: rank 1 has different training photos than rank 0"},
      {mpi + " -np 1 " + tint + " " + ws.flags("program") + " : -np 1 " + other + " " + ws.flags("program"),
       "tint: rank 1 runs a different tint program than rank 0"},
      // A rank that cannot start at all says why, and rank 0 does not wait for it.
      {mpi + " -np 1 --wdir " + ws.path("a") + " " + tint + relative + ws.path("alone") + " : -np 1 --wdir " + ws.path("b/photos") +
           " " + tint + relative + ws.path("alone"),
       "tint: rank 1: "},
      {mpirun(3) + tint + " " + ws.flags("small", "--batch 2"), "batch 2 is smaller than the 3 ranks"},
  };
  for (const auto& c : cases) {
    const TintRun run = run_shell("timeout 300 " + c.command);
    INFO(c.command << "\n" << run.output);
    CHECK(run.status != 0);
    CHECK(run.status != 124);
    CHECK(run.output.find(c.expected) != std::string::npos);
  }
  // Nothing was trained.
  for (const char* out : {"flags", "data", "program", "alone", "small"})
    CHECK_FALSE(std::filesystem::exists(ws.path(std::string(out) + "/last.safetensors")));
}
