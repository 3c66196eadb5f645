// Colour hints (Zhang et al. 2017, "Real-Time User-Guided Image Colorization with Learned Deep
// Priors"): a few points of the photo with a colour each. A network that declares the inputs
// "hint_ab" and "hint_mask" (model.h, network_inputs()) sees each hint as its ab / 128 over a small
// square patch of the working-size input, with the mask 1 there and 0 elsewhere. Training
// simulates hints from the true colours; `tint eval --hints N` simulates them from the original.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image.h"
#include "model.h"
#include "random.h"
#include "status.h"
#include "tensor.h"

namespace tint {

struct ColorHint {
  int x = 0, y = 0;      // pixel of the photo as displayed (after EXIF orientation)
  float a = 0, b = 0;    // the colour's Lab a and b (its lightness is ignored)
};

// The most hints one colourisation takes.
inline constexpr size_t kMaxHints = 1000;

// The network input for an architecture: `lightness` [n,h,w,1] (L / 100) in its channel,
// `hint_distance` 1 (no hint anywhere near), every other declared input zero (no hints).
Result<Tensor> network_input(const Architecture& architecture, const Tensor& lightness);
// First channel of a declared input, or -1 when the architecture does not declare it.
int input_channel(const Architecture& architecture, const std::string& name);
bool takes_hints(const Architecture& architecture);

// Marks a size x size patch (top-left x0, y0; clipped to the tensor) of sample n with ab / 128.
void place_hint(Tensor& input, const Architecture& architecture, int n, int x0, int y0, int size, float a128, float b128);

// For architectures that also declare "hint_fill": every pixel of sample n gets the hint colour
// (hint_ab) of its nearest hinted pixel (hint_mask), 0 where the sample has no hints. The dense
// form of the same hints, so the network starts from the nearest-hint fill and learns to follow
// the photo's edges. "hint_distance" (when declared) gets each pixel's distance to its nearest
// hinted pixel in units of kHintDistanceScale pixels, at most 1: what tells the network how far a
// hint's colour should reach (without it a lone hint's fill is that colour everywhere). Called
// after the sample's hints are placed.
inline constexpr float kHintDistanceScale = 64.0f;
void fill_hints(Tensor& input, const Architecture& architecture, int n);

// How training simulates hints from the true ab of a crop.
struct HintSimulation {
  double none_share = 0.5;       // share of samples with no hints (the automatic mode)
  double geometric_p = 0.125;    // otherwise 1 + Geometric(p) points, at most max_points
  int max_points = 32;
  int min_patch = 1, max_patch = 9;  // square patch side, uniform
  double centre_sigma = 0.25;    // location ~ Normal(centre, sigma x side), clamped inside
  bool uniform = false;          // instead: location uniform over the crop (as `eval --hints` places them)
  // Share of points whose region is recoloured first (simulate_hints_row with a target): the
  // point's region — the pixels connected to it whose lightness and colour are close to its own,
  // within a radius — gets another colour in the target, and the hint carries that colour. With
  // true colours only, one hint predicts the whole crop's colour (colours within a crop are alike),
  // so a lone hint floods the photo; a recoloured region teaches that a hint speaks for its region.
  double recolour_share = 0.0;
};
// Writes simulated hints into `input` (architecture's layout) from ab [n,h,w,2] (ab / 128): each
// point's colour is the mean true ab over its patch. Does nothing for architectures without hints.
void simulate_hints(Tensor& input, const Architecture& architecture, const Tensor& ab, Random& rng,
                    const HintSimulation& options = {});
// The same for batch row n alone (the trainer draws each row from its own stream, so a row's
// hints do not depend on which process of a data-parallel run builds it). With `recolour`
// (the row's training target, ab / 128, the same tensor as `ab` or a copy) and
// options.recolour_share > 0, some points' regions are recoloured in it first.
void simulate_hints_row(Tensor& input, const Architecture& architecture, const Tensor& ab, int n, Random& rng,
                        const HintSimulation& options = {}, Tensor* recolour = nullptr);
// A recoloured point's region (as y * width + x): the pixels 4-connected to (x, y) of sample n
// whose L (channel `channel` of `input`, L / 100) differs from the seed's by < 0.06 and whose ab
// (ab / 128) by < 0.1, within `radius` pixels of it.
std::vector<int> hint_region(const Tensor& input, int channel, const Tensor& ab, int n, int x, int y, int radius);

// "#rrggbb" (or "rrggbb", any case) -> the colour's Lab a and b. Errors quote the text.
Result<ColorHint> parse_hint_color(const std::string& text);
// "X,Y,#rrggbb" (the CLI's --hint).
Result<ColorHint> parse_hint(const std::string& text);
// [{"x": 10, "y": 20, "color": "#a0c0ff"}, ...] (a hints file; `source` names it in errors):
// integers x, y >= 0, at most kMaxHints entries, no other keys.
Result<std::vector<ColorHint>> parse_hints_json(const std::string& text, const std::string& source);

// `count` hints for evaluation: points uniform inside the photo (8-bit RGB), each with the mean
// colour of the 5x5 patch around it; the same for the same seed.
std::vector<ColorHint> sample_hints(const Image& rgb8, int count, uint64_t seed);

}  // namespace tint
