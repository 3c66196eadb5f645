#include "ab_bins.h"

#include <algorithm>
#include <cmath>

#include "lab.h"

namespace tint {

AbBins::AbBins() : cell_(size_t(kCells) * kCells, -1) {
  // A centre is in gamut when some lightness (0.5, 1.5, ..., 99.5) gives sRGB inside [0, 1].
  for (int i = 0; i < kCells; ++i) {
    for (int j = 0; j < kCells; ++j) {
      const float a = kGrid * float(i - kOffset), b = kGrid * float(j - kOffset);
      bool inside = false;
      for (int l = 0; l < 100 && !inside; ++l) {
        float r, g, bl;
        lab_to_linear({float(l) + 0.5f, a, b}, r, g, bl);
        inside = r >= 0 && g >= 0 && bl >= 0 && r <= 1 && g <= 1 && bl <= 1;
      }
      if (!inside) continue;
      cell_[size_t(i) * kCells + j] = int(a_.size());
      a_.push_back(a);
      b_.push_back(b);
    }
  }
}

const AbBins& AbBins::gamut() {
  static const AbBins bins;
  return bins;
}

int AbBins::nearest(float a, float b, int k, int* bins) const {
  // Search outward ring by ring over the grid until k bins are found and no closer one can be left.
  const int ci = std::clamp(int(std::lround(a / kGrid)) + kOffset, 0, kCells - 1);
  const int cj = std::clamp(int(std::lround(b / kGrid)) + kOffset, 0, kCells - 1);
  std::vector<std::pair<float, int>> found;
  for (int radius = 0; radius < kCells; ++radius) {
    for (int i = ci - radius; i <= ci + radius; ++i) {
      for (int j = cj - radius; j <= cj + radius; ++j) {
        if (std::max(std::abs(i - ci), std::abs(j - cj)) != radius || i < 0 || j < 0 || i >= kCells || j >= kCells) continue;
        const int bin = cell_[size_t(i) * kCells + j];
        if (bin < 0) continue;
        const float da = a_[size_t(bin)] - a, db = b_[size_t(bin)] - b;
        found.push_back({da * da + db * db, bin});
      }
    }
    // Every bin outside this ring is at least (radius + 1) grid cells from the centre cell, less
    // how far (a, b) lies from that cell's centre (more than half a cell when it was clamped).
    const float slack = std::max(std::fabs(a - kGrid * float(ci - kOffset)), std::fabs(b - kGrid * float(cj - kOffset)));
    const float reach = kGrid * float(radius + 1) - slack;
    if (int(found.size()) >= k &&
        std::count_if(found.begin(), found.end(), [&](const auto& f) { return f.first <= reach * reach; }) >= k) {
      break;
    }
  }
  std::sort(found.begin(), found.end());
  const int n = std::min(k, int(found.size()));
  for (int i = 0; i < n; ++i) bins[i] = found[size_t(i)].second;
  return n;
}

int AbBins::soft_encode(float a, float b, float sigma, int* bins, float* weights) const {
  const int n = nearest(a, b, 5, bins);
  float sum = 0;
  for (int i = 0; i < n; ++i) {
    const float da = a_[size_t(bins[i])] - a, db = b_[size_t(bins[i])] - b;
    weights[i] = std::exp(-(da * da + db * db) / (2 * sigma * sigma));
    sum += weights[i];
  }
  for (int i = 0; i < n; ++i) weights[i] = sum > 0 ? weights[i] / sum : (i == 0 ? 1.0f : 0.0f);
  return n;
}

void add_ab_counts(const Image& photo, const AbBins& bins, std::vector<double>& counts, int stride) {
  counts.resize(size_t(bins.count()), 0.0);
  for (int y = 0; y < photo.height; y += stride) {
    for (int x = 0; x < photo.width; x += stride) {
      const size_t i = (size_t(y) * photo.width + x) * 3;
      const Lab lab = srgb_to_lab(photo.data[i] / 255.0f, photo.data[i + 1] / 255.0f, photo.data[i + 2] / 255.0f);
      int bin = 0;
      bins.nearest(lab.a, lab.b, 1, &bin);
      counts[size_t(bin)] += 1;
    }
  }
}

std::vector<double> ab_prior_from_counts(std::vector<double> counts) {
  double total = 0;
  for (const double c : counts) total += c;
  for (double& c : counts) c = total > 0 ? c / total : 1.0 / double(counts.size());
  return counts;
}

std::vector<float> rebalancing_weights(const std::vector<double>& prior, const AbBins& bins, float lambda, float sigma) {
  const int q = bins.count();
  std::vector<double> smooth(size_t(q), 0.0);
  for (int k = 0; k < q; ++k) {
    double sum = 0, norm = 0;
    for (int m = 0; m < q; ++m) {
      const double da = bins.a(k) - bins.a(m), db = bins.b(k) - bins.b(m);
      const double w = std::exp(-(da * da + db * db) / (2.0 * sigma * sigma));
      sum += w * prior[size_t(m)];
      norm += w;
    }
    smooth[size_t(k)] = sum / norm;
  }
  double total = 0;
  for (double s : smooth) total += s;
  std::vector<double> weights(static_cast<size_t>(q));
  double expectation = 0;
  for (int k = 0; k < q; ++k) {
    weights[size_t(k)] = 1.0 / ((1.0 - lambda) * smooth[size_t(k)] / total + lambda / q);
    expectation += prior[size_t(k)] * weights[size_t(k)];
  }
  std::vector<float> result(static_cast<size_t>(q));
  for (int k = 0; k < q; ++k) result[size_t(k)] = float(weights[size_t(k)] / expectation);
  return result;
}

}  // namespace tint
