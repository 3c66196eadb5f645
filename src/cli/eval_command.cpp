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

namespace tint::cli {

namespace fs = std::filesystem;

namespace {

struct EvalArguments {
  std::vector<std::string> models;
  std::string data = "data/eval", out_dir;
  ComputeArguments compute;
  bool per_image = false;
};

std::vector<std::string> default_models() {
  std::vector<std::string> models;
  const std::string shipped = find_shipped_model();
  if (shipped.empty()) return models;
  const fs::path folder = fs::path(shipped).parent_path();
  for (const char* name : {"tint-baseline.safetensors", "tint-v1.safetensors"}) {
    if (fs::exists(folder / name)) models.push_back((folder / name).string());
  }
  return models;
}

// Column names: grey, then each model's file stem (runs/a/best and runs/b/best: with the folder).
std::vector<std::string> column_names(const std::vector<std::string>& models) {
  std::vector<std::string> names{"grey (a = b = 0)"};
  for (const auto& model : models) {
    const fs::path path(model);
    const bool shared = std::count_if(models.begin(), models.end(),
                                      [&](const std::string& m) { return fs::path(m).stem() == path.stem(); }) > 1;
    names.push_back(shared ? path.parent_path().filename().string() + "-" + path.stem().string() : path.stem().string());
  }
  return names;
}

void print_scores(const char* image, const std::string& name, const MetricsMean& m, double ms) {
  if (image) std::printf("%-28s ", image);
  std::printf("%-18s %8.2f %12.3f %8.4f %8.3f", name.c_str(), m.psnr(), m.colorfulness_ratio(), m.auc(), m.chroma_ratio());
  if (ms >= 0) std::printf(" %10.0f", ms);
  std::printf("\n");
}

Status write_outputs(const std::string& out_dir, const std::vector<std::string>& names, const std::string& stem,
                     const std::vector<Image>& images) {
  for (size_t c = 0; c < names.size(); ++c) {
    const fs::path folder = fs::path(out_dir) / names[c].substr(0, names[c].find(' '));
    std::error_code error;
    fs::create_directories(folder, error);
    TINT_RETURN_IF_ERROR(write_image((folder / (stem + ".png")).string(), images[c]));
  }
  return Status::ok();
}

int run_eval(const EvalArguments& args) {
  const std::vector<std::string> models = args.models.empty() ? default_models() : args.models;
  if (models.empty()) {
    print_error("eval: no --model given and no shipped models in weights/");
    return 2;
  }
  auto files = list_images({args.data});
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
  const std::vector<std::string> names = column_names(models);
  EvaluationTotals totals;
  std::vector<std::vector<Image>> sheet_rows;
  if (args.per_image) std::printf("%-28s %-18s %8s %12s %8s %8s\n", "image", "model", "PSNR", "colourful", "AuC", "chroma");
  for (const auto& path : files.value()) {
    auto decoded = read_image(path);
    if (!decoded) return print_error(decoded.message()), 1;
    const Image original = cap_long_side(decoded.value(), 0);  // 8-bit RGB, full size
    auto photo = evaluate_photo(original, colorizers);
    if (!photo) return print_error(path + ": " + photo.message()), 1;
    totals.add(photo.value());
    const std::string stem = fs::path(path).stem().string();
    for (size_t c = 1; args.per_image && c < names.size(); ++c) {
      MetricsMean one;
      one.add(photo->metrics[c]);
      print_scores(stem.c_str(), names[c], one, -1);
    }
    if (!args.out_dir.empty()) {
      if (auto status = write_outputs(args.out_dir, names, stem, photo->outputs); !status) return print_error(status.message()), 1;
      photo->outputs.push_back(original);
      sheet_rows.push_back(std::move(photo->outputs));
    }
  }
  std::printf("\n%zu images from %s\n%-18s %8s %12s %8s %8s %10s\n", files->size(), args.data.c_str(), "model",
              "PSNR dB", "colourful.", "AuC", "chroma", "ms/image");
  for (size_t c = 0; c < names.size(); ++c) {
    print_scores(nullptr, names[c], totals.means[c], c == 0 ? -1 : totals.milliseconds[c] / std::max(totals.means[c].count, 1));
  }
  if (!args.out_dir.empty()) {
    const std::string sheet = (fs::path(args.out_dir) / "contact-sheet.png").string();
    if (auto status = write_image(sheet, contact_sheet(sheet_rows, 200)); !status) return print_error(status.message()), 1;
    std::printf("\ncolourised images and %s (columns: grey, %zu model(s), original)\n", sheet.c_str(), models.size());
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
  command->add_flag("--per-image", args->per_image, "Also print every image's scores");
  return {command, [args] { return run_eval(*args); }};
}

}  // namespace tint::cli
