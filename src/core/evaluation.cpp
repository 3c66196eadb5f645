#include "evaluation.h"

#include <algorithm>
#include <chrono>

#include "colorize.h"
#include "data.h"
#include "lab.h"

namespace tint {

uint64_t hint_seed(const std::string& name, int count) {
  uint64_t hash = 1469598103934665603ull;
  for (const char c : name) hash = (hash ^ uint8_t(c)) * 1099511628211ull;
  return hash ^ uint64_t(count);
}

Image fill_from_hints(const Image& rgb8, const std::vector<ColorHint>& hints, bool nearest) {
  Image output(rgb8.width, rgb8.height, 3, 8);
  float mean_a = 0, mean_b = 0;
  for (const ColorHint& hint : hints) mean_a += hint.a / float(hints.size()), mean_b += hint.b / float(hints.size());
  for (int y = 0; y < rgb8.height; ++y) {
    for (int x = 0; x < rgb8.width; ++x) {
      const size_t i = (size_t(y) * rgb8.width + x) * 3;
      float a = mean_a, b = mean_b;
      if (nearest) {
        double best = 1e300;
        for (const ColorHint& hint : hints) {
          const double d = double(hint.x - x) * (hint.x - x) + double(hint.y - y) * (hint.y - y);
          if (d < best) best = d, a = hint.a, b = hint.b;
        }
      }
      const float l = srgb_to_lightness(rgb8.data[i] / 255.0f, rgb8.data[i + 1] / 255.0f, rgb8.data[i + 2] / 255.0f);
      lab_to_srgb8_in_gamut(l, a, b, &output.data[i]);
    }
  }
  return output;
}

Result<PhotoEvaluation> evaluate_photo(const Image& original, const std::vector<Colorizer*>& colorizers,
                                       const std::vector<ColorHint>& hints) {
  PhotoEvaluation photo;
  auto add = [&](const std::string& column, Image output, double ms, bool scored) {
    photo.columns.push_back(column);
    photo.scored.push_back(scored);
    photo.outputs.push_back(std::move(output));
    photo.milliseconds.push_back(ms);
  };
  add("grey", grey_version(original), 0, true);
  if (!hints.empty()) {
    add("mean of hints", fill_from_hints(original, hints, false), 0, true);
    add("nearest hint", fill_from_hints(original, hints, true), 0, true);
  }
  for (Colorizer* colorizer : colorizers) {
    if (!hints.empty() && !colorizer->takes_hints()) {
      add("model", Image(), 0, false);
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    auto result = colorizer->colorize(original.view(), hints);  // the model sees L (and the hints) only
    if (!result) return result.status();
    add("model", std::move(result.value()),
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(), true);
  }
  for (size_t c = 0; c < photo.outputs.size(); ++c) {
    ColorMetrics m;
    if (photo.scored[c]) compare_colors(photo.outputs[c], original, m);
    photo.metrics.push_back(m);
  }
  return photo;
}

void EvaluationTotals::add(const PhotoEvaluation& photo) {
  means.resize(photo.metrics.size());
  milliseconds.resize(photo.metrics.size(), 0.0);
  for (size_t i = 0; i < photo.metrics.size(); ++i) {
    if (photo.scored[i]) means[i].add(photo.metrics[i]);
    milliseconds[i] += photo.milliseconds[i];
  }
}

Image contact_sheet(const std::vector<std::vector<Image>>& rows, int cell) {
  const int gap = 4, columns = rows.empty() ? 0 : int(rows[0].size());
  Image sheet(gap + columns * (cell + gap), gap + int(rows.size()) * (cell + gap), 3);
  std::fill(sheet.data.begin(), sheet.data.end(), uint8_t(255));
  for (size_t r = 0; r < rows.size(); ++r) {
    for (int c = 0; c < columns && c < int(rows[r].size()); ++c) {
      if (rows[r][c].width == 0) continue;
      const Image thumb = cap_long_side(rows[r][c], cell);
      const int x0 = gap + c * (cell + gap) + (cell - thumb.width) / 2;
      const int y0 = gap + int(r) * (cell + gap) + (cell - thumb.height) / 2;
      for (int y = 0; y < thumb.height; ++y)
        std::copy_n(&thumb.data[size_t(y) * thumb.width * 3], size_t(thumb.width) * 3,
                    &sheet.data[(size_t(y0 + y) * sheet.width + x0) * 3]);
    }
  }
  return sheet;
}

}  // namespace tint
