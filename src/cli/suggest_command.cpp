// tint suggest IMAGE X,Y [--top K]: the colours the model finds likely at one pixel, most likely
// first, one a line: "#rrggbb  a  b  probability" (the colour at that pixel's own lightness).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "commands.h"
#include "common.h"
#include "hints.h"
#include "image_io.h"

namespace tint::cli {

namespace {

struct SuggestArguments {
  std::string image, point, model;
  std::vector<std::string> hints;  // "X,Y,#rrggbb"
  ComputeArguments compute;
  int top = 5;
};

int run_suggest(const SuggestArguments& args) {
  auto point = parse_hint(args.point + ",#000000");  // X,Y with the hint syntax's checks
  if (!point) return print_error("suggest: \"" + args.point + "\" is not X,Y (whole pixels from the top left)"), 2;
  auto hints = read_hints(args.hints, "");
  if (!hints) return print_error("suggest: " + hints.message()), 2;
  auto model = load_model_file(args.model);
  if (!model) return print_error(model.message()), 1;
  auto colorizer = make_colorizer(std::move(model.value()), args.compute);
  if (!colorizer) return print_error(colorizer.message()), 1;
  auto image = read_image(args.image);
  if (!image) return print_error(image.message()), 1;
  auto colours = colorizer.value()->suggest(image->view(), point->x, point->y, args.top, hints.value());
  if (!colours) return print_error(args.image + ": " + colours.message()), 1;
  for (const ColorSuggestion& colour : colours.value()) {
    std::printf("#%02x%02x%02x  %6.1f %6.1f  %.3f\n", colour.rgb[0], colour.rgb[1], colour.rgb[2], double(colour.a),
                double(colour.b), double(colour.probability));
  }
  return 0;
}

}  // namespace

Command add_suggest_command(CLI::App& app) {
  auto args = std::make_shared<SuggestArguments>();
  CLI::App* command = app.add_subcommand("suggest", "Print the colours the model finds likely at a pixel");
  command->add_option("image", args->image, "Photo (JPEG, PNG, WebP, GIF, BMP, TGA)")->required();
  command->add_option("point", args->point, "X,Y: the pixel, from the top left of the photo as displayed")->required();
  command->add_option("--top", args->top, "How many colours")->check(CLI::Range(1, 64))->capture_default_str();
  command->add_option("--model", args->model, "Weights file (default: the shipped model)");
  command->add_option("--hint", args->hints, "Colour hint X,Y,#rrggbb already placed (repeatable)");
  add_compute_options(command, args->compute, "Long side the network sees (default: the model's)");
  return {command, [args] { return run_suggest(*args); }};
}

}  // namespace tint::cli
