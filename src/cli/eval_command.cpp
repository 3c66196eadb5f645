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
#include "metrics.h"

namespace tint::cli {

namespace fs = std::filesystem;

namespace {

struct EvalArguments {
  std::vector<std::string> models;
  std::string data = "data/eval", out_dir;
  ComputeArguments compute;
  bool per_image = false;
};

struct Scores {
  std::string name;
  MetricsMean mean;
  double milliseconds = 0;
  void add(const ColorMetrics& m, double ms) { mean.add(m), milliseconds += ms; }
  void print(bool timed) const {
    std::printf("%-18s %8.2f %12.3f %8.4f %8.3f", name.c_str(), mean.psnr(), mean.colorfulness_ratio(), mean.auc(),
                mean.chroma_ratio());
    if (timed) std::printf(" %10.0f", milliseconds / std::max(mean.count, 1));
    std::printf("\n");
  }
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

// Thumbnails of every column of a row, side by side; rows stacked: grey, models..., original.
Image contact_sheet(const std::vector<std::vector<Image>>& rows, int cell) {
  const int gap = 4, columns = rows.empty() ? 0 : int(rows[0].size());
  Image sheet(gap + columns * (cell + gap), gap + int(rows.size()) * (cell + gap), 3);
  std::fill(sheet.data.begin(), sheet.data.end(), uint8_t(255));
  for (size_t r = 0; r < rows.size(); ++r) {
    for (int c = 0; c < columns; ++c) {
      const Image thumb = cap_long_side(rows[r][c], cell);
      const int x0 = gap + c * (cell + gap) + (cell - thumb.width) / 2;
      const int y0 = gap + int(r) * (cell + gap) + (cell - thumb.height) / 2;
      for (int y = 0; y < thumb.height; ++y)
        std::copy_n(&thumb.data[size_t(y) * thumb.width * 3], size_t(thumb.width) * 3,
                    &sheet.data[(size_t(y0 + y) * sheet.width + x0) * 3]);
    }
  }
  return sheet;
}

int run_eval(const EvalArguments& args) {
  const std::vector<std::string> models = args.models.empty() ? default_models() : args.models;
  if (models.empty()) {
    print_error("eval: no --model given and no shipped models in weights/");
    return 2;
  }
  auto files = list_images({args.data});
  if (!files) return print_error(files.message()), 1;
  std::vector<std::unique_ptr<Colorizer>> colorizers;
  std::vector<Scores> scores(models.size() + 1);
  scores[0].name = "grey (a = b = 0)";
  for (size_t i = 0; i < models.size(); ++i) {
    auto model = load_model_file(models[i]);
    if (!model) return print_error(model.message()), 1;
    auto colorizer = make_colorizer(std::move(model.value()), args.compute);
    if (!colorizer) return print_error(colorizer.message()), 1;
    colorizers.push_back(std::move(colorizer.value()));
    scores[i + 1].name = fs::path(models[i]).stem().string();
  }
  // runs/a/best and runs/b/best: name such models by their folder too.
  for (size_t i = 1; i < scores.size(); ++i) {
    for (size_t j = 1; j < scores.size(); ++j) {
      if (i != j && fs::path(models[i - 1]).stem() == fs::path(models[j - 1]).stem()) {
        scores[i].name = fs::path(models[i - 1]).parent_path().filename().string() + "-" +
                         fs::path(models[i - 1]).stem().string();
      }
    }
  }
  if (!args.out_dir.empty()) {
    std::error_code error;
    for (const auto& s : scores) fs::create_directories(fs::path(args.out_dir) / s.name.substr(0, s.name.find(' ')), error);
  }
  std::vector<std::vector<Image>> sheet_rows;
  if (args.per_image) std::printf("%-28s %-18s %8s %12s %8s %8s\n", "image", "model", "PSNR", "colourful", "AuC", "chroma");
  for (const auto& path : files.value()) {
    auto decoded = read_image(path);
    if (!decoded) return print_error(decoded.message()), 1;
    const Image original = cap_long_side(decoded.value(), 0);  // 8-bit RGB, full size
    const std::string stem = fs::path(path).stem().string();
    std::vector<Image> row{grey_version(original)};
    for (size_t i = 0; i < colorizers.size(); ++i) {
      const auto start = std::chrono::steady_clock::now();
      auto result = colorizers[i]->colorize(original.view());  // the model sees L only
      if (!result) return print_error(path + ": " + result.message()), 1;
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      ColorMetrics m;
      compare_colors(result.value(), original, m);
      scores[i + 1].add(m, ms);
      if (args.per_image) {
        std::printf("%-28s %-18s %8.2f %12.3f %8.4f %8.3f\n", stem.c_str(), scores[i + 1].name.c_str(), m.psnr,
                    m.colorfulness_ratio, m.auc, m.chroma_ratio);
      }
      row.push_back(std::move(result.value()));
    }
    ColorMetrics grey;
    compare_colors(row[0], original, grey);
    scores[0].add(grey, 0);
    row.push_back(original);
    if (!args.out_dir.empty()) {
      for (size_t c = 0; c + 1 < row.size(); ++c) {
        const std::string folder = scores[c].name.substr(0, scores[c].name.find(' '));
        if (auto status = write_image((fs::path(args.out_dir) / folder / (stem + ".png")).string(), row[c]); !status) {
          return print_error(status.message()), 1;
        }
      }
      sheet_rows.push_back(std::move(row));
    }
  }
  std::printf("\n%zu images from %s\n%-18s %8s %12s %8s %8s %10s\n", files->size(), args.data.c_str(), "model",
              "PSNR dB", "colourful.", "AuC", "chroma", "ms/image");
  for (size_t i = 0; i < scores.size(); ++i) scores[i].print(i > 0);
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
