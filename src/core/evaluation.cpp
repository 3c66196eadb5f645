#include "evaluation.h"

#include <algorithm>
#include <chrono>

#include "data.h"

namespace tint {

Result<PhotoEvaluation> evaluate_photo(const Image& original, const std::vector<Colorizer*>& colorizers) {
  PhotoEvaluation photo;
  photo.outputs.push_back(grey_version(original));
  photo.milliseconds.push_back(0);
  for (Colorizer* colorizer : colorizers) {
    const auto start = std::chrono::steady_clock::now();
    auto result = colorizer->colorize(original.view());  // the model sees L only
    if (!result) return result.status();
    photo.milliseconds.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    photo.outputs.push_back(std::move(result.value()));
  }
  for (const Image& output : photo.outputs) {
    ColorMetrics m;
    compare_colors(output, original, m);
    photo.metrics.push_back(m);
  }
  return photo;
}

void EvaluationTotals::add(const PhotoEvaluation& photo) {
  means.resize(photo.metrics.size());
  milliseconds.resize(photo.metrics.size(), 0.0);
  for (size_t i = 0; i < photo.metrics.size(); ++i) {
    means[i].add(photo.metrics[i]);
    milliseconds[i] += photo.milliseconds[i];
  }
}

Image contact_sheet(const std::vector<std::vector<Image>>& rows, int cell) {
  const int gap = 4, columns = rows.empty() ? 0 : int(rows[0].size());
  Image sheet(gap + columns * (cell + gap), gap + int(rows.size()) * (cell + gap), 3);
  std::fill(sheet.data.begin(), sheet.data.end(), uint8_t(255));
  for (size_t r = 0; r < rows.size(); ++r) {
    for (int c = 0; c < columns; ++c) {
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
