// tint eval: colourise each evaluation photo from its lightness alone and score it against the
// original (src/core/metrics), per model and for the grey baseline, side by side.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "common.h"
#include "data.h"
#include "dataset.h"
#include "image_io.h"
#include "evaluation.h"
#include "hints.h"

namespace tint::cli {

namespace fs = std::filesystem;

namespace {

struct EvalArguments {
  std::vector<std::string> models;
  std::string data = "data/eval", out_dir;
  ComputeArguments compute;
  bool per_image = false;
  std::vector<int> hints;  // hint counts to evaluate; empty: 0 only
};

void print_scores(const char* image, const std::string& name, const MetricsMean& m, double ms) {
  if (image) std::printf("%-28s ", image);
  if (m.count == 0) {
    std::printf("%-18s %8s %12s %8s %8s  (takes no hints)\n", name.c_str(), "-", "-", "-", "-");
    return;
  }
  std::printf("%-18s %8.2f %12.3f %8.4f %8.3f", name.c_str(), m.psnr(), m.colorfulness_ratio(), m.auc(), m.chroma_ratio());
  if (ms >= 0) std::printf(" %10.0f", ms);
  std::printf("\n");
}

// One photo at every hint count: the tables' totals, and the images worth showing (grey, then
// each scored model per count) with the names of their folders.
Status evaluate_counts(const Image& original, const std::string& stem, const std::vector<Colorizer*>& colorizers,
                       const std::vector<std::string>& names, const EvalArguments& args, std::vector<EvaluationTotals>& totals,
                       std::vector<std::pair<std::string, Image>>& shown) {
  const std::vector<int> counts = args.hints.empty() ? std::vector<int>{0} : args.hints;
  for (size_t n = 0; n < counts.size(); ++n) {
    auto photo = evaluate_photo(original, colorizers, sample_hints(original, counts[n], hint_seed(stem, counts[n])));
    if (!photo) return photo.status();
    totals[n].add(photo.value());
    const size_t first_model = photo->columns.size() - names.size();
    if (n == 0) shown.emplace_back("grey", std::move(photo->outputs[0]));
    for (size_t c = first_model; c < photo->columns.size(); ++c) {
      const std::string name = names[c - first_model] + (counts[n] ? "-h" + std::to_string(counts[n]) : "");
      if (args.per_image) {
        MetricsMean one;
        if (photo->scored[c]) one.add(photo->metrics[c]);
        print_scores(stem.c_str(), name, one, -1);
      }
      if (photo->scored[c]) shown.emplace_back(name, std::move(photo->outputs[c]));
    }
  }
  return Status::ok();
}

int run_eval(const EvalArguments& args) {
  const std::vector<std::string> models = args.models.empty() ? shipped_models() : args.models;
  if (models.empty()) {
    print_error("eval: no --model given and no shipped models in weights/");
    return 2;
  }
  auto files = list_images({args.data});  // sorted, so tables and sheets keep one order
  if (!files) return print_error(files.message()), 1;
  std::vector<std::unique_ptr<Colorizer>> owned;
  std::vector<Colorizer*> colorizers;
  for (const auto& path : models) {
    auto model = load_model_file(path);
    if (!model) return print_error(model.message()), 1;
    auto colorizer = make_colorizer(std::move(model.value()), args.compute);
    if (!colorizer) return print_error(colorizer.message()), 1;
    colorizers.push_back(colorizer->get());
    owned.push_back(std::move(colorizer.value()));
  }
  const std::vector<std::string> names = display_names(models);
  const std::vector<int> counts = args.hints.empty() ? std::vector<int>{0} : args.hints;
  std::vector<EvaluationTotals> totals(counts.size());
  std::vector<std::vector<Image>> sheet_rows;
  if (args.per_image) std::printf("%-28s %-18s %8s %12s %8s %8s\n", "image", "model", "PSNR", "colourful", "AuC", "chroma");
  for (const auto& path : files.value()) {
    auto decoded = read_image(path);
    if (!decoded) return print_error(decoded.message()), 1;
    const Image original = cap_long_side(decoded.value(), 0);  // 8-bit RGB, full size
    const std::string stem = fs::path(path).stem().string();
    std::vector<std::pair<std::string, Image>> shown;
    if (auto status = evaluate_counts(original, stem, colorizers, names, args, totals, shown); !status) {
      return print_error(path + ": " + status.message()), 1;
    }
    if (args.out_dir.empty()) continue;
    std::vector<Image> row;
    for (auto& [folder, image] : shown) {
      std::error_code error;
      fs::create_directories(fs::path(args.out_dir) / folder, error);
      const Status status = write_image((fs::path(args.out_dir) / folder / (stem + ".png")).string(), image);
      if (!status) return print_error(status.message()), 1;
      row.push_back(std::move(image));
    }
    row.push_back(original);
    sheet_rows.push_back(std::move(row));
  }
  for (size_t n = 0; n < counts.size(); ++n) {
    std::printf("\n%zu images from %s, %d hint(s) each\n%-18s %8s %12s %8s %8s %10s\n", files->size(), args.data.c_str(),
                counts[n], "model", "PSNR dB", "colourful.", "AuC", "chroma", "ms/image");
    const size_t first_model = totals[n].means.size() - names.size();
    for (size_t c = 0; c < totals[n].means.size(); ++c) {
      const std::string name = c < first_model ? (c == 0 ? "grey (a = b = 0)" : c == 1 ? "mean of hints" : "nearest hint")
                                               : names[c - first_model];
      const MetricsMean& m = totals[n].means[c];
      print_scores(nullptr, name, m, c < first_model ? -1 : totals[n].milliseconds[c] / std::max(m.count, 1));
    }
  }
  if (!args.out_dir.empty()) {
    const std::string sheet = (fs::path(args.out_dir) / "contact-sheet.png").string();
    if (auto status = write_image(sheet, contact_sheet(sheet_rows, 200)); !status) return print_error(status.message()), 1;
    std::printf("\ncolourised images and %s (columns: grey, then per hint count each model that takes them, "
                "original)\n", sheet.c_str());
  }
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArguments>();
  CLI::App* command = app.add_subcommand("eval", "Score models on photos: PSNR, colourfulness, AuC, chroma vs grey");
  command->add_option("--model", args->models, "Weights files (default: the shipped models)");
  command->add_option("--data", args->data, "Folder of evaluation photos")->capture_default_str();
  command->add_option("--out-dir", args->out_dir, "Write the colourised images and a contact sheet here");
  add_compute_options(command, args->compute, "Long side the network sees (default: each model's)");
  add_hint_reach_option(command, args->compute);
  command->add_flag("--per-image", args->per_image, "Also print every image's scores");
  command->add_option("--hints", args->hints, "Hint counts to simulate per photo, e.g. 0,1,2,5,10,20 (default 0)")
      ->delimiter(',')
      ->check(CLI::Range(0, 1000));
  return {command, [args] { return run_eval(*args); }};
}

}  // namespace tint::cli
