// Colourisation quality, with the definitions of docs/design.md, "Metrics", on 8-bit sRGB RGB images
// of equal size: the colourised output against the original photo.
#pragma once

#include "image.h"

namespace tint {

struct ColorMetrics {
  double psnr = 0;                  // dB over 8-bit RGB; identical images score max_psnr
  double colorfulness = 0;          // Hasler & Suesstrunk (2003) M of the output
  double reference_colorfulness = 0;// ... of the original
  double colorfulness_ratio = 0;    // output / original; NaN when the original has none
  double auc = 0;                   // mean over t = 0..150 of the share of pixels with ab error <= t
  double chroma_ratio = 0;          // mean |ab| of the output / of the original; NaN when 0
};

// PSNR is capped here (MSE below 255^2 * 1e-10) so identical images give a finite, maximal score.
constexpr double max_psnr = 100.0;

// M = sqrt(var(rg) + var(yb)) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2), rg = R - G,
// yb = (R + G) / 2 - B, on 0..255 values.
double colorfulness(const Image& rgb8);

// Means over a set of images, as `tint eval` and training's validation report them: ratios whose
// reference has no colour (NaN) are left out of their mean.
struct MetricsMean {
  double psnr_sum = 0, colorfulness_sum = 0, auc_sum = 0, chroma_sum = 0;
  int count = 0, colorfulness_count = 0, chroma_count = 0;
  void add(const ColorMetrics& m);
  double psnr() const;
  double colorfulness_ratio() const;
  double auc() const;
  double chroma_ratio() const;
};

// Both images 8-bit, 3 channels, same size (checked: returns an error via ok = false).
bool compare_colors(const Image& output, const Image& original, ColorMetrics& metrics);

// The same image with a = b = 0 (its own L kept): the "grey" baseline every model must beat.
Image grey_version(const Image& rgb8);

}  // namespace tint
