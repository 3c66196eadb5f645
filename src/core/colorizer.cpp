#include "colorizer.h"

#include "weights.h"

namespace tint {

Result<std::unique_ptr<Colorizer>> Colorizer::create(const uint8_t* weights, size_t size, const std::string& source,
                                                     const ColorizerOptions& options) {
  auto model = load_model(weights, size, source);
  if (!model) return model.status();
  return create(std::move(model.value()), options);
}

Result<std::unique_ptr<Colorizer>> Colorizer::create(Model model, const ColorizerOptions& options) {
  std::unique_ptr<Colorizer> colorizer(new Colorizer());
  colorizer->model_ = std::move(model);
  colorizer->options_ = options;
  if (colorizer->options_.backend.empty()) colorizer->options_.backend = default_backend_name();
  auto backend = make_backend(colorizer->options_.backend, options.threads);
  if (!backend) return backend.status();
  colorizer->backend_ = std::move(backend.value());
  auto graph = Graph::create(colorizer->model_, *colorizer->backend_, Graph::Mode::inference);
  if (!graph) return graph.status();
  colorizer->graph_ = std::move(graph.value());
  return colorizer;
}

Result<Image> Colorizer::colorize(const ImageView& input, const std::vector<ColorHint>& hints) {
  // Refused before allocating the output.
  TINT_RETURN_IF_ERROR(check_colorize_input(input, options_.max_pixels));
  TINT_RETURN_IF_ERROR(check_hints(hints, model_.architecture, input.width, input.height));
  Image output(input.width, input.height, input.has_alpha() ? 4 : 3, input.bits);
  TINT_RETURN_IF_ERROR(colorize_into(input, output.data.data(), hints));
  return output;
}

Status Colorizer::colorize_into(const ImageView& input, uint8_t* output, const std::vector<ColorHint>& hints) {
  ColorizeOptions options;
  options.working_size = options_.working_size;
  options.max_pixels = options_.max_pixels;
  options.hints = hints;
  return tint::colorize(input, *graph_, options, output);
}

}  // namespace tint
