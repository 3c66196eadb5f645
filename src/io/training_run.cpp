#include "training_run.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "dataset.h"
#include "file_io.h"
#include "mpi_collective.h"
#include "trainer.h"
#include "weights.h"

namespace tint {

namespace fs = std::filesystem;

namespace {

std::atomic<int> stop_signal{0};
extern "C" void request_stop(int signal_number) { stop_signal = signal_number; }

// Restores the previous handlers when the run ends (tests run several trainings in one process).
struct SignalGuard {
  struct sigaction old_int {}, old_term {};
  SignalGuard() {
    stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int);
    sigaction(SIGTERM, &action, &old_term);
  }
  ~SignalGuard() {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
  }
};

std::string format_number(double value) {
  if (std::isnan(value)) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

Status write_text(const std::string& path, const std::string& text) {
  return write_file_atomic(path, text.data(), text.size());
}

Status write_metrics_csv(const std::string& path, const std::vector<MetricsRow>& rows) {
  std::string text =
      "step,epoch,train_loss,val_loss,lr,images_per_s,val_psnr,val_colorfulness,val_auc,val_psnr_hints,val_auc_hints\n";
  for (const auto& row : rows) {
    text += std::to_string(row.step) + "," + std::to_string(row.epoch) + "," + format_number(row.train_loss) + "," +
            format_number(row.val_loss) + "," + format_number(row.learning_rate) + "," +
            format_number(row.images_per_second) + "," + format_number(row.val_psnr) + "," +
            format_number(row.val_colorfulness) + "," + format_number(row.val_auc) + "," +
            format_number(row.val_psnr_hints) + "," + format_number(row.val_auc_hints) + "\n";
  }
  return write_text(path, text);
}

// Reads back metrics.csv on resume, keeping the rows up to the checkpoint's step.
std::vector<MetricsRow> read_metrics_csv(const std::string& path, int64_t up_to_step) {
  std::vector<MetricsRow> rows;
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);  // header
  while (std::getline(file, line)) {
    std::stringstream fields(line);
    std::string cell[11];  // older files have 6 or 9 columns: the rest read as NaN
    for (auto& c : cell) std::getline(fields, c, ',');
    auto number = [](const std::string& c) { return c.empty() ? NAN : std::strtod(c.c_str(), nullptr); };
    MetricsRow row{std::strtoll(cell[0].c_str(), nullptr, 10), std::atoi(cell[1].c_str()), number(cell[2]),
                   number(cell[3]), number(cell[4]), number(cell[5]), number(cell[6]), number(cell[7]),
                   number(cell[8]), number(cell[9]), number(cell[10])};
    if (row.step <= up_to_step) rows.push_back(row);
  }
  return rows;
}

// Train and validation loss against step, log-scaled loss axis, as a small standalone SVG.
Status write_loss_svg(const std::string& path, const std::vector<MetricsRow>& rows) {
  const double width = 720, height = 420, left = 70, right = 20, top = 30, bottom = 50;
  double max_step = 1, low = 1e300, high = -1e300;
  for (const auto& row : rows) {
    max_step = std::max(max_step, double(row.step));
    for (double v : {row.train_loss, row.val_loss})
      if (std::isfinite(v) && v > 0) low = std::min(low, v), high = std::max(high, v);
  }
  if (low > high) low = 1e-3, high = 1;
  const double log_low = std::floor(std::log10(low)), log_high = std::max(log_low + 1, std::ceil(std::log10(high)));
  auto x_of = [&](double step) { return left + (width - left - right) * step / max_step; };
  auto y_of = [&](double loss) {
    return top + (height - top - bottom) * (log_high - std::log10(loss)) / (log_high - log_low);
  };
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
      << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='" << width / 2 << "' y='18' text-anchor='middle' font-size='14'>tint training loss (MSE of ab/128)</text>\n";
  for (double e = log_low; e <= log_high; e += 1) {
    const double y = y_of(std::pow(10.0, e));
    svg << "<line x1='" << left << "' x2='" << width - right << "' y1='" << y << "' y2='" << y
        << "' stroke='#ddd'/><text x='" << left - 6 << "' y='" << y + 4 << "' text-anchor='end'>1e" << e << "</text>\n";
  }
  for (int i = 0; i <= 5; ++i) {
    const double step = max_step * i / 5, x = x_of(step);
    svg << "<line x1='" << x << "' x2='" << x << "' y1='" << top << "' y2='" << height - bottom
        << "' stroke='#eee'/><text x='" << x << "' y='" << height - bottom + 16 << "' text-anchor='middle'>"
        << int64_t(step) << "</text>\n";
  }
  svg << "<text x='" << (left + width - right) / 2 << "' y='" << height - 10 << "' text-anchor='middle'>step</text>\n";
  auto polyline = [&](bool validation, const char* colour) {
    svg << "<polyline fill='none' stroke='" << colour << "' stroke-width='2' points='";
    for (const auto& row : rows) {
      const double v = validation ? row.val_loss : row.train_loss;
      if (std::isfinite(v) && v > 0) svg << x_of(double(row.step)) << "," << y_of(v) << " ";
    }
    svg << "'/>\n";
  };
  polyline(false, "#1f77b4");
  polyline(true, "#d62728");
  svg << "<text x='" << width - right - 150 << "' y='" << top + 16 << "' fill='#1f77b4'>train</text>"
      << "<text x='" << width - right - 90 << "' y='" << top + 16 << "' fill='#d62728'>validation</text>\n</svg>\n";
  return write_text(path, svg.str());
}

std::string duration_text(double seconds) {
  char text[32];
  const int s = int(seconds);
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%dh%02dm", s / 3600, s / 60 % 60);
  } else {
    std::snprintf(text, sizeof text, "%dm%02ds", s / 60, s % 60);
  }
  return text;
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d", std::gmtime(&now));
  return text;
}

// The trainer's data: a Dataset and its BatchLoader.
class LoadedData : public TrainingData {
 public:
  LoadedData(const Dataset& dataset, BatchLoader& loader) : dataset_(dataset), loader_(loader) {}
  int batches_per_epoch() const override { return loader_.batches_per_epoch(); }
  Status start(int epoch, int first_step) override { return loader_.start(epoch, first_step); }
  Result<Batch> next() override { return loader_.next(); }
  int validation_batches() const override { return loader_.validation_batches(); }
  Result<Batch> validation_batch(int index) const override { return loader_.validation_batch(index); }
  int train_count() const override { return dataset_.train_count(); }
  int validation_count() const override { return dataset_.validation_count(); }
  Result<std::shared_ptr<const Image>> validation_photo(int index) const override {
    return dataset_.image(dataset_.validation()[size_t(index)]);
  }
  std::vector<double> colour_prior() const override { return dataset_.colour_prior(); }

 private:
  const Dataset& dataset_;
  BatchLoader& loader_;
};

// --val-list: one key per line (as validation.txt writes them); blank lines and # comments skipped.
Result<std::vector<std::string>> read_key_list(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.status();
  std::vector<std::string> keys;
  std::istringstream lines(std::string(bytes->begin(), bytes->end()));
  for (std::string line; std::getline(lines, line);) {
    const size_t first = line.find_first_not_of(" \t\r"), last = line.find_last_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    keys.push_back(line.substr(first, last - first + 1));
  }
  if (keys.empty()) return Status::error(path + ": lists no photos to hold out");
  return keys;
}

// Where a run starts: a fresh model, trained weights (--init: new optimiser, epoch 0) or a
// checkpoint (--resume: everything as it was).
struct StartState {
  Model model;
  std::unique_ptr<Adam> adam;
  TrainingProgress progress;
};

// `bytes`: the --resume or --init file's contents (rank 0 reads it and sends it to the others).
Result<StartState> load_start(const TrainingRunOptions& options, const std::vector<uint8_t>& bytes) {
  StartState start;
  AdamOptions adam_options;
  adam_options.learning_rate = options.learning_rate;
  adam_options.weight_decay = options.weight_decay;
  adam_options.clip_norm = options.clip_norm;
  adam_options.average_decay = options.average_decay;
  start.progress.seed = options.seed;
  start.progress.huber_delta = options.huber_delta;
  if (!options.resume.empty()) {
    auto checkpoint = load_checkpoint(bytes.data(), bytes.size(), options.resume);
    if (!checkpoint) return checkpoint.status();
    start.model = std::move(checkpoint->model);
    start.progress = checkpoint->progress;
    start.adam = std::make_unique<Adam>(checkpoint->adam_options, start.model.parameters);
    start.adam->steps = checkpoint->adam_steps;
    start.adam->first_moment = std::move(checkpoint->first_moment);
    start.adam->second_moment = std::move(checkpoint->second_moment);
    if (!checkpoint->average.empty()) start.adam->average = std::move(checkpoint->average);
    return start;
  }
  auto model = options.init.empty() ? create_model(options.architecture, options.seed)
                                    : load_model(bytes.data(), bytes.size(), options.init);
  if (!model) return model.status();
  start.model = std::move(model.value());
  start.model.metadata.clear();
  start.adam = std::make_unique<Adam>(adam_options, start.model.parameters);
  return start;
}

// Makes the output folder and proves it writable now, not after an hour of training.
Status prepare_output(const std::string& out_dir) {
  std::error_code error;
  fs::create_directories(out_dir, error);
  if (error || !fs::is_directory(out_dir)) {
    return Status::error(out_dir + ": cannot create the output folder" + (error ? ": " + error.message() : ""));
  }
  const std::string probe = out_dir + "/.write-test";
  TINT_RETURN_IF_ERROR(write_text(probe, "ok"));
  fs::remove(probe, error);
  return Status::ok();
}

// The trainer's hooks: files in `out`, progress on stderr (a live line on a terminal).
TrainerHooks file_hooks(const std::string& out) {
  const bool terminal = isatty(STDERR_FILENO);
  auto last_display = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  TrainerHooks hooks;
  hooks.step = [terminal, last_display](const TrainerHooks::Step& s) {
    const auto now = std::chrono::steady_clock::now();
    if (!s.recorded && !(terminal && std::chrono::duration<double>(now - *last_display).count() > 0.5)) return;
    std::fprintf(stderr, "%sepoch %d/%d  step %d/%d  %.1f img/s  loss %.5f  ETA %s%s", terminal ? "\r\033[K" : "",
                 s.epoch + 1, s.epochs, s.step_in_epoch, s.steps_per_epoch, s.images_per_second, s.loss,
                 duration_text(s.eta_seconds).c_str(), terminal ? "" : "\n");
    *last_display = now;
  };
  hooks.epoch_done = [terminal](int epoch, int epochs, const MetricsRow& row, bool has_validation) {
    if (terminal) std::fprintf(stderr, "\n");
    if (has_validation) {
      std::fprintf(stderr, "epoch %d/%d done: train loss %.5f, validation loss %s, PSNR %.2f dB, colourfulness %.3f, AuC %.4f\n",
                   epoch + 1, epochs, row.train_loss, format_number(row.val_loss).c_str(), row.val_psnr,
                   row.val_colorfulness, row.val_auc);
      if (!std::isnan(row.val_psnr_hints)) {
        std::fprintf(stderr, "  with %d hints per photo: PSNR %.2f dB, AuC %.4f\n", kValidationHints, row.val_psnr_hints,
                     row.val_auc_hints);
      }
    } else {
      std::fprintf(stderr, "epoch %d/%d done: train loss %.5f, validation loss n/a (no validation images)\n", epoch + 1,
                   epochs, row.train_loss);
    }
  };
  hooks.checkpoint = [out](const std::vector<uint8_t>& bytes, const std::vector<MetricsRow>& rows) -> Status {
    TINT_RETURN_IF_ERROR(write_file_atomic(out + "checkpoint.safetensors", bytes.data(), bytes.size()));
    return write_metrics_csv(out + "metrics.csv", rows);
  };
  hooks.weights = [out](const std::string& which, const Model& model) {
    const auto bytes = save_model(model, Dtype::f32);
    return write_file_atomic(out + which + ".safetensors", bytes.data(), bytes.size());
  };
  hooks.rows = [out](const std::vector<MetricsRow>& rows) { return write_loss_svg(out + "loss.svg", rows); };
  hooks.stop_requested = [] { return stop_signal != 0; };
  return hooks;
}

// The hooks of ranks other than 0: they train, and rank 0 reports and writes.
TrainerHooks quiet_hooks() {
  TrainerHooks hooks;
  hooks.step = [](const TrainerHooks::Step&) {};
  hooks.epoch_done = [](int, int, const MetricsRow&, bool) {};
  hooks.checkpoint = [](const std::vector<uint8_t>&, const std::vector<MetricsRow>&) { return Status::ok(); };
  hooks.weights = [](const std::string&, const Model&) { return Status::ok(); };
  hooks.rows = [](const std::vector<MetricsRow>&) { return Status::ok(); };
  hooks.stop_requested = [] { return stop_signal != 0; };
  return hooks;
}

// A hash of this program's own file, so that ranks running different builds are caught.
uint64_t executable_fingerprint() {
  auto bytes = read_file("/proc/self/exe");
  if (!bytes) return 0;
  return hash_bytes(std::string(bytes->begin(), bytes->end()));
}

// Every rank must train on the same program and flags (and photos: Dataset::load compares those).
Status check_ranks_agree(Collective& collective, const TrainingRunOptions& options) {
  TINT_RETURN_IF_ERROR(check_same_on_every_rank(collective, executable_fingerprint(),
                                                "runs a different tint program than rank 0 (every rank needs the same build)"));
  return check_same_on_every_rank(collective, hash_bytes(options.command_line),
                                  "was started with different flags than rank 0 (every rank runs the same command)");
}

}  // namespace

Status run_training(const TrainingRunOptions& options, bool* interrupted, Collective* collective) {
  if (interrupted) *interrupted = false;
  if (options.epochs < 1 || options.batch < 1 || options.crop < 8 || options.threads < 1) {
    return Status::error("epochs, batch and threads must be >= 1 and crop >= 8; got epochs " +
                         std::to_string(options.epochs) + ", batch " + std::to_string(options.batch) + ", threads " +
                         std::to_string(options.threads) + ", crop " + std::to_string(options.crop));
  }
  // In a data-parallel run rank 0 alone reads the start file, reports and writes files.
  const bool root = !collective || collective->rank() == 0;
  if (collective && collective->size() > 1) TINT_RETURN_IF_ERROR(check_ranks_agree(*collective, options));
  TINT_RETURN_IF_ERROR(agree(collective, root ? prepare_output(options.out_dir) : Status::ok()));
  const std::string out = options.out_dir + "/";
  std::vector<uint8_t> start_bytes;
  const std::string& start_file = options.resume.empty() ? options.init : options.resume;
  Status read = Status::ok();
  if (root && !start_file.empty()) {
    auto bytes = read_file(start_file);
    if (bytes) start_bytes = std::move(bytes.value());
    read = bytes.status();
  }
  TINT_RETURN_IF_ERROR(agree(collective, read));
  if (collective && collective->size() > 1) TINT_RETURN_IF_ERROR(collective->broadcast(start_bytes));
  auto start = load_start(options, start_bytes);
  if (!start) return reported_by_root(collective, start.status());
  Model& model = start->model;

  DatasetOptions data_options;
  data_options.photo_folders = options.data_folders;
  data_options.cifar10_folder = options.cifar10_folder;
  data_options.val_fraction = options.val_fraction;
  if (!options.val_list.empty()) {
    auto keys = read_key_list(options.val_list);
    TINT_RETURN_IF_ERROR(agree(collective, keys.status()));
    data_options.validation_keys = std::move(keys.value());
  }
  data_options.seed = start->progress.seed;
  data_options.max_side = options.max_side;
  data_options.crop = options.crop;
  data_options.threads = options.threads;
  data_options.memory_budget = size_t(std::ceil(options.data_memory_mb * 1048576.0));
  data_options.colour_prior = TrainingObjective::needs_prior(model.architecture);
  if (root) std::fprintf(stderr, "loading data...\n");
  // Every rank ends together on an error here (Dataset::load agrees with the others).
  auto dataset = Dataset::load(data_options, collective);
  if (!dataset) return dataset.status();
  if (root) {
    for (const auto& warning : dataset->warnings()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
    std::fprintf(stderr, "%s\n", dataset->summary().c_str());
  }
  if (collective && collective->size() > 1) {
    const int ranks = collective->size(), fewest = options.batch / ranks, most = (options.batch + ranks - 1) / ranks;
    if (root) {
      std::fprintf(stderr,
                   "data-parallel: %d ranks x %d threads, each with %s of every batch of %d photos; rank 0 decoded %d "
                   "photo files at the start, the others' share is read when its rows need it\n",
                   ranks, options.threads, (std::to_string(fewest) + (most > fewest ? "-" + std::to_string(most) : "")).c_str(),
                   options.batch, dataset->decoded_at_start());
    }
  }
  // The held-out photos by key (relative to their data folder), so that they can be scored apart
  // (`tint eval --data` on them) and a run's split is on record.
  std::string held_out;
  for (int index : dataset->validation()) held_out += dataset->keys()[size_t(index)] + "\n";
  TINT_RETURN_IF_ERROR(agree(collective, root ? write_file_atomic(out + "validation.txt", held_out.data(), held_out.size())
                                              : Status::ok()));
  const int multiple = stride_multiple(model.architecture);
  if (options.crop % multiple != 0) {
    return reported_by_root(collective, Status::error("crop " + std::to_string(options.crop) + " must be a multiple of " + std::to_string(multiple) +
                         " for this architecture"));
  }
  BatchLoaderOptions loader_options;
  loader_options.batch_size = options.batch;
  loader_options.crop.crop = options.crop;
  loader_options.crop.min_scale = options.min_scale;
  loader_options.seed = start->progress.seed;
  loader_options.threads = 1;  // one worker keeps a batch ready; the compute gets the cores
  if (collective) loader_options.shard = BatchShard::of(options.batch, collective->rank(), collective->size());
  BatchLoader loader(dataset.value(), loader_options);
  LoadedData data(dataset.value(), loader);

  TrainerOptions trainer_options{options.epochs, options.batch, options.threads, options.select,
                                 options.checkpoint_steps, options.checkpoint_minutes, options.max_minutes,
                                 options.max_steps, options.data_folders, options.cifar10_folder,
                                 options.command_line, options.crop, today(), collective, HintSimulation{}};
  trainer_options.hints.none_share = options.no_hint_share;
  trainer_options.hints.uniform = options.hint_locations == "uniform";
  trainer_options.hints.recolour_share = options.hint_recolour_share;
  auto backend = make_backend(default_backend_name(), options.threads);
  if (!backend) return backend.status();
  std::vector<MetricsRow> rows;
  if (root && !options.resume.empty()) rows = read_metrics_csv(out + "metrics.csv", start->progress.step);
  auto trainer = Trainer::create(model, *start->adam, start->progress, std::move(rows), *backend.value(), trainer_options);
  if (!trainer) return reported_by_root(collective, trainer.status());

  SignalGuard signals;
  bool stopped = false;
  const Status trained = trainer.value()->run(data, root ? file_hooks(out) : quiet_hooks(), &stopped);
  if (!trained.is_ok() && collective && collective->size() > 1) {
    // The other ranks may be waiting for this one in a sum: end them all, after saying why.
    std::fprintf(stderr, "tint: %s%s\n", root ? "" : ("rank " + std::to_string(collective->rank()) + ": ").c_str(),
                 trained.message().c_str());
    abort_mpi(1);
  }
  TINT_RETURN_IF_ERROR(trained);
  if (!root) return Status::ok();
  const TrainingProgress& progress = trainer.value()->progress();
  if (stopped) {
    if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\n");
    std::fprintf(stderr, "%s: checkpoint saved at step %lld; continue with --resume %scheckpoint.safetensors\n",
                 stop_signal ? "interrupted" : "limit reached", (long long)progress.step, out.c_str());
    if (interrupted) *interrupted = true;
    return Status::ok();
  }
  std::fprintf(stderr, "done: %lld steps in %s; weights in %sbest.safetensors and %slast.safetensors\n",
               (long long)progress.step, duration_text(progress.elapsed_seconds).c_str(), out.c_str(), out.c_str());
  return Status::ok();
}

}  // namespace tint
