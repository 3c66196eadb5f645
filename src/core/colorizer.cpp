#include "colorizer.h"

#include <algorithm>
#include <cmath>

#include "ab_bins.h"
#include "lab.h"
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
  const Model& m = colorizer->model_;
  for (size_t i = 0; i < m.architecture.layers.size() && colorizer->distribution_layer_ < 0; ++i) {
    if (m.architecture.layers[i].op == "softmax" && m.shapes[i].out_channels == AbBins::gamut().count()) {
      colorizer->distribution_layer_ = int(i);
      colorizer->graph_->keep(i);
    }
  }
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
  options.hint_reach = options_.hint_reach;
  options.match_hints = options_.match_hints;
  options.distribution_layer = distribution_layer_;
  options.automatic = &automatic_;
  return tint::colorize(input, *graph_, options, output);
}

}  // namespace tint

namespace tint {

Result<std::vector<ColorSuggestion>> Colorizer::suggest(const ImageView& input, int x, int y, int k,
                                                      const std::vector<ColorHint>& hints) {
  if (distribution_layer_ < 0) {
    return Status::error("model " + model_.architecture.name + " has no colour distribution to suggest from");
  }
  ColorizeOptions options;
  options.working_size = options_.working_size;
  options.max_pixels = options_.max_pixels;
  options.hints = hints;
  auto network_in = working_input(input, model_.architecture, options, graph_->backend());
  if (!network_in) return network_in.status();
  if (x < 0 || y < 0 || x >= input.width || y >= input.height) {
    return Status::error("pixel " + std::to_string(x) + "," + std::to_string(y) + " is outside the " +
                         std::to_string(input.width) + "x" + std::to_string(input.height) + " image");
  }
  if (k < 1 || k > 64) return Status::error("asked for " + std::to_string(k) + " colours, expected 1 to 64");
  TINT_RETURN_IF_ERROR(graph_->forward(network_in->tensor));
  const Tensor& p = graph_->activation(size_t(distribution_layer_));
  const int shift = model_.shapes[size_t(distribution_layer_)].depth;
  const int px = std::min(int((x + 0.5) * network_in->width / input.width) >> shift, p.shape.w - 1);
  const int py = std::min(int((y + 0.5) * network_in->height / input.height) >> shift, p.shape.h - 1);
  const AbBins& bins = AbBins::gamut();
  std::vector<int> order(size_t(bins.count()));
  for (int i = 0; i < bins.count(); ++i) order[size_t(i)] = i;
  std::sort(order.begin(), order.end(), [&](int i, int j) { return p.at(0, py, px, i) > p.at(0, py, px, j); });
  const size_t at = (size_t(y) * input.width + x) * size_t(input.channels);
  float l;
  if (input.channels <= 2) {
    const float v = float(input.sample(at)) / float(input.max_value());
    l = srgb_to_lightness(v, v, v);
  } else {
    const float scale = 1.0f / float(input.max_value());
    l = srgb_to_lightness(input.sample(at) * scale, input.sample(at + 1) * scale, input.sample(at + 2) * scale);
  }
  std::vector<ColorSuggestion> suggestions;
  for (int bin : order) {
    if (int(suggestions.size()) == k) break;
    const bool near = std::any_of(suggestions.begin(), suggestions.end(), [&](const ColorSuggestion& s) {
      return std::hypot(s.a - bins.a(bin), s.b - bins.b(bin)) < 1.5f * AbBins::kGrid;
    });
    if (near) continue;
    ColorSuggestion suggestion;
    suggestion.a = bins.a(bin);
    suggestion.b = bins.b(bin);
    suggestion.probability = p.at(0, py, px, bin);
    lab_to_srgb8_in_gamut(l, suggestion.a, suggestion.b, suggestion.rgb);
    suggestions.push_back(suggestion);
  }
  return suggestions;
}

}  // namespace tint
