// tint::Colorizer: the one entry point for colourising. It owns the model, the compute backend
// and the inference graph, so callers (the CLI, the WASM binding, eval, training's validation,
// the fuzz targets, the tests) keep nothing else alive.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "colorize.h"
#include "graph.h"
#include "image.h"
#include "model.h"
#include "ops.h"

namespace tint {

struct ColorizerOptions {
  std::string backend;  // "xnnpack" or "simd"; "" = default_backend_name()
  int threads = 1;
  int working_size = 0;  // long side the network sees; 0 = the model's
  uint64_t max_pixels = default_max_pixels;
  float hint_reach = 0;  // ColorizeOptions::hint_reach: 0, hints reach as far as the network spreads them
  bool match_hints = true;  // ColorizeOptions::match_hints
};

// One of the colours a model finds likely at a pixel.
struct ColorSuggestion {
  float a = 0, b = 0;       // Lab, the bin's centre
  float probability = 0;    // the bin's share of the pixel's distribution
  uint8_t rgb[3] = {0, 0, 0};  // the colour at the pixel's own lightness (gamut-mapped), 8-bit sRGB
};

class Colorizer {
 public:
  // From the bytes of a weights file (`source` names it in errors); the bytes are not kept.
  static Result<std::unique_ptr<Colorizer>> create(const uint8_t* weights, size_t size, const std::string& source,
                                                   const ColorizerOptions& options = {});
  static Result<std::unique_ptr<Colorizer>> create(Model model, const ColorizerOptions& options = {});

  // A new image: RGB for grey/RGB input, RGBA for inputs with alpha, at the input's bit depth.
  // `hints`: colour hints for models that take them (hints.h), else an error when given.
  Result<Image> colorize(const ImageView& input, const std::vector<ColorHint>& hints = {});
  // Into a caller's buffer of colorized_bytes(input) bytes; it may be input.data itself when
  // the input has 3 or 4 channels (in place).
  Status colorize_into(const ImageView& input, uint8_t* output, const std::vector<ColorHint>& hints = {});
  bool takes_hints() const { return tint::takes_hints(model_.architecture); }
  // The k likeliest colours at pixel (x, y) of `input` (given these hints), most likely first;
  // neighbouring bins of a chosen one are skipped so the list offers distinct colours. Needs a
  // model with a distribution over the ab bins (a softmax layer as wide as AbBins::gamut()).
  Result<std::vector<ColorSuggestion>> suggest(const ImageView& input, int x, int y, int k,
                                               const std::vector<ColorHint>& hints = {});
  bool can_suggest() const { return distribution_layer_ >= 0; }

  const Model& model() const { return model_; }
  const std::map<std::string, std::string>& metadata() const { return model_.metadata; }
  const ColorizerOptions& options() const { return options_; }
  Graph& graph() { return *graph_; }
  Backend& backend() { return *backend_; }

 private:
  Colorizer() = default;
  Model model_;
  ColorizerOptions options_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Graph> graph_;  // declared last: destroyed before the backend and model it uses
  int distribution_layer_ = -1;   // the softmax over ab bins, or -1
  AutomaticColours automatic_;    // the hint-free outputs a hint reach blends with
};

}  // namespace tint
