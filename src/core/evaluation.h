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

// One photo, scored: grey (a = b = 0); with hints, the two trivial fills that use the hints
// without a network (every pixel the mean hint colour; every pixel its nearest hint's colour),
// the anchors a hint model must beat; then one entry per colouriser (a model without hint
// inputs is given no hints: scored only when there are none).
struct PhotoEvaluation {
  std::vector<std::string> columns;  // "grey", "mean of hints", "nearest hint", "model"
  std::vector<bool> scored;          // false: no output (a model without hint inputs, given hints)
  std::vector<ColorMetrics> metrics;
  std::vector<double> milliseconds;  // colourise time (0 for the others)
  std::vector<Image> outputs;        // the images scored (empty where not scored)
};

// `original`: 8-bit RGB at full size; `hints` from sample_hints (hints.h), or none.
Result<PhotoEvaluation> evaluate_photo(const Image& original, const std::vector<Colorizer*>& colorizers,
                                       const std::vector<ColorHint>& hints = {});

// The seed of a photo's simulated hints: from its name and the count only (FNV-1a), so a photo
// gets the same hints whatever else is in its folder.
uint64_t hint_seed(const std::string& name, int count);

// The trivial fills: the original's L with every pixel's ab the mean of the hints' (nearest =
// false) or its nearest hint's (true).
Image fill_from_hints(const Image& rgb8, const std::vector<ColorHint>& hints, bool nearest);

// Scores summed over photos, per column (grey first).
struct EvaluationTotals {
  std::vector<MetricsMean> means;
  std::vector<double> milliseconds;
  void add(const PhotoEvaluation& photo);
};

// Thumbnails (long side `cell`) of every image of a row side by side; rows stacked.
Image contact_sheet(const std::vector<std::vector<Image>>& rows, int cell);

}  // namespace tint
