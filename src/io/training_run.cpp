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

#include "colorizer.h"
#include "dataset.h"
#include "file_io.h"
#include "metrics.h"
#include "train.h"
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

struct MetricsRow {
  int64_t step;
  int epoch;
  double train_loss;  // mean over the rows' interval
  double val_loss;    // NaN when not measured
  double learning_rate;
  double images_per_second;
  // Whole validation photos colourised from their L (means, as `tint eval`); NaN when not measured.
  double val_psnr = NAN, val_colorfulness = NAN, val_auc = NAN;
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
  std::string text = "step,epoch,train_loss,val_loss,lr,images_per_s,val_psnr,val_colorfulness,val_auc\n";
  for (const auto& row : rows) {
    text += std::to_string(row.step) + "," + std::to_string(row.epoch) + "," + format_number(row.train_loss) + "," +
            format_number(row.val_loss) + "," + format_number(row.learning_rate) + "," +
            format_number(row.images_per_second) + "," + format_number(row.val_psnr) + "," +
            format_number(row.val_colorfulness) + "," + format_number(row.val_auc) + "\n";
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
    std::string cell[9];  // files from before the validation metrics have 6 columns
    for (auto& c : cell) std::getline(fields, c, ',');
    auto number = [](const std::string& c) { return c.empty() ? NAN : std::strtod(c.c_str(), nullptr); };
    MetricsRow row{std::strtoll(cell[0].c_str(), nullptr, 10), std::atoi(cell[1].c_str()), number(cell[2]),
                   number(cell[3]), number(cell[4]), number(cell[5]), number(cell[6]), number(cell[7]),
                   number(cell[8])};
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

// Each validation photo colourised from its L at the model's working size and scored against
// itself, exactly as `tint eval` scores the evaluation photos.
Result<MetricsMean> validation_metrics(const Model& model, int threads, const Dataset& dataset) {
  ColorizerOptions options;
  options.threads = threads;
  auto colorizer = Colorizer::create(model, options);
  if (!colorizer) return colorizer.status();
  MetricsMean mean;
  for (const int index : dataset.validation()) {
    const Image& original = dataset.images()[size_t(index)];
    auto colorized = colorizer.value()->colorize(original.view());
    if (!colorized) return colorized.status();
    ColorMetrics m;
    compare_colors(colorized.value(), original, m);
    mean.add(m);
  }
  return mean;
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d", std::gmtime(&now));
  return text;
}

}  // namespace

Status run_training(const TrainingRunOptions& options, bool* interrupted) {
  if (interrupted) *interrupted = false;
  if (options.epochs < 1 || options.batch < 1 || options.crop < 8 || options.threads < 1) {
    return Status::error("epochs, batch, threads must be >= 1 and crop >= 8");
  }
  if (options.select != "loss" && options.select != "auc") {
    return Status::error("select must be \"loss\" or \"auc\", not \"" + options.select + "\"");
  }
  std::error_code error;
  fs::create_directories(options.out_dir, error);
  if (error || !fs::is_directory(options.out_dir)) {
    return Status::error(options.out_dir + ": cannot create the output folder" + (error ? ": " + error.message() : ""));
  }
  const std::string out = options.out_dir + "/";
  const std::string probe = out + ".write-test";
  TINT_RETURN_IF_ERROR(write_text(probe, "ok"));  // fail now, not after an hour of training
  fs::remove(probe, error);

  // Model and progress: fresh, or from the checkpoint.
  Model model;
  AdamOptions adam_options;
  adam_options.learning_rate = options.learning_rate;
  adam_options.weight_decay = options.weight_decay;
  adam_options.clip_norm = options.clip_norm;
  TrainingProgress progress;
  progress.seed = options.seed;
  progress.huber_delta = options.huber_delta;
  std::unique_ptr<Adam> adam;
  if (!options.resume.empty()) {
    auto bytes = read_file(options.resume);
    if (!bytes) return bytes.status();
    auto checkpoint = load_checkpoint(bytes->data(), bytes->size(), options.resume);
    if (!checkpoint) return checkpoint.status();
    model = std::move(checkpoint->model);
    progress = checkpoint->progress;
    adam = std::make_unique<Adam>(checkpoint->adam_options, model.parameters);
    adam->steps = checkpoint->adam_steps;
    adam->first_moment = std::move(checkpoint->first_moment);
    adam->second_moment = std::move(checkpoint->second_moment);
  } else if (!options.init.empty()) {  // a new run (fresh optimiser, epoch 0) from trained weights
    auto bytes = read_file(options.init);
    if (!bytes) return bytes.status();
    auto loaded = load_model(bytes->data(), bytes->size(), options.init);
    if (!loaded) return loaded.status();
    model = std::move(loaded.value());
    model.metadata.clear();
    adam = std::make_unique<Adam>(adam_options, model.parameters);
  } else {
    auto created = create_model(options.architecture, options.seed);
    if (!created) return created.status();
    model = std::move(created.value());
    adam = std::make_unique<Adam>(adam_options, model.parameters);
  }

  DatasetOptions data_options;
  data_options.photo_folders = options.data_folders;
  data_options.cifar10_folder = options.cifar10_folder;
  data_options.val_fraction = options.val_fraction;
  data_options.seed = progress.seed;
  data_options.max_side = options.max_side;
  data_options.crop = options.crop;
  data_options.threads = options.threads;
  std::fprintf(stderr, "loading data...\n");
  auto dataset = Dataset::load(data_options);
  if (!dataset) return dataset.status();
  for (const auto& warning : dataset->warnings()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
  std::fprintf(stderr, "%s\n", dataset->summary().c_str());

  BatchLoaderOptions loader_options;
  loader_options.batch_size = options.batch;
  loader_options.crop.crop = options.crop;
  loader_options.crop.min_scale = options.min_scale;
  loader_options.seed = progress.seed;
  loader_options.threads = 1;  // one worker keeps a batch ready; the compute gets the cores
  BatchLoader loader(dataset.value(), loader_options);
  const int steps_per_epoch = loader.batches_per_epoch();
  if (steps_per_epoch < 1) {
    return Status::error("batch " + std::to_string(options.batch) + " is larger than the " +
                         std::to_string(dataset->train_count()) + " training images");
  }
  const int multiple = stride_multiple(model.architecture);
  if (options.crop % multiple != 0) {
    return Status::error("crop " + std::to_string(options.crop) + " must be a multiple of " + std::to_string(multiple) +
                         " for this architecture");
  }

  auto backend = make_backend(default_backend_name(), options.threads);
  if (!backend) return backend.status();
  auto created_graph = Graph::create(model, *backend.value(), Graph::Mode::training);
  if (!created_graph) return created_graph.status();
  Graph& graph = *created_graph.value();
  std::vector<MetricsRow> rows = options.resume.empty() ? std::vector<MetricsRow>{}
                                                        : read_metrics_csv(out + "metrics.csv", progress.step);

  const bool terminal = isatty(STDERR_FILENO);
  SignalGuard signals;
  using clock = std::chrono::steady_clock;
  const auto run_start = clock::now();
  const double elapsed_before = progress.elapsed_seconds;
  auto elapsed = [&] { return elapsed_before + std::chrono::duration<double>(clock::now() - run_start).count(); };
  auto last_checkpoint = clock::now();
  int64_t last_checkpoint_step = progress.step;
  // Weights as of the end of an epoch, with that epoch's metrics row.
  auto weights_metadata = [&](const MetricsRow& epoch_row) {
    nlohmann::json training = {{"data", options.data_folders},
                               {"cifar10", options.cifar10_folder},
                               {"command", options.command_line},
                               {"epochs", options.epochs},
                               {"steps", progress.step},
                               {"batch", options.batch},
                               {"crop", options.crop},
                               {"loss", progress.huber_delta > 0 ? "huber" : "mse"},
                               {"huber_delta", progress.huber_delta},
                               {"seed", std::to_string(progress.seed)},
                               {"wall_time_seconds", std::round(elapsed())},
                               {"final_train_loss", epoch_row.train_loss},
                               {"final_val_loss", epoch_row.val_loss},
                               {"final_val_psnr", epoch_row.val_psnr},
                               {"final_val_colorfulness", epoch_row.val_colorfulness},
                               {"final_val_auc", epoch_row.val_auc},
                               {"best_val_loss", progress.best_val_loss},
                               {"best_val_auc", progress.best_val_auc},
                               {"selected_by", options.select},
                               {"train_images", dataset->train_count()},
                               {"val_images", dataset->validation_count()},
                               {"date", today()}};
    Model copy = model;
    copy.metadata["training"] = training.dump();
    return copy;
  };
  auto save = [&](const std::string& name, const Model& m, Dtype dtype) {
    const auto bytes = save_model(m, dtype);
    return write_file_atomic(out + name, bytes.data(), bytes.size());
  };
  auto checkpoint = [&]() -> Status {
    progress.elapsed_seconds = elapsed();
    const auto bytes = save_checkpoint(model, *adam, progress);
    TINT_RETURN_IF_ERROR(write_file_atomic(out + "checkpoint.safetensors", bytes.data(), bytes.size()));
    TINT_RETURN_IF_ERROR(write_metrics_csv(out + "metrics.csv", rows));
    last_checkpoint = clock::now();
    last_checkpoint_step = progress.step;
    return Status::ok();
  };

  double interval_loss = 0.0, last_train = NAN, last_val = NAN;
  int interval_steps = 0;
  double& epoch_loss = progress.epoch_loss_sum;  // checkpointed, so a resumed epoch reports the same mean
  const int& epoch_steps = progress.step_in_epoch;
  auto interval_start = clock::now(), last_display = clock::now();
  const int64_t total_steps = int64_t(options.epochs) * steps_per_epoch;
  const int64_t first_step = progress.step;
  while (progress.epoch < options.epochs) {
    // A run stopped right after an epoch's last step resumes at that epoch's validation.
    if (progress.step_in_epoch < steps_per_epoch) TINT_RETURN_IF_ERROR(loader.start(progress.epoch, progress.step_in_epoch));
    while (progress.step_in_epoch < steps_per_epoch) {
      auto batch = loader.next();
      if (!batch) return batch.status();
      auto loss = train_step(graph, model, *adam, batch->lightness, batch->ab, progress.seed, progress.step,
                             float(progress.huber_delta));
      if (!loss) return loss.status();
      if (!std::isfinite(loss.value())) {
        return Status::error("training diverged at step " + std::to_string(progress.step) +
                             " (loss is not finite); try a lower --lr");
      }
      ++progress.step;
      ++progress.step_in_epoch;
      interval_loss += loss.value();
      epoch_loss += loss.value();
      ++interval_steps;
      // A metrics row every ~1/20 epoch (at least every 50 steps); the progress line twice a second
      // on a terminal, with each row otherwise.
      const double since = std::chrono::duration<double>(clock::now() - interval_start).count();
      const bool epoch_end = progress.step_in_epoch == steps_per_epoch;
      const bool record = epoch_end || interval_steps >= std::clamp(steps_per_epoch / 20, 1, 50);
      const bool show = record || (terminal && std::chrono::duration<double>(clock::now() - last_display).count() > 0.5);
      if (show) {
        const double images_per_second = interval_steps * options.batch / std::max(since, 1e-9);
        const double mean = interval_loss / interval_steps;
        const double done = double(progress.step - first_step);
        const double eta = done > 0 ? (elapsed() - elapsed_before) / done * double(total_steps - progress.step) : 0;
        if (terminal || record) {
          std::fprintf(stderr, "%sepoch %d/%d  step %d/%d  %.1f img/s  loss %.5f  ETA %s%s", terminal ? "\r\033[K" : "",
                       progress.epoch + 1, options.epochs, progress.step_in_epoch, steps_per_epoch, images_per_second,
                       mean, duration_text(eta).c_str(), terminal ? "" : "\n");
        }
        last_display = clock::now();
        if (record) {
          rows.push_back({progress.step, progress.epoch, mean, NAN, adam->options.learning_rate, images_per_second});
          last_train = mean;
          interval_loss = 0;
          interval_steps = 0;
          interval_start = clock::now();
        }
      }
      const bool stop = stop_signal != 0 || (options.max_steps > 0 && progress.step >= options.max_steps) ||
                        (options.max_minutes > 0 && elapsed() - elapsed_before >= options.max_minutes * 60);
      const bool due = (options.checkpoint_steps > 0 && progress.step - last_checkpoint_step >= options.checkpoint_steps) ||
                       (options.checkpoint_minutes > 0 &&
                        std::chrono::duration<double>(clock::now() - last_checkpoint).count() >= options.checkpoint_minutes * 60);
      if (stop || due) TINT_RETURN_IF_ERROR(checkpoint());
      if (stop) {
        if (terminal) std::fprintf(stderr, "\n");
        std::fprintf(stderr, "%s: checkpoint saved at step %lld; continue with --resume %scheckpoint.safetensors\n",
                     stop_signal ? "interrupted" : "limit reached", (long long)progress.step, out.c_str());
        if (interrupted) *interrupted = true;
        return Status::ok();
      }
    }
    // End of the epoch: validation, the best and last weights, a checkpoint.
    double val_sum = 0;
    int val_batches = loader.validation_batches();
    for (int b = 0; b < val_batches; ++b) {
      auto batch = loader.validation_batch(b);
      if (!batch) return batch.status();
      auto loss = evaluation_loss(graph, batch->lightness, batch->ab, float(progress.huber_delta));
      if (!loss) return loss.status();
      val_sum += loss.value() * batch->lightness.shape.n;
    }
    last_val = val_batches ? val_sum / dataset->validation_count() : NAN;
    if (epoch_steps > 0) last_train = epoch_loss / epoch_steps;
    MetricsRow row{progress.step, progress.epoch, last_train, last_val, adam->options.learning_rate, NAN};
    if (val_batches) {
      auto scores = validation_metrics(model, options.threads, dataset.value());
      if (!scores) return scores.status();
      row.val_psnr = scores->psnr();
      row.val_colorfulness = scores->colorfulness_ratio();
      row.val_auc = scores->auc();
    }
    rows.push_back(row);
    if (terminal) std::fprintf(stderr, "\n");
    if (val_batches) {
      std::fprintf(stderr, "epoch %d/%d done: train loss %.5f, validation loss %s, PSNR %.2f dB, colourfulness %.3f, AuC %.4f\n",
                   progress.epoch + 1, options.epochs, last_train, format_number(last_val).c_str(), row.val_psnr,
                   row.val_colorfulness, row.val_auc);
    } else {
      std::fprintf(stderr, "epoch %d/%d done: train loss %.5f, validation loss n/a (no validation images)\n",
                   progress.epoch + 1, options.epochs, last_train);
    }
    const double score = std::isnan(last_val) ? last_train : last_val;
    const bool best_loss = progress.best_val_loss < 0 || score < progress.best_val_loss;
    const bool best_auc = !std::isnan(row.val_auc) && row.val_auc > progress.best_val_auc;
    if (best_loss) progress.best_val_loss = score;
    if (best_auc) progress.best_val_auc = row.val_auc;
    if ((options.select == "auc" && !std::isnan(row.val_auc)) ? best_auc : best_loss) {
      TINT_RETURN_IF_ERROR(save("best.safetensors", weights_metadata(row), Dtype::f32));
    }
    ++progress.epoch;
    progress.step_in_epoch = 0;
    epoch_loss = 0;
    TINT_RETURN_IF_ERROR(save("last.safetensors", weights_metadata(row), Dtype::f32));
    TINT_RETURN_IF_ERROR(checkpoint());
    TINT_RETURN_IF_ERROR(write_loss_svg(out + "loss.svg", rows));
  }
  TINT_RETURN_IF_ERROR(write_loss_svg(out + "loss.svg", rows));
  std::fprintf(stderr, "done: %lld steps in %s; weights in %sbest.safetensors and %slast.safetensors\n",
               (long long)progress.step, duration_text(elapsed()).c_str(), out.c_str(), out.c_str());
  return Status::ok();
}

}  // namespace tint
