// `tint eval`'s arithmetic: each evaluation photo colourised by every model from its lightness
// alone and scored against the original (metrics.h), beside the grey baseline; and the contact
// sheet that shows them side by side. Files and printing live in the CLI.
#pragma once

#include <string>
#include <vector>

#include "colorizer.h"
#include "image.h"
#include "metrics.h"

namespace tint {

// One photo, scored. Index 0 is grey (a = b = 0), then one entry per colouriser.
struct PhotoEvaluation {
  std::vector<ColorMetrics> metrics;
  std::vector<double> milliseconds;  // colourise time (0 for grey)
  std::vector<Image> outputs;        // the images scored (grey first)
};

// `original`: 8-bit RGB at full size.
Result<PhotoEvaluation> evaluate_photo(const Image& original, const std::vector<Colorizer*>& colorizers);

// Scores summed over photos, per column (grey first).
struct EvaluationTotals {
  std::vector<MetricsMean> means;
  std::vector<double> milliseconds;
  void add(const PhotoEvaluation& photo);
};

// Thumbnails (long side `cell`) of every image of a row side by side; rows stacked.
Image contact_sheet(const std::vector<std::vector<Image>>& rows, int cell);

}  // namespace tint
