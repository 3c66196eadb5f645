// `tint train` end to end on generated photo folders: outputs, errors, and a run stopped and
// resumed twice that ends with bitwise the same weights as an uninterrupted one.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <csignal>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>
#include <sstream>
#include <vector>

#include "ab_bins.h"
#include "file_io.h"
#include "image_io.h"
#include "run_tint.h"
#include "train.h"
#include "train_workspace.h"
#include "weights.h"

using namespace tint;
using namespace tint_test;
namespace fs = std::filesystem;

namespace {

struct ValidationRow {
  long long step;
  double val_loss, psnr, colorfulness, auc;
};

// metrics.csv's rows that carry validation figures (one per epoch).
std::vector<ValidationRow> validation_rows(const std::string& path) {
  std::ifstream metrics(path);
  std::string header;
  std::getline(metrics, header);
  CHECK(header ==
        "step,epoch,train_loss,val_loss,lr,images_per_s,val_psnr,val_colorfulness,val_auc,val_psnr_hints,val_auc_hints");
  std::vector<ValidationRow> rows;
  for (std::string line; std::getline(metrics, line);) {
    std::vector<std::string> cells;
    std::stringstream fields(line);
    for (std::string cell; std::getline(fields, cell, ',');) cells.push_back(cell);
    if (cells.size() < 4 || cells[3].empty()) continue;
    REQUIRE(cells.size() >= 9);  // the with-hints columns stay empty for a model without hint inputs
    rows.push_back({std::stoll(cells[0]), std::stod(cells[3]), std::stod(cells[6]), std::stod(cells[7]), std::stod(cells[8])});
  }
  return rows;
}

}  // namespace

TEST_CASE("tint train writes weights, checkpoint, metrics and curves") {
  Workspace ws;
  const TintRun run = run_tint(ws.train("run", ""));
  INFO(run.output);
  REQUIRE(run.status == 0);
  for (const char* name : {"best.safetensors", "last.safetensors", "checkpoint.safetensors", "metrics.csv", "loss.svg"}) {
    CHECK(fs::exists(ws.path("run/") + name));
  }
  // "12 images: T training, V validation": 3 epochs of T/4 full batches.
  int training = 0, validation = 0;
  const size_t summary = run.output.find("12 images: ");
  REQUIRE(summary != std::string::npos);
  REQUIRE(std::sscanf(run.output.c_str() + summary, "12 images: %d training, %d validation", &training, &validation) == 2);
  CHECK(validation > 0);
  // validation.txt lists the held-out photos, one key per line.
  std::ifstream held_out(ws.path("run/validation.txt"));
  int listed = 0;
  for (std::string key; std::getline(held_out, key); ++listed) CHECK(fs::exists(ws.data + "/" + key));
  CHECK(listed == validation);
  const Model last = load(ws.path("run/last.safetensors"));
  REQUIRE(last.metadata.count("training"));
  CHECK(last.metadata.at("training").find("\"steps\":" + std::to_string(3 * (training / 4))) != std::string::npos);
  const auto rows = validation_rows(ws.path("run/metrics.csv"));
  REQUIRE(rows.size() == 3);  // one per epoch
  for (const auto& row : rows) {
    CHECK(row.val_loss > 0);
    CHECK(row.psnr > 5);
    CHECK(row.colorfulness >= 0);
    CHECK(row.auc > 0);
    CHECK(row.auc <= 1);
  }
  // The trained weights colourise.
  const TintRun colorize = run_tint("colorize " + ws.data + "/p0.jpg -o " + ws.path("c.png") + " --model " + ws.path("run/best.safetensors"));
  INFO(colorize.output);
  CHECK(colorize.status == 0);
}

TEST_CASE("tint train --val-list holds out exactly the listed photos") {
  Workspace ws;
  const std::string list = ws.path("held-out.txt");
  std::ofstream(list) << "# photos like the eval set\np2.png\n\n  nested/p3.jpg \r\nnested/p5.png\nnot-there.png\n";
  const std::string command = "train --data " + ws.data + " --arch " + ws.arch + " --out-dir " + ws.path("run") +
                              " --epochs 1 --batch 4 --crop 32 --threads 1 --val-list " + list;
  TintRun run = run_tint(command);
  INFO(run.output);
  REQUIRE(run.status == 0);
  CHECK(run.output.find("12 images: 9 training, 3 validation") != std::string::npos);
  CHECK(run.output.find("1 of the 4 listed validation photos are not in the data") != std::string::npos);
  std::ifstream held_out(ws.path("run/validation.txt"));
  std::vector<std::string> keys;
  for (std::string key; std::getline(held_out, key);) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  CHECK(keys == std::vector<std::string>{"nested/p3.jpg", "nested/p5.png", "p2.png"});
  // A run's own validation.txt reproduces its split; an empty list and --val with it are refused.
  run = run_tint("train --data " + ws.data + " --arch " + ws.arch + " --out-dir " + ws.path("again") +
                 " --epochs 1 --batch 4 --crop 32 --threads 1 --val-list " + ws.path("run/validation.txt"));
  CHECK(run.output.find("12 images: 9 training, 3 validation") != std::string::npos);
  std::ofstream(ws.path("empty.txt")) << "# nothing\n";
  run = run_tint("train --data " + ws.data + " --arch " + ws.arch + " --out-dir " + ws.path("x") +
                 " --val-list " + ws.path("empty.txt"));
  CHECK(run.status == 1);
  CHECK(run.output.find("empty.txt: lists no photos to hold out") != std::string::npos);
  run = run_tint(command + " --val 0.2");
  CHECK(run.status != 0);
  CHECK(run.output.find("--val") != std::string::npos);
}

TEST_CASE("tint train: a hint model with a classification head and two losses trains, validates with hints and resumes exactly") {
  Workspace ws;
  const std::string hint_arch = ws.path("hint.json");
  std::ofstream(hint_arch) << R"({"name": "tiny-hints", "inputs": ["lightness", "hint_ab", "hint_mask"], "working_size": 32,
    "layers": [{"name": "enc", "op": "conv", "out": 8, "stride": 2, "activation": "relu"},
               {"name": "logits", "op": "conv", "out": )" + std::to_string(AbBins::gamut().count()) + R"(},
               {"name": "probs", "op": "softmax"}, {"name": "ab", "op": "annealed_mean"},
               {"name": "up", "op": "upsample", "mode": "bilinear"}],
    "losses": [{"layer": "logits", "type": "cross_entropy"}, {"layer": "ab", "type": "mse", "weight": 10}]})";
  auto with_arch = [&](const std::string& out, const std::string& extra) {
    std::string command = ws.train(out, extra);
    command.replace(command.find(ws.arch), ws.arch.size(), hint_arch);
    return command;
  };
  TintRun run = run_tint(with_arch("straight", ""));
  INFO(run.output);
  REQUIRE(run.status == 0);
  CHECK(run.output.find("with 10 hints per photo: PSNR") != std::string::npos);
  std::ifstream metrics(ws.path("straight/metrics.csv"));
  std::string line, last_epoch;
  while (std::getline(metrics, line))
    if (line.find(",,") == std::string::npos && line.back() != ',') last_epoch = line;
  CHECK(!last_epoch.empty());  // an epoch row with every column, the with-hints ones included
  run = run_tint(with_arch("pieces", "--max-steps 2"));
  REQUIRE(run.status == 130);
  run = run_tint(with_arch("pieces", "--resume " + ws.path("pieces/checkpoint.safetensors")));
  INFO(run.output);
  REQUIRE(run.status == 0);
  const Model straight = load(ws.path("straight/last.safetensors")), pieces = load(ws.path("pieces/last.safetensors"));
  for (size_t p = 0; p < straight.parameters.size(); ++p) CHECK(straight.parameters[p].values == pieces.parameters[p].values);
  // The metadata names the architecture's losses, not the --huber/MSE default it did not use.
  CHECK(straight.metadata.at("training").find("\"loss\":\"architecture\"") != std::string::npos);
}

TEST_CASE("tint train --select auc keeps the epoch with the highest validation AuC") {
  Workspace ws;
  const TintRun run = run_tint(ws.train("run", "--select auc"));
  INFO(run.output);
  REQUIRE(run.status == 0);
  CHECK(run.output.find(", AuC 0.") != std::string::npos);
  const auto rows = validation_rows(ws.path("run/metrics.csv"));
  REQUIRE(rows.size() == 3);
  size_t best = 0;
  for (size_t i = 1; i < rows.size(); ++i) best = rows[i].auc > rows[best].auc ? i : best;
  const std::string training = load(ws.path("run/best.safetensors")).metadata.at("training");
  CHECK(training.find("\"steps\":" + std::to_string(rows[best].step) + ",") != std::string::npos);
  CHECK(training.find("\"selected_by\":\"auc\"") != std::string::npos);
  // Bad values are refused by the flag's check.
  const TintRun bad = run_tint(ws.train("bad", "--select psnr"));
  CHECK(bad.status != 0);
  CHECK(bad.output.find("--select") != std::string::npos);
}

TEST_CASE("tint train stopped twice and resumed ends with the uninterrupted run's weights") {
  Workspace ws;
  // With the Huber loss and the weights' moving average, which the last resume does not repeat:
  // the checkpoint carries them.
  TintRun run = run_tint(ws.train("straight", "--huber 0.05 --ema 0.9"));
  INFO(run.output);
  REQUIRE(run.status == 0);
  run = run_tint(ws.train("pieces", "--huber 0.05 --ema 0.9 --max-steps 1"));
  INFO(run.output);
  REQUIRE(run.status == 130);
  CHECK(run.output.find("--resume") != std::string::npos);
  run = run_tint(ws.train("pieces", "--huber 0.05 --ema 0.9 --max-steps 4 --resume " + ws.path("pieces/checkpoint.safetensors")));
  INFO(run.output);
  REQUIRE(run.status == 130);
  run = run_tint(ws.train("pieces", "--resume " + ws.path("pieces/checkpoint.safetensors")));
  INFO(run.output);
  REQUIRE(run.status == 0);
  CHECK(same_weights(load(ws.path("straight/last.safetensors")), load(ws.path("pieces/last.safetensors"))));
  CHECK(same_weights(load(ws.path("straight/best.safetensors")), load(ws.path("pieces/best.safetensors"))));
  const Model last = load(ws.path("pieces/last.safetensors"));
  CHECK(last.metadata.at("training").find("\"loss\":\"huber\"") != std::string::npos);
  CHECK(last.metadata.at("training").find("\"weights_average_decay\":0.9") != std::string::npos);
  // last.safetensors is the average the checkpoint keeps, not the weights being trained.
  auto bytes = read_file(ws.path("pieces/checkpoint.safetensors"));
  REQUIRE(bytes.is_ok());
  auto checkpoint = load_checkpoint(bytes->data(), bytes->size(), "checkpoint.safetensors");
  REQUIRE(checkpoint.is_ok());
  REQUIRE(checkpoint->average.size() == last.parameters.size());
  Model averaged = checkpoint->model;
  for (size_t p = 0; p < averaged.parameters.size(); ++p) averaged.parameters[p].values = checkpoint->average[p];
  CHECK(same_weights(averaged, last));
  CHECK_FALSE(same_weights(checkpoint->model, last));
}

TEST_CASE("tint train --init starts a new run from trained weights") {
  Workspace ws;
  TintRun run = run_tint(ws.train("first", ""));
  REQUIRE(run.status == 0);
  const std::string init = ws.path("first/best.safetensors");
  run = run_tint("train --data " + ws.data + " --init " + init + " --out-dir " + ws.path("second") +
                 " --epochs 1 --batch 4 --crop 32 --lr 0.003 --seed 7 --val 0.3");
  INFO(run.output);
  REQUIRE(run.status == 0);
  const Model first = load(init), second = load(ws.path("second/last.safetensors"));
  CHECK(second.architecture == first.architecture);
  CHECK_FALSE(same_weights(first, second));  // it trained on from there
  float moved = 0;
  for (size_t p = 0; p < first.parameters.size(); ++p)
    for (size_t i = 0; i < first.parameters[p].values.size(); ++i)
      moved = std::max(moved, std::fabs(first.parameters[p].values[i] - second.parameters[p].values[i]));
  CHECK(moved < 0.1f);  // a few small steps from the given weights, not a fresh initialisation
  run = run_tint("train --data " + ws.data + " --init " + init + " --resume " + init + " --out-dir " + ws.path("x"));
  CHECK(run.status == 2);
}

namespace {

// Starts `tint ARGS` in the background with its output in `log`; returns its pid (the shell
// execs tint, so the pid is tint's). `prefix` runs first in that shell (e.g. ulimit).
pid_t spawn_tint(const std::string& arguments, const std::string& log, const std::string& prefix = "") {
  const std::string command = prefix + "exec " + std::string(TINT_CLI_PATH) + " " + arguments + " >" + log + " 2>&1";
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execl("/bin/bash", "bash", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

std::string read_text(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

// The highest global step a `tint train` log reports as done ("epoch E/N  step S/T ...").
long long last_logged_step(const std::string& log) {
  long long best = 0;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    int epoch = 0, epochs = 0, step = 0, steps = 0;
    if (std::sscanf(line.c_str(), "epoch %d/%d  step %d/%d", &epoch, &epochs, &step, &steps) == 4) {
      best = std::max(best, (long long)(epoch - 1) * steps + step);
    }
  }
  return best;
}

}  // namespace

TEST_CASE("tint train saves a checkpoint and exits cleanly on SIGINT and SIGTERM") {
  Workspace ws;
  for (int signal_number : {SIGINT, SIGTERM}) {
    INFO("signal " << signal_number);
    const std::string out = ws.path("signal" + std::to_string(signal_number));
    const pid_t child = spawn_tint("train --data " + ws.data + " --arch " + ws.arch + " --out-dir " + out +
                                       " --epochs 100000 --batch 4 --crop 32 --threads 1 --checkpoint-minutes 0",
                                   out + ".log");
    // Wait until training has really started (a metrics row or a progress line), then signal.
    bool started = false;
    for (int i = 0; i < 300 && !started; ++i) {
      usleep(20000);
      started = read_text(out + ".log").find("epoch 1/") != std::string::npos;
    }
    REQUIRE(started);
    kill(child, signal_number);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    auto bytes = read_file(out + "/checkpoint.safetensors");
    REQUIRE(bytes.is_ok());
    auto file = parse_safetensors(bytes->data(), bytes->size(), "checkpoint");
    REQUIRE(file.is_ok());
    CHECK(file->metadata.count("training_progress") == 1);
  }
}

TEST_CASE("tint train: clear errors for bad data and flags") {
  Workspace ws;
  fs::create_directories(ws.path("empty"));
  const std::string blocker = ws.path("blocker");
  std::ofstream(blocker) << "x";
  const std::pair<std::string, std::string> cases[] = {
      {"train --data " + ws.path("empty") + " --arch baseline --out-dir " + ws.path("o"), "no JPEG, PNG or WebP"},
      {"train --data " + ws.path("missing") + " --arch baseline --out-dir " + ws.path("o"), "missing"},
      {"train --data " + ws.data + " --arch baseline --crop 512 --out-dir " + ws.path("o"), "crop 512"},
      {"train --data " + ws.data + " --arch " + ws.path("nope.json") + " --out-dir " + ws.path("o"), "nope.json"},
      {"train --data " + ws.data + " --arch " + ws.data + "/p1.png --out-dir " + ws.path("o"), "p1.png"},
      {"train --data " + ws.data + " --arch baseline --out-dir " + blocker + "/sub", "blocker"},
      {"train --data " + ws.data + " --out-dir " + ws.path("o"), "--arch"},
      {"train --arch baseline --out-dir " + ws.path("o"), "--data"},
      {"train --data " + ws.data + " --arch baseline --out-dir o --epochs 0", "epochs"},
      {"train --data " + ws.data + " --arch baseline --out-dir o --val 1.5", "val"},
      {"train --data " + ws.data + " --arch baseline --out-dir o --lr -1", "lr"},
      {"train --data " + ws.data + " --arch baseline --out-dir " + ws.path("o") + " --resume " + ws.data + "/p0.jpg", "p0.jpg"},
  };
  for (const auto& [arguments, mentions] : cases) {
    const TintRun run = run_tint(arguments);
    INFO(arguments << "\n" << run.output);
    CHECK(run.status != 0);
    CHECK(run.status < 128);
    CHECK(run.output.find(mentions) != std::string::npos);
  }
}

TEST_CASE("tint train killed with SIGKILL at random moments loses at most a checkpoint interval") {
  Workspace ws;
  const std::string flags = "--epochs 40 --checkpoint-steps 3";
  TintRun run = run_tint(ws.train("straight", flags));
  INFO(run.output);
  REQUIRE(run.status == 0);

  const std::string checkpoint = ws.path("killed/checkpoint.safetensors");
  std::mt19937 random(12345);
  int kills = 0;
  long long worst_loss = 0;
  long long reached = 0;
  for (int attempt = 0; attempt < 12 && kills < 6; ++attempt) {
    const bool resume = fs::exists(checkpoint);
    const std::string log = ws.path("killed-" + std::to_string(attempt) + ".log");
    const pid_t pid = spawn_tint(ws.train("killed", flags + (resume ? " --resume " + checkpoint : "")), log);
    // Kill once the run has gone a random number of steps past where it was, plus a random few
    // milliseconds (so kills also land inside checkpoint writes), whatever the machine's speed.
    const long long target = reached + 1 + long(random() % 8);
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 && last_logged_step(read_text(log)) < target) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (done == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(random() % 15));
      ::kill(pid, SIGKILL);
      REQUIRE(::waitpid(pid, &status, 0) == pid);
    }
    reached = std::max(reached, last_logged_step(read_text(log)));
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) break;  // it had finished first
    ++kills;
    // Whatever the moment, the checkpoint on disk is complete and loadable.
    if (!fs::exists(checkpoint)) continue;
    auto bytes = read_file(checkpoint);
    REQUIRE(bytes.is_ok());
    auto loaded = load_checkpoint(bytes->data(), bytes->size(), checkpoint);
    INFO("kill " << kills << ": " << read_text(log));
    REQUIRE(loaded.is_ok());
    const long long lost = last_logged_step(read_text(log)) - loaded->progress.step;
    worst_loss = std::max(worst_loss, lost);
    CHECK(lost <= 3);  // --checkpoint-steps 3
  }
  std::printf("SIGKILL test: %d kills survived, at most %lld steps lost per kill\n", kills, worst_loss);
  CHECK(kills >= 3);
  run = run_tint(ws.train("killed", flags + " --resume " + checkpoint));
  INFO(run.output);
  REQUIRE(run.status == 0);
  CHECK(same_weights(load(ws.path("straight/last.safetensors")), load(ws.path("killed/last.safetensors"))));
}

TEST_CASE("tint train on a full disk: a clear error, and the last good checkpoint stays") {
  Workspace ws;
  // A file-size limit makes every write past it fail (EFBIG) the way a full disk does (ENOSPC):
  // the same failing write() in the same code path. SIGXFSZ is ignored so write() returns the error.
  TintRun run = run_tint(ws.train("full", "--epochs 2 --checkpoint-steps 1"));
  REQUIRE(run.status == 0);
  const auto good = read_file(ws.path("full/checkpoint.safetensors"));
  REQUIRE(good.is_ok());
  const size_t limit_kb = good->size() / 1024 / 2;  // half a checkpoint: the next one cannot be written
  const std::string log = ws.path("full.log");
  const pid_t pid = spawn_tint(ws.train("full", "--epochs 4 --checkpoint-steps 1 --resume " + ws.path("full/checkpoint.safetensors")),
                               log, "trap '' XFSZ; ulimit -f " + std::to_string(limit_kb) + "; ");
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  const std::string output = read_text(log);
  INFO(output);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(output.find("File too large") != std::string::npos);
  CHECK(output.find("checkpoint.safetensors") != std::string::npos);
  // The checkpoint from before is untouched and loads; no partial file under its name.
  const auto after = read_file(ws.path("full/checkpoint.safetensors"));
  REQUIRE(after.is_ok());
  CHECK(after.value() == good.value());
  CHECK(load_checkpoint(after->data(), after->size(), "checkpoint").is_ok());
  for (const auto& entry : fs::directory_iterator(ws.path("full"))) {
    CHECK(entry.path().filename().string().find(".tmp") == std::string::npos);
  }
}

TEST_CASE("tint train into a folder it cannot write fails at once with a clear error") {
  Workspace ws;
  std::ofstream(ws.path("blocker")) << "a file";
  const TintRun run = run_tint(ws.train("blocker/run", ""));
  INFO(run.output);
  CHECK(run.status == 1);
  CHECK(run.output.find("blocker/run") != std::string::npos);
  CHECK(line_count(run.output) <= 2);
}

#ifdef TINT_BUILT_WITHOUT_MPI
TEST_CASE("tint train without MPI refuses to run as N unrelated copies under mpirun") {
  Workspace ws;
  // What mpirun -np 2 would set for each of its processes.
  const TintRun run = run_shell("OMPI_COMM_WORLD_SIZE=2 " + std::string(TINT_CLI_PATH) + " " + ws.train("copies", ""));
  INFO(run.output);
  CHECK(run.status == 2);
  CHECK(run.output.find("built without MPI") != std::string::npos);
  CHECK(line_count(run.output) == 1);
  CHECK_FALSE(fs::exists(ws.path("copies/last.safetensors")));
}
#endif
