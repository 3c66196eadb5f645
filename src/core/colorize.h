// The end-to-end call (DESIGN.md, "The colourise call"): RGBA/grey pixels in, the same size out,
// with the original lightness kept and the colour (ab) predicted by the network.
#pragma once

#include <cstdint>

#include "image.h"
#include "network.h"
#include "status.h"

namespace tint {

struct ColorizeOptions {
  int working_size = 0;  // long side the network sees; 0 = the model's own
  uint64_t max_pixels = default_max_pixels;
};

// Output: RGB for grey/RGB input, RGBA for inputs with alpha (alpha copied), input's bit depth.
// Colour inputs are treated as their L only. Out-of-gamut predictions are pulled towards grey at
// constant L, so the output's lightness is the input's up to rounding.
Result<Image> colorize(const Image& input, Network& network, const ColorizeOptions& options = {});

// The pieces, exposed for tests and `tint eval`:
// Working size (width, height) for an image and a long side, before padding.
void working_dimensions(int width, int height, int long_side, int& work_width, int& work_height);
// L (0..100) of every pixel, row-major (width*height floats).
std::vector<float> lightness_plane(const Image& image);

}  // namespace tint
