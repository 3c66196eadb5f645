#include "metrics.h"

#include <cmath>
#include <vector>

#include "lab.h"

namespace tint {

double colorfulness(const Image& rgb8) {
  const size_t pixels = size_t(rgb8.width) * rgb8.height;
  double sum_rg = 0, sum_yb = 0, sum_rg2 = 0, sum_yb2 = 0;
  for (size_t p = 0; p < pixels; ++p) {
    const double r = rgb8.data[3 * p], g = rgb8.data[3 * p + 1], b = rgb8.data[3 * p + 2];
    const double rg = r - g, yb = 0.5 * (r + g) - b;
    sum_rg += rg, sum_yb += yb, sum_rg2 += rg * rg, sum_yb2 += yb * yb;
  }
  if (pixels == 0) return 0;
  const double mean_rg = sum_rg / pixels, mean_yb = sum_yb / pixels;
  const double var_rg = std::max(0.0, sum_rg2 / pixels - mean_rg * mean_rg);
  const double var_yb = std::max(0.0, sum_yb2 / pixels - mean_yb * mean_yb);
  return std::sqrt(var_rg + var_yb) + 0.3 * std::sqrt(mean_rg * mean_rg + mean_yb * mean_yb);
}

bool compare_colors(const Image& output, const Image& original, ColorMetrics& m) {
  if (output.width != original.width || output.height != original.height || output.channels != 3 ||
      original.channels != 3 || output.bits != 8 || original.bits != 8) {
    return false;
  }
  const size_t pixels = size_t(output.width) * output.height;
  double squared = 0, chroma_out = 0, chroma_ref = 0;
  std::vector<uint32_t> error_histogram(152, 0);  // ab error rounded up to whole units; 151 = beyond 150
  for (size_t p = 0; p < pixels; ++p) {
    const uint8_t* o = &output.data[3 * p];
    const uint8_t* r = &original.data[3 * p];
    for (int k = 0; k < 3; ++k) squared += double(int(o[k]) - int(r[k])) * double(int(o[k]) - int(r[k]));
    const Lab lo = srgb_to_lab(o[0] / 255.0f, o[1] / 255.0f, o[2] / 255.0f);
    const Lab lr = srgb_to_lab(r[0] / 255.0f, r[1] / 255.0f, r[2] / 255.0f);
    chroma_out += std::hypot(lo.a, lo.b);
    chroma_ref += std::hypot(lr.a, lr.b);
    const double error = std::hypot(double(lo.a) - lr.a, double(lo.b) - lr.b);
    // error <= t for every integer t >= ceil(error): count it from bucket ceil(error) on.
    error_histogram[std::min<size_t>(151, size_t(std::ceil(error)))]++;
  }
  const double mse = squared / (3.0 * pixels);
  m.psnr = std::min(max_psnr, 10.0 * std::log10(255.0 * 255.0 / std::max(mse, 255.0 * 255.0 * 1e-10)));
  m.colorfulness = colorfulness(output);
  m.reference_colorfulness = colorfulness(original);
  m.colorfulness_ratio = m.reference_colorfulness > 0 ? m.colorfulness / m.reference_colorfulness : NAN;
  // An sRGB grey has |ab| ~0.003 (the white point and the matrix differ in the 5th digit):
  // below 0.01 on average the original has no colour to compare with.
  m.chroma_ratio = chroma_ref > 1e-2 * double(pixels) ? chroma_out / chroma_ref : NAN;
  // AuC (Zhang et al. 2016): the share of pixels within t, averaged over t = 0, 1, ..., 150.
  double within = 0, area = 0;
  for (int t = 0; t <= 150; ++t) {
    within += error_histogram[t];
    area += within / pixels;
  }
  m.auc = area / 151.0;
  return true;
}

void MetricsMean::add(const ColorMetrics& m) {
  psnr_sum += m.psnr, auc_sum += m.auc, ++count;
  if (!std::isnan(m.colorfulness_ratio)) colorfulness_sum += m.colorfulness_ratio, ++colorfulness_count;
  if (!std::isnan(m.chroma_ratio)) chroma_sum += m.chroma_ratio, ++chroma_count;
}
double MetricsMean::psnr() const { return count ? psnr_sum / count : NAN; }
double MetricsMean::colorfulness_ratio() const { return colorfulness_count ? colorfulness_sum / colorfulness_count : NAN; }
double MetricsMean::auc() const { return count ? auc_sum / count : NAN; }
double MetricsMean::chroma_ratio() const { return chroma_count ? chroma_sum / chroma_count : NAN; }

Image grey_version(const Image& rgb8) {
  Image grey(rgb8.width, rgb8.height, 3, 8);
  const size_t pixels = size_t(rgb8.width) * rgb8.height;
  for (size_t p = 0; p < pixels; ++p) {
    const float l = srgb_to_lightness(rgb8.data[3 * p] / 255.0f, rgb8.data[3 * p + 1] / 255.0f,
                                      rgb8.data[3 * p + 2] / 255.0f);
    float r, g, b;
    lab_to_srgb({l, 0.0f, 0.0f}, r, g, b);
    const uint8_t v = uint8_t(std::lround(std::fmin(std::fmax(r, 0.0f), 1.0f) * 255.0f));
    (void)g, (void)b;  // a = b = 0: the three channels are equal
    grey.data[3 * p] = grey.data[3 * p + 1] = grey.data[3 * p + 2] = v;
  }
  return grey;
}

}  // namespace tint
