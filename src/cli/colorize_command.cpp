// tint colorize IN... (-o OUT | --out-dir DIR): one model load, then each input decoded,
// colourised and written atomically. A bad input is reported and skipped; the rest go on.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "commands.h"
#include "common.h"
#include "image_io.h"

namespace tint::cli {

namespace fs = std::filesystem;

namespace {

struct ColorizeArguments {
  std::vector<std::string> inputs;
  std::string output, out_dir, model;
  ComputeArguments compute;
  int quality = 92;
  std::vector<std::string> hints;  // "X,Y,#rrggbb"
  std::string hints_file;          // JSON list
  double max_megapixels = default_max_pixels / 1e6;
};

Status colorize_file(const std::string& input, const std::string& output, Colorizer& colorizer,
                     const DecodeOptions& decode, int quality, const std::vector<ColorHint>& hints) {
  auto image = read_image(input, decode);  // its messages name the file, as displayed (EXIF applied)
  if (!image) return image.status();
  auto result = colorizer.colorize(image->view(), hints);
  if (!result) return Status::error(input + ": " + result.message());
  return write_image(output, result.value(), quality);  // names the output on failure
}

int run_colorize(const ColorizeArguments& args) {
  if (args.output.empty() == args.out_dir.empty()) {
    print_error("colorize: give exactly one of -o OUT and --out-dir DIR");
    return 2;
  }
  if (!args.output.empty() && args.inputs.size() != 1) {
    print_error("colorize: -o takes one input; use --out-dir DIR for " + std::to_string(args.inputs.size()) + " inputs");
    return 2;
  }
  // Decide every output path up front, so a bad extension or a name clash fails before any work.
  std::vector<std::string> outputs;
  std::map<std::string, std::string> claimed;
  for (const auto& input : args.inputs) {
    const std::string output = args.output.empty()
                                   ? (fs::path(args.out_dir) / fs::path(input).stem()).string() + ".png"
                                   : args.output;
    if (auto format = format_for_path(output); !format) {
      print_error("colorize: " + format.message());
      return 2;
    }
    if (auto [it, inserted] = claimed.emplace(output, input); !inserted) {
      print_error("colorize: " + it->second + " and " + input + " would both write " + output);
      return 2;
    }
    outputs.push_back(output);
  }
  if (!args.out_dir.empty()) {
    std::error_code error;
    fs::create_directories(args.out_dir, error);
    if (error || !fs::is_directory(args.out_dir)) {
      print_error("colorize: cannot create output folder " + args.out_dir + (error ? ": " + error.message() : ""));
      return 1;
    }
  }

  auto hints = read_hints(args.hints, args.hints_file);
  if (!hints) return print_error("colorize: " + hints.message()), 2;
  auto model = load_model_file(args.model);
  if (!model) return print_error(model.message()), 1;
  DecodeOptions decode;
  decode.max_pixels = uint64_t(args.max_megapixels * 1e6);
  auto colorizer = make_colorizer(std::move(model.value()), args.compute, decode.max_pixels);
  if (!colorizer) return print_error(colorizer.message()), 1;
  if (!hints->empty() && !colorizer.value()->takes_hints()) {
    return print_error("colorize: model " + colorizer.value()->model().architecture.name + " takes no colour hints"), 1;
  }

  int failures = 0;
  const size_t count = args.inputs.size();
  for (size_t i = 0; i < count; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const Status status = colorize_file(args.inputs[i], outputs[i], *colorizer.value(), decode, args.quality, hints.value());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (status) {
      std::fprintf(stderr, "[%zu/%zu] %s -> %s (%.2f s)\n", i + 1, count, args.inputs[i].c_str(), outputs[i].c_str(), seconds);
    } else {
      ++failures;
      std::fprintf(stderr, "[%zu/%zu] ", i + 1, count);
      print_error(status.message());
    }
  }
  if (failures > 0) {
    std::fprintf(stderr, "tint: %d of %zu image(s) failed\n", failures, count);
    return 1;
  }
  return 0;
}

}  // namespace

Command add_colorize_command(CLI::App& app) {
  auto args = std::make_shared<ColorizeArguments>();
  CLI::App* command = app.add_subcommand("colorize", "Colourise photos (colour inputs are treated as greyscale)");
  command->add_option("inputs", args->inputs, "Input images (JPEG, PNG, WebP, GIF, BMP, TGA)")->required();
  command->add_option("-o,--output", args->output, "Output file for a single input (.png or .jpg)");
  command->add_option("--out-dir", args->out_dir, "Folder for the outputs, written as <name>.png");
  command->add_option("--model", args->model, "Weights file (default: the shipped model)");
  add_compute_options(command, args->compute, "Long side the network sees (default: the model's)");
  add_hint_reach_option(command, args->compute);
  command->add_option("--hint", args->hints, "Colour hint X,Y,#rrggbb: pixel from the top left of the photo as "
                     "displayed; the colour's a and b are used, its lightness ignored (repeatable; hint models only)");
  command->add_option("--hints", args->hints_file, "Hints file: [{\"x\": 10, \"y\": 20, \"color\": \"#a0c0ff\"}, ...]");
  command->add_option("--quality", args->quality, "JPEG quality")->check(CLI::Range(1, 100))->capture_default_str();
  command->add_option("--max-megapixels", args->max_megapixels, "Refuse larger images")
      ->check(CLI::Range(0.000001, 1000.0))
      ->capture_default_str();
  return {command, [args] { return run_colorize(*args); }};
}

}  // namespace tint::cli
