// The quantised ab plane of a classification head (Zhang et al. 2016, "Colorful Image
// Colorization"): bin centres on a 10-unit grid of (a, b) whose colour lies inside the sRGB gamut
// at some lightness, soft encoding of a colour over its nearest bins, the class-rebalancing
// weights from a training set's colour prior, and the annealed mean that decodes a distribution.
#pragma once

#include <cstdint>
#include <vector>

#include "image.h"

namespace tint {

class AbBins {
 public:
  static constexpr float kGrid = 10.0f;
  // The gamut bins (computed once, the same on every platform).
  static const AbBins& gamut();

  int count() const { return int(a_.size()); }
  float a(int k) const { return a_[size_t(k)]; }
  float b(int k) const { return b_[size_t(k)]; }
  // Up to `k` bins nearest to (a, b), nearest first; returns how many (>= 1).
  int nearest(float a, float b, int k, int* bins) const;
  // Soft encoding: the 5 nearest bins, weighted by a Gaussian of their distance (sigma in ab
  // units), normalised to 1. Returns the count written (<= 5).
  int soft_encode(float a, float b, float sigma, int* bins, float* weights) const;

 private:
  AbBins();
  std::vector<float> a_, b_;
  std::vector<int> cell_;  // grid cell (i, j) -> bin index or -1, i, j in [0, kCells)
  static constexpr int kCells = 25;   // a, b in [-120, 120]
  static constexpr int kOffset = 12;  // cell of a = 0
};

// The training set's colour prior in two halves, so that photos spread over threads and ranks can
// be counted apart: add_ab_counts adds a photo's (8-bit RGB) pixels per bin, every `stride`-th
// pixel of every `stride`-th row (whole numbers, so parts added in any order give the same bits);
// ab_prior_from_counts turns counts into frequencies that sum to 1.
void add_ab_counts(const Image& photo, const AbBins& bins, std::vector<double>& counts, int stride = 4);
std::vector<double> ab_prior_from_counts(std::vector<double> counts);

// Class-rebalancing weights w = 1 / ((1 - lambda) p~ + lambda / Q), p~ the prior smoothed with a
// Gaussian (sigma in ab units) over the plane, normalised so that the prior's expectation of w is 1.
std::vector<float> rebalancing_weights(const std::vector<double>& prior, const AbBins& bins, float lambda,
                                       float sigma = 5.0f);

}  // namespace tint
