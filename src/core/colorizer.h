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
};

}  // namespace tint
