#include "data.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "lab.h"

namespace tint {

namespace {

// Area (box-filter) resampling weights along one axis. Output cell o of a resize from src_count
// to dst_count samples covers source [o * r, (o + 1) * r) with r = src_count / dst_count; each
// source sample weighs its overlap with that cell, normalised to sum 1. With r = 1 every cell is
// one source sample with weight exactly 1, so an unscaled resample is an exact copy.
struct AreaWeights {
  std::vector<int> first;   // first source index of each output, for outputs [begin, end)
  std::vector<int> offset;  // where each output's weights start in `weight`; one extra at end
  std::vector<float> weight;

  int count(int output) const { return offset[output + 1] - offset[output]; }
};

AreaWeights area_weights(int src_count, int dst_count, int dst_begin, int dst_end) {
  AreaWeights weights;
  const double ratio = double(src_count) / double(dst_count);
  weights.offset.push_back(0);
  for (int o = dst_begin; o < dst_end; ++o) {
    const double low = o * ratio;
    const double high = std::min((o + 1) * ratio, double(src_count));
    const int first = std::min(int(low), src_count - 1);
    const size_t start = weights.weight.size();
    double total = 0.0;
    for (int i = first; i < src_count && double(i) < high; ++i) {
      const double overlap = std::min(high, double(i + 1)) - std::max(low, double(i));
      weights.weight.push_back(float(std::max(overlap, 0.0)));
      total += std::max(overlap, 0.0);
    }
    if (total <= 0.0) {  // cannot happen for ratio >= 1e-9; a guard against a zero-weight cell
      weights.weight.resize(start);
      weights.weight.push_back(1.0f);
      total = 1.0;
    }
    for (size_t k = start; k < weights.weight.size(); ++k) {
      weights.weight[k] = float(weights.weight[k] / total);
    }
    weights.first.push_back(first);
    weights.offset.push_back(int(weights.weight.size()));
  }
  return weights;
}

// One source row as RGB floats on the 8-bit scale [0, 255] (16-bit samples scaled down, grey
// repeated, alpha dropped): the common form cap_long_side averages in.
void rgb_row(const Image& image, int y, std::vector<float>& out) {
  const int c = image.channels;
  const float to_8bit = image.bits == 16 ? 255.0f / 65535.0f : 1.0f;
  const size_t base = size_t(y) * size_t(image.width) * size_t(c);
  for (int x = 0; x < image.width; ++x) {
    const size_t i = base + size_t(x) * size_t(c);
    if (c <= 2) {
      const float grey = float(image.sample(i)) * to_8bit;
      out[3 * size_t(x)] = out[3 * size_t(x) + 1] = out[3 * size_t(x) + 2] = grey;
    } else {
      for (int k = 0; k < 3; ++k) out[3 * size_t(x) + k] = float(image.sample(i + k)) * to_8bit;
    }
  }
}

// Horizontal pass of an area resample: `channels` interleaved floats per sample.
void resample_row(const float* src, const AreaWeights& weights, int outputs, int channels,
                  float* dst) {
  for (int o = 0; o < outputs; ++o) {
    const float* w = weights.weight.data() + weights.offset[o];
    const float* s = src + size_t(weights.first[o]) * size_t(channels);
    for (int k = 0; k < channels; ++k) {
      float sum = 0.0f;
      for (int t = 0; t < weights.count(o); ++t) sum += w[t] * s[size_t(t) * channels + k];
      dst[size_t(o) * channels + k] = sum;
    }
  }
}

// Constants that keep the generators for different purposes apart: without them the order of
// epoch 3 and the crop of sample 3 could share a stream.
constexpr uint64_t order_domain = 0x6f72646572ull;       // "order"
constexpr uint64_t sample_domain = 0x73616d706c65ull;    // "sample"
constexpr uint64_t validation_domain = 0x76616c6964ull;  // "valid"

uint64_t splitmix64(uint64_t z) {
  // Steele, Lea & Flood (2014), "Fast splittable pseudorandom number generators": the finaliser
  // of SplitMix64, a bijection whose every output bit depends on every input bit.
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

Image cap_long_side(const Image& image, int max_side) {
  const int width = image.width, height = image.height;
  if (width <= 0 || height <= 0 || image.channels < 1 || image.channels > 4 ||
      (image.bits != 8 && image.bits != 16) ||
      image.data.size() < image.sample_count() * size_t(image.bits / 8)) {
    return Image();
  }
  int out_width = width, out_height = height;
  if (max_side > 0 && std::max(width, height) > max_side) {
    // The long side becomes max_side exactly; the short one keeps the aspect ratio.
    if (width >= height) {
      out_width = max_side;
      out_height = std::clamp(int(std::lround(double(height) * max_side / width)), 1, max_side);
    } else {
      out_height = max_side;
      out_width = std::clamp(int(std::lround(double(width) * max_side / height)), 1, max_side);
    }
  }
  const AreaWeights columns = area_weights(width, out_width, 0, out_width);
  const AreaWeights rows = area_weights(height, out_height, 0, out_height);
  Image out(out_width, out_height, 3, 8);
  // Row by row (each source row is converted once per output row it touches, at most twice when
  // shrinking), so a 64 MP photo never needs a full-size float copy.
  std::vector<float> source_row(size_t(width) * 3), resampled(size_t(out_width) * 3),
      sum(size_t(out_width) * 3);
  for (int oy = 0; oy < out_height; ++oy) {
    std::fill(sum.begin(), sum.end(), 0.0f);
    for (int t = 0; t < rows.count(oy); ++t) {
      rgb_row(image, rows.first[oy] + t, source_row);
      resample_row(source_row.data(), columns, out_width, 3, resampled.data());
      const float w = rows.weight[rows.offset[oy] + t];
      for (size_t k = 0; k < sum.size(); ++k) sum[k] += w * resampled[k];
    }
    uint8_t* dst = out.data.data() + size_t(oy) * size_t(out_width) * 3;
    for (size_t k = 0; k < sum.size(); ++k) {
      dst[k] = uint8_t(std::clamp(std::lround(sum[k]), 0L, 255L));
    }
  }
  return out;
}

void sample_crop(const Image& rgb8, const CropOptions& options, Random& rng, float* lightness,
                 float* ab) {
  const int size = options.crop;
  if (size < 1) return;
  const size_t pixels = size_t(size) * size_t(size);
  const int width = rgb8.width, height = rgb8.height;
  if (rgb8.channels != 3 || rgb8.bits != 8 || std::min(width, height) < size ||
      rgb8.data.size() < size_t(width) * size_t(height) * 3) {
    std::fill(lightness, lightness + pixels, 0.0f);
    std::fill(ab, ab + 2 * pixels, 0.0f);
    return;
  }

  // Draws, always in this order and always all four, so the generator ends in a state that does
  // not depend on the options.
  const float min_scale =
      std::isfinite(options.min_scale) ? std::clamp(options.min_scale, 0.0f, 1.0f) : 1.0f;
  const float lowest = std::max(min_scale, float(size) / float(std::min(width, height)));
  const float scale = rng.uniform(std::min(lowest, 1.0f), 1.0f);
  // The scaled image's size, never below the crop (rounding could otherwise lose a pixel).
  const int scaled_width = std::clamp(int(std::lround(double(width) * scale)), size, width);
  const int scaled_height = std::clamp(int(std::lround(double(height) * scale)), size, height);
  const int x0 = int(rng.below(uint32_t(scaled_width - size + 1)));
  const int y0 = int(rng.below(uint32_t(scaled_height - size + 1)));
  const bool flip = rng.below(2) == 1 && options.flips;

  // Only the source region under the window is converted to Lab.
  const AreaWeights columns = area_weights(width, scaled_width, x0, x0 + size);
  const AreaWeights rows = area_weights(height, scaled_height, y0, y0 + size);
  const int source_x = columns.first.front();
  const int source_y = rows.first.front();
  const int region_width = columns.first.back() + columns.count(size - 1) - source_x;
  const int region_height = rows.first.back() + rows.count(size - 1) - source_y;

  // Lab of every source pixel in the region, then area-averaged: the average of L is what the
  // colourise call computes when it shrinks a photo (see data.h).
  float to_unit[256];
  for (int v = 0; v < 256; ++v) to_unit[v] = float(v) / 255.0f;
  std::vector<float> region_lab(size_t(region_width) * size_t(region_height) * 3);
  for (int y = 0; y < region_height; ++y) {
    const uint8_t* src =
        rgb8.data.data() + (size_t(source_y + y) * size_t(width) + size_t(source_x)) * 3;
    float* dst = region_lab.data() + size_t(y) * size_t(region_width) * 3;
    for (int x = 0; x < region_width; ++x) {
      const Lab lab =
          srgb_to_lab(to_unit[src[3 * x]], to_unit[src[3 * x + 1]], to_unit[src[3 * x + 2]]);
      dst[3 * x] = lab.l;
      dst[3 * x + 1] = lab.a;
      dst[3 * x + 2] = lab.b;
    }
  }
  // Rebase the column weights on the region so the horizontal pass indexes it directly.
  AreaWeights region_columns = columns;
  for (int& first : region_columns.first) first -= source_x;
  std::vector<float> horizontal(size_t(region_height) * size_t(size) * 3);
  for (int y = 0; y < region_height; ++y) {
    resample_row(region_lab.data() + size_t(y) * size_t(region_width) * 3, region_columns, size, 3,
                 horizontal.data() + size_t(y) * size_t(size) * 3);
  }
  for (int oy = 0; oy < size; ++oy) {
    const float* w = rows.weight.data() + rows.offset[oy];
    const float* column_top =
        horizontal.data() + size_t(rows.first[oy] - source_y) * size_t(size) * 3;
    for (int ox = 0; ox < size; ++ox) {
      float l = 0.0f, a = 0.0f, b = 0.0f;
      for (int t = 0; t < rows.count(oy); ++t) {
        const float* s = column_top + (size_t(t) * size_t(size) + size_t(ox)) * 3;
        l += w[t] * s[0];
        a += w[t] * s[1];
        b += w[t] * s[2];
      }
      const size_t out = size_t(oy) * size_t(size) + size_t(flip ? size - 1 - ox : ox);
      // The network's scales (docs/design.md, "The network as data"): input L/100 in [0, 1],
      // target ab/128 in about (-1, 1).
      lightness[out] = l / 100.0f;
      ab[2 * out] = a / 128.0f;
      ab[2 * out + 1] = b / 128.0f;
    }
  }
}

uint64_t hash_bytes(const std::string& bytes) {
  // FNV-1a 64 (Fowler, Noll, Vo): fixed constants, so unlike std::hash it gives the same value
  // with every standard library, and the split never changes under a new compiler.
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

uint64_t mix_hash(uint64_t first, uint64_t second) {
  return splitmix64(first ^ splitmix64(second));
}

uint64_t hash_memory(const void* data, size_t size, uint64_t seed) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  uint64_t hash = mix_hash(seed, uint64_t(size));
  const size_t words = size / 8;
  for (size_t w = 0; w < words; ++w) {
    uint64_t word;
    std::memcpy(&word, bytes + 8 * w, 8);
    hash = mix_hash(hash, word);
  }
  for (size_t b = 8 * words; b < size; ++b) hash = mix_hash(hash, bytes[b]);
  return hash;
}

bool in_validation(const std::string& key, uint64_t seed, double fraction) {
  if (!(fraction > 0.0)) return false;
  if (fraction >= 1.0) return true;
  // The top 53 bits as a uniform double in [0, 1).
  const double u = double(mix_hash(hash_bytes(key), seed) >> 11) * 0x1p-53;
  return u < fraction;
}

std::vector<int> epoch_order(int count, uint64_t seed, int epoch) {
  std::vector<int> order(size_t(std::max(count, 0)));
  for (int i = 0; i < count; ++i) order[size_t(i)] = i;
  Random rng(seed, mix_hash(order_domain, uint64_t(int64_t(epoch))));
  // Fisher-Yates with an unbiased below(): every permutation equally likely.
  for (int i = count - 1; i > 0; --i) {
    std::swap(order[size_t(i)], order[rng.below(uint32_t(i) + 1)]);
  }
  return order;
}

Random sample_random(uint64_t seed, int epoch, int64_t position) {
  return Random(seed,
                mix_hash(mix_hash(sample_domain, uint64_t(int64_t(epoch))), uint64_t(position)));
}

Random validation_random(uint64_t seed, const std::string& key) {
  return Random(seed, mix_hash(validation_domain, hash_bytes(key)));
}

void fill_batch_row(Batch& batch, int row, const Image& rgb8, const CropOptions& options,
                    Random& rng) {
  const size_t pixels = size_t(options.crop) * size_t(options.crop);
  sample_crop(rgb8, options, rng, batch.lightness.ptr() + size_t(row) * pixels,
              batch.ab.ptr() + size_t(row) * pixels * 2);
}

}  // namespace tint
