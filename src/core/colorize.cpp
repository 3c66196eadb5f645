#include "colorize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <queue>

#include "ab_bins.h"
#include "data.h"
#include "lab.h"
#include "model.h"

namespace tint {

namespace {

// sRGB sample value -> linear light, one entry per possible sample (256 or 65536).
std::vector<float> linear_table(int bits) {
  const int levels = 1 << bits;
  std::vector<float> table(levels);
  for (int v = 0; v < levels; ++v) table[v] = srgb_to_linear(float(v) / float(levels - 1));
  return table;
}

constexpr float luminance_r = 0.2126729f, luminance_g = 0.7151522f, luminance_b = 0.0721750f;

// L of row y into `out` (width floats).
void lightness_row(const ImageView& image, const std::vector<float>& to_linear, int y, float* out) {
  const int c = image.channels;
  const size_t base = size_t(y) * image.width * c;
  for (int x = 0; x < image.width; ++x) {
    const size_t i = base + size_t(x) * c;
    float luminance;
    if (c <= 2) {
      luminance = to_linear[image.sample(i)];
    } else {
      luminance = luminance_r * to_linear[image.sample(i)] + luminance_g * to_linear[image.sample(i + 1)] +
                  luminance_b * to_linear[image.sample(i + 2)];
    }
    out[x] = linear_luminance_to_lightness(luminance);
  }
}

// Area-weighted 1D resampling (box filter over each output cell's footprint): averages when
// shrinking, repeats (with blended cell edges) when enlarging. Reads src[i * src_stride].
void resample_area(const float* src, int src_count, int src_stride, float* dst, int dst_count, int dst_stride) {
  const double scale = double(src_count) / dst_count;
  for (int o = 0; o < dst_count; ++o) {
    const double begin = o * scale, end = (o + 1) * scale;
    double sum = 0.0;
    for (int i = int(begin); i < src_count && i < end; ++i) {
      const double overlap = std::min(end, double(i + 1)) - std::max(begin, double(i));
      sum += overlap * src[size_t(i) * src_stride];
    }
    dst[size_t(o) * dst_stride] = float(sum / (end - begin));
  }
}

// Half-pixel-centre bilinear sampling positions of `dst_count` outputs over `src_count` inputs.
struct Tap {
  int i0, i1;
  float w1;
};
// scale: how many source samples one destination sample spans (src_count / dst_count when
// the two cover the same extent).
std::vector<Tap> bilinear_taps(int src_count, int dst_count, float scale) {
  std::vector<Tap> taps(dst_count);
  for (int o = 0; o < dst_count; ++o) {
    const float position = std::clamp((o + 0.5f) * scale - 0.5f, 0.0f, float(src_count - 1));
    const int i0 = int(position);
    taps[o] = {i0, std::min(i0 + 1, src_count - 1), position - float(i0)};
  }
  return taps;
}

std::vector<Tap> bilinear_taps(int src_count, int dst_count) {
  return bilinear_taps(src_count, dst_count, float(src_count) / float(dst_count));
}

constexpr float kGamutSlack = 1e-5f;  // the white point and matrix agree to ~1e-5

bool in_unit_range(float r, float g, float b) {
  constexpr float slack = kGamutSlack;
  return r >= -slack && g >= -slack && b >= -slack && r <= 1 + slack && g <= 1 + slack && b <= 1 + slack;
}

constexpr int kGamutSteps = 12;  // bisection steps: the chroma scale to 1/4096

// Linear RGB for (l, a, b), scaling the chroma down (bisection) until it fits the sRGB gamut:
// hue and lightness are kept, only saturation gives way.
void lab_to_linear_in_gamut(float l, float a, float b, float& r, float& g, float& bl) {
  lab_to_linear({l, a, b}, r, g, bl);
  if (in_unit_range(r, g, bl)) return;
  float low = 0.0f, high = 1.0f;
  for (int step = 0; step < kGamutSteps; ++step) {
    const float middle = 0.5f * (low + high);
    lab_to_linear({l, a * middle, b * middle}, r, g, bl);
    (in_unit_range(r, g, bl) ? low : high) = middle;
  }
  lab_to_linear({l, a * low, b * low}, r, g, bl);
}

}  // namespace

// Four pixels at a time: the scalar steps, with the bisection's branches turned into lane selects,
// so that noisy photos (many out-of-gamut pixels) no longer pay a mispredicted branch per step.
void lab_row_to_linear_in_gamut(const float* l, const float* a, const float* b, int n, float* rgb) {
  auto load = [](const float* p) {
    Float4 v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  auto in_range = [](Float4 r, Float4 g, Float4 bl) -> Int4 {  // in_unit_range, lane by lane
    constexpr float slack = kGamutSlack;
    return (r >= -slack) & (g >= -slack) & (bl >= -slack) & (r <= 1 + slack) & (g <= 1 + slack) & (bl <= 1 + slack);
  };
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const Float4 l4 = load(l + i), a4 = load(a + i), b4 = load(b + i);
    Float4 r, g, bl;
    lab_to_linear4(l4, a4, b4, r, g, bl);
    const Int4 inside = in_range(r, g, bl);
    if (!(inside[0] & inside[1] & inside[2] & inside[3])) {
      Float4 low = {0, 0, 0, 0}, high = {1, 1, 1, 1}, mr, mg, mb;
      for (int step = 0; step < kGamutSteps; ++step) {
        const Float4 middle = 0.5f * (low + high);
        lab_to_linear4(l4, a4 * middle, b4 * middle, mr, mg, mb);
        const Int4 fits = in_range(mr, mg, mb);
        low = select4(fits, middle, low);
        high = select4(fits, high, middle);
      }
      lab_to_linear4(l4, a4 * low, b4 * low, mr, mg, mb);
      r = select4(inside, r, mr), g = select4(inside, g, mg), bl = select4(inside, bl, mb);
    }
    for (int k = 0; k < 4; ++k) rgb[3 * (i + k)] = r[k], rgb[3 * (i + k) + 1] = g[k], rgb[3 * (i + k) + 2] = bl[k];
  }
  for (; i < n; ++i) lab_to_linear_in_gamut(l[i], a[i], b[i], rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
}

void lab_to_srgb8_in_gamut(float l, float a, float b, uint8_t rgb[3]) {
  float linear[3];
  lab_to_linear_in_gamut(l, a, b, linear[0], linear[1], linear[2]);
  for (int k = 0; k < 3; ++k) rgb[k] = linear_to_srgb8(std::clamp(linear[k], 0.0f, 1.0f));
}

void working_dimensions(int width, int height, int long_side, int& work_width, int& work_height) {
  const double scale = double(long_side) / std::max(width, height);
  work_width = std::max(1, int(std::lround(width * scale)));
  work_height = std::max(1, int(std::lround(height * scale)));
}

std::vector<float> lightness_plane(const Image& image) {
  const auto to_linear = linear_table(image.bits);
  std::vector<float> plane(size_t(image.width) * image.height);
  for (int y = 0; y < image.height; ++y) lightness_row(image.view(), to_linear, y, plane.data() + size_t(y) * image.width);
  return plane;
}

Status check_colorize_input(const ImageView& input, uint64_t max_pixels) {
  if (input.width <= 0 || input.height <= 0) return Status::error("image has no pixels");
  if (uint64_t(input.width) * uint64_t(input.height) > max_pixels) {
    return Status::error("image is " + std::to_string(input.width) + "x" + std::to_string(input.height) +
                         ", above the limit of " + std::to_string(max_pixels / 1000000) + " MP");
  }
  if (!input.valid()) {
    return Status::error("image buffer holds " + std::to_string(input.bytes) + " bytes, expected " +
                         std::to_string(input.width) + "x" + std::to_string(input.height) + "x" +
                         std::to_string(input.channels) + " channel(s) x " + std::to_string(input.bits / 8) +
                         " byte(s) (1-4 channels of 8 or 16 bits)");
  }
  return Status::ok();
}

size_t colorized_bytes(const ImageView& input) {
  return size_t(input.width) * size_t(input.height) * (input.has_alpha() ? 4 : 3) * size_t(input.bits / 8);
}

Status check_hints(const std::vector<ColorHint>& hints, const Architecture& architecture, int width, int height) {
  if (hints.empty()) return Status::ok();
  if (!takes_hints(architecture)) {
    return Status::error("model " + architecture.name + " takes no colour hints (its inputs are " +
                         std::to_string(architecture.input_channels) + " channel(s) without hint_ab and hint_mask)");
  }
  if (hints.size() > kMaxHints) {
    return Status::error(std::to_string(hints.size()) + " hints, more than the " + std::to_string(kMaxHints) + " allowed");
  }
  for (size_t i = 0; i < hints.size(); ++i) {
    const ColorHint& hint = hints[i];
    if (hint.x < 0 || hint.y < 0 || hint.x >= width || hint.y >= height) {
      return Status::error("hint #" + std::to_string(i + 1) + " at " + std::to_string(hint.x) + "," + std::to_string(hint.y) +
                           " is outside the " + std::to_string(width) + "x" + std::to_string(height) + " image");
    }
    if (!std::isfinite(hint.a) || !std::isfinite(hint.b)) return Status::error("hint #" + std::to_string(i + 1) + " has no colour");
  }
  return Status::ok();
}

namespace {

// A hint's pixel at the working size.
std::pair<int, int> hint_pixel(const ColorHint& hint, int width, int height, int work_width, int work_height) {
  return {int((hint.x + 0.5) * work_width / width), int((hint.y + 0.5) * work_height / height)};
}

// The network's input at the working size, channel by channel as the architecture declares
// (model.h, network_inputs()): the lightness plane (L / 100, edges replicated into the padding)
// and, for models that take them, the hints, each over a kHintPatch square around its pixel.
Result<Tensor> build_input(const Architecture& architecture, const std::vector<float>& lightness, int width, int height,
                           int work_width, int work_height, int padded_width, int padded_height,
                           const std::vector<ColorHint>& hints) {
  Tensor plane(1, padded_height, padded_width, 1);
  for (int y = 0; y < padded_height; ++y) {
    const float* row = lightness.data() + size_t(std::min(y, work_height - 1)) * work_width;
    for (int x = 0; x < padded_width; ++x) plane.at(0, y, x, 0) = row[std::min(x, work_width - 1)] / 100.0f;
  }
  auto input = network_input(architecture, plane);
  if (!input) return input.status();
  for (const ColorHint& hint : hints) {
    const auto [x, y] = hint_pixel(hint, width, height, work_width, work_height);
    place_hint(input.value(), architecture, 0, x - kHintPatch / 2, y - kHintPatch / 2, kHintPatch, hint.a / 128.0f,
               hint.b / 128.0f);
  }
  if (!hints.empty()) fill_hints(input.value(), architecture, 0);
  return input;
}

}  // namespace

Result<WorkingInput> working_input(const ImageView& input, const Architecture& architecture, const ColorizeOptions& options,
                                   Backend& backend) {
  TINT_RETURN_IF_ERROR(check_colorize_input(input, options.max_pixels));
  const int width = input.width, height = input.height;
  TINT_RETURN_IF_ERROR(check_hints(options.hints, architecture, width, height));
  const int long_side = options.working_size > 0 ? options.working_size : architecture.working_size;
  if (long_side < 8 || long_side > 8192) {
    return Status::error("working size is " + std::to_string(long_side) + ", expected 8 to 8192");
  }
  WorkingInput result;
  int& work_width = result.width;
  int& work_height = result.height;
  working_dimensions(width, height, long_side, work_width, work_height);
  const int multiple = stride_multiple(architecture);
  const int padded_width = (work_width + multiple - 1) / multiple * multiple;
  const int padded_height = (work_height + multiple - 1) / multiple * multiple;

  // L at working size: each full-resolution row is shrunk horizontally as it is computed, so
  // memory stays at height x work_width, never the full-resolution plane. Rows, then columns, are
  // independent: threads take contiguous bands, and every value is the same whatever the split.
  const auto to_linear = linear_table(input.bits);
  std::vector<float> narrow(size_t(height) * work_width);
  backend.parallel_for(height, [&](int begin, int end) {
    std::vector<float> row(width);
    for (int y = begin; y < end; ++y) {
      lightness_row(input, to_linear, y, row.data());
      resample_area(row.data(), width, 1, narrow.data() + size_t(y) * work_width, work_width, 1);
    }
  });
  std::vector<float> small(size_t(work_height) * work_width);
  backend.parallel_for(work_width, [&](int begin, int end) {
    std::vector<float> column(work_height);
    for (int x = begin; x < end; ++x) {
      resample_area(narrow.data() + x, height, work_width, column.data(), work_height, 1);
      for (int y = 0; y < work_height; ++y) small[size_t(y) * work_width + x] = column[y];
    }
  });
  narrow = {};
  auto tensor = build_input(architecture, small, width, height, work_width, work_height, padded_width, padded_height,
                            options.hints);
  if (!tensor) return tensor.status();
  result.tensor = std::move(tensor.value());
  if (!options.hints.empty()) {
    if (options.hint_reach > 0) {
      auto plain = build_input(architecture, small, width, height, work_width, work_height, padded_width, padded_height, {});
      if (!plain) return plain.status();
      result.without_hints = std::move(plain.value());
    }
    for (const ColorHint& hint : options.hints)
      result.hint_pixels.push_back(hint_pixel(hint, width, height, work_width, work_height));
    result.lightness = std::move(small);
  }
  return result;
}

std::vector<float> geodesic_distance(const std::vector<float>& lightness, int width, int height,
                                     const std::vector<std::pair<int, int>>& sources, float step) {
  // Dijkstra from every hint at once over the 4-connected grid.
  const size_t count = size_t(width) * height;
  std::vector<float> distance(count, std::numeric_limits<float>::infinity());
  using Entry = std::pair<float, size_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue;
  for (const auto& [x, y] : sources) {
    const size_t i = size_t(std::clamp(y, 0, height - 1)) * width + size_t(std::clamp(x, 0, width - 1));
    if (distance[i] > 0) distance[i] = 0, queue.push({0.0f, i});
  }
  while (!queue.empty()) {
    const float d = queue.top().first;
    const size_t i = queue.top().second;
    queue.pop();
    if (d > distance[i]) continue;
    const int x = int(i % size_t(width)), y = int(i / size_t(width));
    const auto relax = [&](size_t j) {
      const float next = d + step + kHintEdgeCost * std::abs(lightness[j] - lightness[i]);
      if (next < distance[j]) distance[j] = next, queue.push({next, j});
    };
    if (x > 0) relax(i - 1);
    if (x + 1 < width) relax(i + 1);
    if (y > 0) relax(i - size_t(width));
    if (y + 1 < height) relax(i + size_t(width));
  }
  return distance;
}

std::vector<float> hint_reach_weights(const std::vector<float>& lightness, int width, int height,
                                      const std::vector<std::pair<int, int>>& sources, float reach) {
  const std::vector<float> distance = geodesic_distance(lightness, width, height, sources, 1.0f);
  const size_t count = distance.size();
  const float r = reach * float(std::max(width, height));
  std::vector<float> weights(count);
  for (size_t i = 0; i < count; ++i) weights[i] = std::exp(-0.5f * (distance[i] / r) * (distance[i] / r));
  return weights;
}

namespace {

// The grid match_hints works on: cells of cell x cell working pixels with their mean L, and each
// hint's geodesic distance (working-size pixels) to every cell, computed when asked for, one hint
// at a time (each of the two steps asks again rather than keeping up to 1000 x 96^2 distances).
struct HintCells {
  int cell = 1, width = 0, height = 0;
  std::vector<float> lightness;
  size_t count() const { return size_t(width) * height; }
  std::vector<float> distance(const std::pair<int, int>& pixel) const {
    return geodesic_distance(lightness, width, height, {{pixel.first / cell, pixel.second / cell}}, float(cell));
  }
};

HintCells hint_cells(const std::vector<float>& lightness, int width, int height, int cell) {
  HintCells cells;
  cells.cell = cell;
  cells.width = (width + cell - 1) / cell, cells.height = (height + cell - 1) / cell;
  std::vector<float> area(cells.count(), 0.0f);
  cells.lightness.assign(cells.count(), 0.0f);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const size_t c = size_t(y / cell) * cells.width + size_t(x / cell);
      cells.lightness[c] += lightness[size_t(y) * width + x], area[c] += 1.0f;
    }
  }
  for (size_t c = 0; c < cells.count(); ++c) cells.lightness[c] /= area[c];
  return cells;
}

// A grid's value at bilinear taps (bilinear_taps) along x and y.
template <typename T>
T sample_grid(const std::vector<T>& grid, int grid_width, const Tap& tx, const Tap& ty) {
  const auto row = [&](int gy) {
    return (1 - tx.w1) * grid[size_t(gy) * grid_width + tx.i0] + tx.w1 * grid[size_t(gy) * grid_width + tx.i1];
  };
  return (1 - ty.w1) * row(ty.i0) + ty.w1 * row(ty.i1);
}

// Adds a two-channel field (ab / 128) on a grid_width x grid_height grid of cell x cell working
// pixels (the last row and column may be partial), bilinearly from cell centres, to ab.
void add_grid_field(Tensor& ab, int width, int height, int grid_width, int grid_height, int cell,
                    const std::vector<float>& field_a, const std::vector<float>& field_b) {
  const auto x_taps = bilinear_taps(grid_width, width, 1.0f / float(cell));
  const auto y_taps = bilinear_taps(grid_height, height, 1.0f / float(cell));
  for (int y = 0; y < height; ++y) {
    const Tap ty = y_taps[y];
    for (int x = 0; x < width; ++x) {
      const Tap tx = x_taps[x];
      ab.at(0, y, x, 0) += sample_grid(field_a, grid_width, tx, ty);
      ab.at(0, y, x, 1) += sample_grid(field_b, grid_width, tx, ty);
    }
  }
}

// Step 1 of match_hints: each distribution pixel's distribution times the hints' Gaussians,
// decoded as the network decodes it; the change in the decoded colour is added to ab.
void reweight_distribution(Tensor& ab, const BinDistribution& distribution, const HintCells& cells, int width,
                           int height, const std::vector<std::pair<int, int>>& pixels, const std::vector<ColorHint>& hints) {
  const Tensor& p = *distribution.probabilities;
  const int step = std::max(1, ab.shape.w / p.shape.w);  // working pixels per distribution pixel
  const int grid_width = std::min((width + step - 1) / step, p.shape.w);
  const int grid_height = std::min((height + step - 1) / step, p.shape.h);
  const size_t grid_count = size_t(grid_width) * grid_height;
  // prod_i N(ab; hint_i, sigma^2 / alpha_i) = N(ab; centre, sigma^2 / precision) up to a factor
  // that does not depend on ab: precision = sum alpha_i and centre = sum alpha_i hint_i / precision.
  const float reach = kHintPriorReach * float(std::max(width, height));
  std::vector<double> precision(cells.count(), 0.0), centre_a(cells.count(), 0.0), centre_b(cells.count(), 0.0);
  for (size_t i = 0; i < hints.size(); ++i) {
    const std::vector<float> distance = cells.distance(pixels[i]);
    for (size_t c = 0; c < cells.count(); ++c) {
      const double alpha = std::pow(1.0 + distance[c] / reach, -double(kHintMatchPower));
      precision[c] += alpha, centre_a[c] += alpha * hints[i].a, centre_b[c] += alpha * hints[i].b;
    }
  }
  // Each distribution pixel takes the cells' sums bilinearly at its centre (the same cell when
  // the two grids are the same, as at the default working size).
  const float cells_per_pixel = float(step) / float(cells.cell);
  const auto x_taps = bilinear_taps(cells.width, grid_width, cells_per_pixel);
  const auto y_taps = bilinear_taps(cells.height, grid_height, cells_per_pixel);
  std::vector<float> delta_a(grid_count), delta_b(grid_count);
  const AbBins& bins = AbBins::gamut();
  const int count = bins.count();
  const double inverse_t = 1.0 / distribution.temperature;
  std::vector<double> before(static_cast<size_t>(count)), after(static_cast<size_t>(count));
  for (int gy = 0; gy < grid_height; ++gy) {
    for (int gx = 0; gx < grid_width; ++gx) {
      const size_t c = size_t(gy) * grid_width + gx;
      const Tap tx = x_taps[size_t(gx)], ty = y_taps[size_t(gy)];
      const double total = sample_grid(precision, cells.width, tx, ty);
      const double ca = sample_grid(centre_a, cells.width, tx, ty) / total, cb = sample_grid(centre_b, cells.width, tx, ty) / total;
      const double scale = total / (2.0 * kHintPriorSigma * kHintPriorSigma);
      double top_before = -1e300, top_after = -1e300;
      for (int k = 0; k < count; ++k) {
        const double log_p = std::log(std::max(double(p.at(0, gy, gx, k)), 1e-30));  // as annealed_mean
        const double da = bins.a(k) - ca, db = bins.b(k) - cb;
        before[size_t(k)] = log_p * inverse_t;
        after[size_t(k)] = (log_p - scale * (da * da + db * db)) * inverse_t;
        top_before = std::max(top_before, before[size_t(k)]), top_after = std::max(top_after, after[size_t(k)]);
      }
      double sums[2][3] = {{0, 0, 0}, {0, 0, 0}};  // before / after: weight, a, b
      for (int k = 0; k < count; ++k) {
        const double w0 = std::exp(before[size_t(k)] - top_before), w1 = std::exp(after[size_t(k)] - top_after);
        sums[0][0] += w0, sums[0][1] += w0 * bins.a(k), sums[0][2] += w0 * bins.b(k);
        sums[1][0] += w1, sums[1][1] += w1 * bins.a(k), sums[1][2] += w1 * bins.b(k);
      }
      delta_a[c] = float((sums[1][1] / sums[1][0] - sums[0][1] / sums[0][0]) / 128.0);
      delta_b[c] = float((sums[1][2] / sums[1][0] - sums[0][2] / sums[0][0]) / 128.0);
    }
  }
  add_grid_field(ab, width, height, grid_width, grid_height, step, delta_a, delta_b);
}

}  // namespace

void match_hints(Tensor& ab, int width, int height, const std::vector<float>& lightness,
                 const std::vector<std::pair<int, int>>& pixels, const std::vector<ColorHint>& hints,
                 const BinDistribution& distribution) {
  if (hints.empty() || pixels.size() != hints.size()) return;
  const bool reweight = distribution.probabilities && distribution.probabilities->shape.w > 0 &&
                        distribution.probabilities->shape.c == AbBins::gamut().count();
  // Cells of kHintMatchCell working pixels, larger where needed so that the long side has at
  // most kHintMatchCells of them (one geodesic distance per hint and step over the cells).
  const int long_side = std::max(width, height);
  const int cell = std::max(kHintMatchCell, (long_side + kHintMatchCells - 1) / kHintMatchCells);
  const HintCells cells = hint_cells(lightness, width, height, cell);
  // 1. With the network's distribution: the hints reweight it (colorize.h).
  if (reweight) reweight_distribution(ab, distribution, cells, width, height, pixels, hints);
  // 2. Each hint's residual: its colour less the (reweighted) network's mean over its patch,
  //    averaged over the hints with weights (1 + d)^-kHintMatchPower per cell.
  std::vector<float> weight_sum(cells.count(), 0.0f), field_a(cells.count(), 0.0f), field_b(cells.count(), 0.0f);
  for (size_t i = 0; i < hints.size(); ++i) {
    float sum[2] = {0, 0};
    int n = 0;
    for (int y = pixels[i].second - kHintPatch / 2; y <= pixels[i].second + kHintPatch / 2; ++y) {
      for (int x = pixels[i].first - kHintPatch / 2; x <= pixels[i].first + kHintPatch / 2; ++x) {
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        for (int k = 0; k < 2; ++k) sum[k] += ab.at(0, y, x, k);
        ++n;
      }
    }
    if (n == 0) continue;  // a hint outside the photo (colorize never passes one)
    const float residual_a = hints[i].a / 128.0f - sum[0] / float(n), residual_b = hints[i].b / 128.0f - sum[1] / float(n);
    const std::vector<float> distance = cells.distance(pixels[i]);
    for (size_t c = 0; c < cells.count(); ++c) {
      const float w = std::pow(1.0f + distance[c], -kHintMatchPower);
      weight_sum[c] += w, field_a[c] += w * residual_a, field_b[c] += w * residual_b;
    }
  }
  for (size_t c = 0; c < cells.count(); ++c) {
    if (weight_sum[c] > 0) field_a[c] /= weight_sum[c], field_b[c] /= weight_sum[c];
  }
  add_grid_field(ab, width, height, cells.width, cells.height, cells.cell, field_a, field_b);
}

Status colorize(const ImageView& input, Graph& graph, const ColorizeOptions& options, uint8_t* output_bytes) {
  // 1. The network's input at the working size.
  auto network_in = working_input(input, graph.model().architecture, options, graph.backend());
  if (!network_in) return network_in.status();
  const int width = input.width, height = input.height;
  const int work_width = network_in->width, work_height = network_in->height;

  // 2. The network: ab / 128 at working size. With a hint reach, the hinted colours only near the
  //    hints (geodesically), the automatic ones beyond.
  TINT_RETURN_IF_ERROR(graph.forward(network_in->tensor));
  Tensor ab = graph.take_output();
  if (options.match_hints) {
    // The distribution and the temperature of the annealed mean that decodes it (the first one
    // after it); without such a layer, the residual step alone.
    BinDistribution distribution;
    const auto& layers = graph.model().architecture.layers;
    for (size_t i = size_t(std::max(options.distribution_layer, 0)) + 1; options.distribution_layer >= 0 && i < layers.size(); ++i) {
      if (layers[i].op == "annealed_mean") {
        distribution.probabilities = &graph.activation(size_t(options.distribution_layer));
        distribution.temperature = layers[i].number("temperature");
        break;
      }
    }
    match_hints(ab, work_width, work_height, network_in->lightness, network_in->hint_pixels, options.hints, distribution);
  }
  if (!network_in->hint_pixels.empty() && options.hint_reach > 0) {
    const uint64_t key = hash_memory(network_in->lightness.data(), network_in->lightness.size() * sizeof(float),
                                     mix_hash(uint64_t(work_width), uint64_t(work_height)));
    AutomaticColours* cache = options.automatic;
    const auto hit = cache ? std::find_if(cache->entries.begin(), cache->entries.end(),
                                          [&](const AutomaticColours::Entry& entry) { return entry.key == key; })
                           : std::vector<AutomaticColours::Entry>::iterator();
    Tensor automatic;
    if (cache && hit != cache->entries.end()) {
      automatic = std::move(hit->ab);  // moved to the back: the least recently used goes first
      cache->entries.erase(hit);
    } else {
      TINT_RETURN_IF_ERROR(graph.forward(network_in->without_hints));
      automatic = graph.take_output();
      if (cache && cache->entries.size() == AutomaticColours::kEntries) cache->entries.erase(cache->entries.begin());
    }
    if (cache) cache->entries.push_back({key, automatic});
    const std::vector<float> weights = hint_reach_weights(network_in->lightness, work_width, work_height,
                                                          network_in->hint_pixels, options.hint_reach);
    for (int y = 0; y < work_height; ++y) {
      for (int x = 0; x < work_width; ++x) {
        const float w = weights[size_t(y) * work_width + x];
        for (int k = 0; k < 2; ++k) {
          float& value = ab.at(0, y, x, k);
          value = automatic.at(0, y, x, k) + w * (value - automatic.at(0, y, x, k));
        }
      }
    }
  }
  network_in = WorkingInput();

  // 3. Full resolution: bilinear ab joined with each pixel's own L, back to sRGB, row by row. A
  //    row's L is read whole before any of it is written, so output may be the input's buffer.
  const int out_channels = input.has_alpha() ? 4 : 3;
  const auto x_taps = bilinear_taps(work_width, width), y_taps = bilinear_taps(work_height, height);
  const float max_value = float(input.max_value());
  const auto to_linear = linear_table(input.bits);
  auto put = [&](size_t index, uint32_t value) {
    if (input.bits == 8) {
      output_bytes[index] = uint8_t(value);
    } else {
      const uint16_t sample = uint16_t(value);
      std::memcpy(output_bytes + 2 * index, &sample, 2);
    }
  };
  // Rows are independent (in place, output row y covers exactly input row y), so threads take
  // contiguous bands of rows and every pixel is computed the same whatever the split.
  graph.backend().parallel_for(height, [&](int begin, int end) {
    std::vector<float> row(width), ab_row(size_t(work_width) * 2), a_full(width), b_full(width), linear(size_t(width) * 3);
    for (int y = begin; y < end; ++y) {
      const Tap ty = y_taps[y];
      for (int x = 0; x < work_width; ++x) {
        for (int k = 0; k < 2; ++k) {
          ab_row[2 * x + k] = 128.0f * ((1 - ty.w1) * ab.at(0, ty.i0, x, k) + ty.w1 * ab.at(0, ty.i1, x, k));
        }
      }
      lightness_row(input, to_linear, y, row.data());
      for (int x = 0; x < width; ++x) {
        const Tap tx = x_taps[x];
        a_full[x] = (1 - tx.w1) * ab_row[2 * tx.i0] + tx.w1 * ab_row[2 * tx.i1];
        b_full[x] = (1 - tx.w1) * ab_row[2 * tx.i0 + 1] + tx.w1 * ab_row[2 * tx.i1 + 1];
      }
      lab_row_to_linear_in_gamut(row.data(), a_full.data(), b_full.data(), width, linear.data());
      for (int x = 0; x < width; ++x) {
        const size_t out_index = (size_t(y) * width + x) * out_channels;
        const uint32_t alpha = out_channels == 4 ? input.sample((size_t(y) * width + x) * input.channels + input.channels - 1) : 0;
        for (int k = 0; k < 3; ++k) {
          const float clamped = std::clamp(linear[3 * size_t(x) + k], 0.0f, 1.0f);
          put(out_index + k, input.bits == 8 ? linear_to_srgb8(clamped) : uint32_t(std::lround(linear_to_srgb(clamped) * max_value)));
        }
        if (out_channels == 4) put(out_index + 3, alpha);
      }
    }
  });
  return Status::ok();
}

}  // namespace tint
