// The colourise pipeline (docs/design.md, "The colourise call"): pixels in, the same size out,
// with the original lightness kept and the colour (ab) predicted by the network. Callers use
// tint::Colorizer (colorizer.h), which owns the model, backend and graph this runs on.
#pragma once

#include <cstdint>
#include <vector>

#include "graph.h"
#include "hints.h"
#include "image.h"
#include "status.h"

namespace tint {

struct ColorizeOptions {
  int working_size = 0;  // long side the network sees; 0 = the model's
  uint64_t max_pixels = default_max_pixels;
  std::vector<ColorHint> hints;  // for models that take hints (hints.h); at most kMaxHints
};

// A hint's patch in the network input: this many working-size pixels square.
inline constexpr int kHintPatch = 3;

// What colorize refuses before doing any work: no pixels, more than max_pixels, a buffer whose
// byte count does not match its size, channels and bit depth. Messages carry the values.
Status check_colorize_input(const ImageView& input, uint64_t max_pixels);
// Hints a model can use on an image: the model takes hints, at most kMaxHints, each inside the
// image; the message names the first bad one.
Status check_hints(const std::vector<ColorHint>& hints, const Architecture& architecture, int width, int height);
// Bytes of colorize's output for `input`: RGB (grey and RGB inputs) or RGBA (inputs with alpha),
// at the input's bit depth.
size_t colorized_bytes(const ImageView& input);

// The network's input for a photo: its L at the working size (long side options.working_size,
// else the architecture's; padded by edge replication to the stride multiple) and the hints, as
// the architecture declares its inputs. width x height is the working size before padding.
struct WorkingInput {
  Tensor tensor;
  int width = 0, height = 0;
};
// The full-resolution pass runs on the backend's threads (the graph's: natively XNNPACK's pool).
Result<WorkingInput> working_input(const ImageView& input, const Architecture& architecture, const ColorizeOptions& options,
                                   Backend& backend);

// Colourises `input` into `output` (colorized_bytes(input) bytes). Colour inputs are treated as
// their L only. Out-of-gamut predictions are pulled towards grey at constant L, so the output's
// lightness is the input's up to rounding. `output` may be input.data itself when the input
// has 3 or 4 channels: the photo is then colourised in place, with no second full-size buffer.
Status colorize(const ImageView& input, Graph& graph, const ColorizeOptions& options, uint8_t* output);

// The pieces, exposed for tests and `tint eval`:
// Working size (width, height) for an image and a long side, before padding.
void working_dimensions(int width, int height, int long_side, int& work_width, int& work_height);
// 8-bit sRGB of (L, a, b) with colorize's gamut mapping (chroma scaled down at constant L and hue).
void lab_to_srgb8_in_gamut(float l, float a, float b, uint8_t rgb[3]);
// The same mapping for n pixels to linear light (rgb[3 * i + k]; clamp, then encode), four at a
// time; each pixel's result equals the one-pixel mapping's bit for bit.
void lab_row_to_linear_in_gamut(const float* l, const float* a, const float* b, int n, float* rgb);
// L (0..100) of every pixel, row-major (width*height floats).
std::vector<float> lightness_plane(const Image& image);

}  // namespace tint
