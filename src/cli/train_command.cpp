// tint train: flags to TrainingRunOptions; the run itself is src/io/training_run.
#include <CLI/CLI.hpp>

#include <cstdio>

#include <algorithm>
#include <memory>

#include "commands.h"
#include "common.h"
#include "mpi_collective.h"
#include "training_run.h"

namespace tint::cli {

namespace {

struct TrainArguments {
  TrainingRunOptions run;
  std::string arch;
  CLI::Option* threads = nullptr;
};

int run_train(TrainArguments& args) {
  if (args.run.data_folders.empty() && args.run.cifar10_folder.empty()) {
    print_error("train: give --data DIR (photo folders) and/or --cifar10 DIR");
    return 2;
  }
  if (!args.run.resume.empty() && !args.run.init.empty()) {
    print_error("train: --resume continues a run, --init starts one from weights: give one of them");
    return 2;
  }
  if (args.run.resume.empty() && args.run.init.empty()) {
    if (args.arch.empty()) {
      print_error("train: give --arch baseline|FILE.json (or --resume CHECKPOINT, or --init WEIGHTS)");
      return 2;
    }
    auto architecture = load_architecture(args.arch);
    if (!architecture) return print_error(architecture.message()), 2;
    args.run.architecture = architecture.value();
  }
  // Started by mpirun: one rank of a data-parallel run (docs/design.md, "Training on several
  // machines"). MPI starts only here, so no other command pays for it.
  std::unique_ptr<Collective> collective;
  if (const int ranks = launched_ranks(); ranks > 0) {
    auto started = start_mpi();
    if (started) {
      collective = std::move(started.value());
    } else if (ranks > 1) {  // (one process without MPI simply trains as usual)
      print_error("train: started by an MPI launcher with " + std::to_string(ranks) + " processes, but " + started.message() +
                  "; these would be " + std::to_string(ranks) + " unrelated runs writing the same files");
      return 2;
    }
    // Each rank's default share of the machine's cores.
    if (collective && args.threads->count() == 0) args.run.threads = std::max(1, default_threads() / local_ranks());
  }
  bool interrupted = false;
  const Status status = run_training(args.run, &interrupted, collective.get());
  if (!status) {
    const bool root = !collective || collective->rank() == 0;
    if (root) return print_error(status.message()), 1;
    if (status.message() != kAnotherRankFailed)
      print_error("rank " + std::to_string(collective->rank()) + ": " + status.message());
    return 1;
  }
  return interrupted ? 130 : 0;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArguments>();
  TrainingRunOptions& run = args->run;
  run.threads = default_threads();
  CLI::App* command = app.add_subcommand("train", "Train a model from folders of photos and/or CIFAR-10");
  command->add_option("--data", run.data_folders, "Photo folders (searched recursively; JPEG, PNG, WebP)");
  command->add_option("--cifar10", run.cifar10_folder, "Folder with CIFAR-10 data_batch_N.bin files");
  command->add_option("--arch", args->arch, "baseline, or an architecture JSON file");
  command->add_option("--out-dir", run.out_dir, "Where weights, checkpoints and metrics go")->required();
  command->add_option("--epochs", run.epochs, "Epochs")->check(CLI::Range(1, 100000))->capture_default_str();
  command->add_option("--batch", run.batch, "Batch size")->check(CLI::Range(1, 4096))->capture_default_str();
  command->add_option("--crop", run.crop, "Crop side in pixels")->check(CLI::Range(8, 4096))->capture_default_str();
  command->add_option("--lr", run.learning_rate, "Adam learning rate")->check(CLI::Range(1e-8, 1.0))->capture_default_str();
  command->add_option("--weight-decay", run.weight_decay, "Decoupled weight decay (AdamW); 0 = Adam")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  command->add_option("--clip-norm", run.clip_norm, "Clip the gradients' global norm; 0 = off")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  command->add_option("--ema", run.average_decay,
                      "Validate and save a moving average of the weights with this decay per step "
                      "(e.g. 0.995); 0 = the weights as they are")
      ->check(CLI::Range(0.0, 0.9999))
      ->capture_default_str();
  command->add_option("--huber", run.huber_delta,
                      "Train on the Huber loss with this delta (in ab/128 units) instead of MSE; 0 = MSE")
      ->check(CLI::Range(0.0, 2.0))
      ->capture_default_str();
  command->add_option("--select", run.select,
                      "What best.safetensors keeps: loss (lowest validation MSE) or auc (highest validation AuC)")
      ->check(CLI::IsMember({"loss", "auc"}))
      ->capture_default_str();
  auto* fraction = command->add_option("--val", run.val_fraction, "Share of images held out for validation")
                       ->check(CLI::Range(0.0, 0.9))
                       ->capture_default_str();
  command->add_option("--val-list", run.val_list,
                      "Hold out exactly the photos listed in this file (one key per line, as a run's "
                      "validation.txt lists them) instead of a random --val share")
      ->excludes(fraction);
  command->add_option("--seed", run.seed, "Seed of the split, crops, dropout and initial weights")->capture_default_str();
  args->threads = command->add_option("--threads", run.threads, "Threads (per rank under mpirun: default the cores / ranks on the machine)")
                      ->check(CLI::Range(1, 256))
                      ->capture_default_str();
  command->add_option("--data-memory", run.data_memory_mb,
                      "MiB of decoded photos to keep in memory per process; photos beyond it are decoded from disk "
                      "whenever a batch needs them (0: keep all)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  command->add_option("--max-side", run.max_side, "Cap each photo's long side in memory")
      ->check(CLI::Range(16, 16384))
      ->capture_default_str();
  command->add_option("--min-scale", run.min_scale, "Random downscale of crops: [min-scale, 1]")
      ->check(CLI::Range(0.05, 1.0))
      ->capture_default_str();
  command->add_option("--no-hint-share", run.no_hint_share, "Hint models: share of crops trained without hints")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  command->add_option("--hint-locations", run.hint_locations,
                      "Hint models: where simulated hints go: centre (normal around the crop's centre) or uniform")
      ->check(CLI::IsMember({"centre", "uniform"}))
      ->capture_default_str();
  command->add_option("--hint-recolour-share", run.hint_recolour_share,
                      "Hint models: share of simulated hints whose region (similar, connected pixels) is given another "
                      "colour in the target first, so that a hint learns to speak for its region only")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  command->add_option("--resume", run.resume, "Continue from a checkpoint.safetensors");
  command->add_option("--init", run.init, "Start from these weights (fresh optimiser; the file's architecture)");
  command->add_option("--checkpoint-steps", run.checkpoint_steps, "Checkpoint every K steps; 0 = off")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 40))
      ->capture_default_str();
  command->add_option("--checkpoint-minutes", run.checkpoint_minutes, "Checkpoint every M minutes; 0 = off")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  command->add_option("--max-minutes", run.max_minutes, "Stop with a checkpoint after M minutes; 0 = no limit")
      ->check(CLI::Range(0.0, 1e7))
      ->capture_default_str();
  command->add_option("--max-steps", run.max_steps, "Stop with a checkpoint at this step; 0 = no limit")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 40))
      ->capture_default_str();
  return {command, [args] {
            args->run.command_line = invocation;
            return run_train(*args);
          }};
}

}  // namespace tint::cli
