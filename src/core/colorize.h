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

// The network's automatic (hint-free) outputs for the last few photos seen, so that a hint reach
// (below) runs the network once per hint edit, not twice. Keyed by a hash of the working-size L.
struct AutomaticColours {
  static constexpr size_t kEntries = 4;
  struct Entry {
    uint64_t key = 0;
    Tensor ab;
  };
  std::vector<Entry> entries;  // least recently used first
};

struct ColorizeOptions {
  int working_size = 0;  // long side the network sees; 0 = the model's
  uint64_t max_pixels = default_max_pixels;
  std::vector<ColorHint> hints;  // for models that take hints (hints.h); at most kMaxHints
  // How far hints reach, as a share of the working size's long side; 0: as far as the network
  // spreads them (everywhere). Above 0 the network also colourises without the hints, and each
  // pixel takes the hinted colours with weight exp(-d^2 / 2 R^2), d its geodesic distance to the
  // nearest hint (a step costs 1 pixel plus kHintEdgeCost per unit of L crossed, so reach stops at
  // edges), R = hint_reach x the long side; the rest keeps the automatic colours.
  float hint_reach = 0;
  AutomaticColours* automatic = nullptr;  // optional cache for hint_reach (the Colorizer keeps one)
  // Match the hints (match_hints below): the hints reweight the network's distribution, and where
  // its colour at a hint still differs from the hint's, the difference is spread over the photo.
  // false: the network's colours as they are.
  bool match_hints = true;
  // The graph's softmax layer over the ab bins, kept after forward (Graph::keep; the Colorizer
  // keeps it): match_hints then reweights the network's distribution first. -1: none.
  int distribution_layer = -1;
};

// What crossing one unit of L (0..100) costs a hint's reach, in working-size pixels.
inline constexpr float kHintEdgeCost = 0.5f;

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
  // With hints: the L plane at working size (width x height, 0..100) and each hint's
  // working-size pixel (for match_hints and the hint reach); with a hint reach > 0 also the same
  // input without the hints.
  Tensor without_hints;
  std::vector<float> lightness;
  std::vector<std::pair<int, int>> hint_pixels;
};
// Each pixel's weight for the hinted colours (width x height, row-major): exp(-d^2 / 2 R^2) of
// its geodesic distance d to the nearest of `sources` over the L plane (see hint_reach).
std::vector<float> hint_reach_weights(const std::vector<float>& lightness, int width, int height,
                                      const std::vector<std::pair<int, int>>& sources, float reach);
// Geodesic distance of every pixel to the nearest of `sources` over the L plane: a step to a
// 4-neighbour costs `step` plus kHintEdgeCost per unit of L crossed (Dijkstra).
std::vector<float> geodesic_distance(const std::vector<float>& lightness, int width, int height,
                                     const std::vector<std::pair<int, int>>& sources, float step);
// Hint matching, in two steps; d is a geodesic distance to a hint in working-size pixels, measured
// on cells of kHintMatchCell working pixels (larger when the long side would have more than
// kHintMatchCells of them) over their mean L.
// 1. With the network's distribution over the ab bins (a bin head): every pixel's distribution is
//    multiplied by a Gaussian per hint around the hint's colour, sigma kHintPriorSigma (ab units)
//    widened by (1 + d / R)^(kHintMatchPower / 2), R = kHintPriorReach x the working size's long
//    side, and decoded again as the network decodes it (annealed mean at its temperature); the
//    change is added to ab. The Gaussians multiply into one around the hints' weighted mean
//    colour, sharper with more hints; it applies before the temperature, so at T its sigma is in
//    effect kHintPriorSigma x sqrt(T). Near a hint, the distribution keeps the colours close to
//    the hint's; far from every hint, the hints together still pull uncertain colours towards theirs.
// 2. Each hint's residual (its ab less the mean ab over its kHintPatch patch after step 1) is
//    spread over the photo: every cell gets the residuals averaged with weights (1 + d)^-kHintMatchPower,
//    bilinearly interpolated to pixels and added to ab (width x height of `ab`, / 128). The
//    colour at a hint becomes the hint's; far from all of them, the photo shifts by the
//    residuals' average, a colour cast the hints agree on.
// Both chosen on the validation photos (weights/MODEL_CARD.md, "Hint matching").
inline constexpr int kHintMatchCell = 4;
inline constexpr int kHintMatchCells = 96;
inline constexpr float kHintMatchPower = 2.0f;
inline constexpr float kHintPriorSigma = 15.0f;
inline constexpr float kHintPriorReach = 0.25f;
struct BinDistribution {
  const Tensor* probabilities = nullptr;  // (1, h, w, AbBins::gamut().count()), each pixel summing to 1
  float temperature = 1.0f;               // the network's annealed-mean temperature
};
void match_hints(Tensor& ab, int width, int height, const std::vector<float>& lightness,
                 const std::vector<std::pair<int, int>>& pixels, const std::vector<ColorHint>& hints,
                 const BinDistribution& distribution = {});
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
