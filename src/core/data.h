// Training data on pixel buffers (docs/design.md, "Data"): the long-side cap, random crops with
// scale and flip augmentation, the train/validation split, and the seeding that makes every batch
// a pure function of (seed, epoch, step). Files, decoding and the prefetch threads live in
// src/io/dataset; this part has no threads, no files and no exceptions, so the WASM build and a
// single-threaded trainer get exactly the same samples.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image.h"
#include "random.h"
#include "tensor.h"

namespace tint {

// Area-average downscale so the long side is at most max_side (max_side <= 0: no cap). Any input
// (grey, grey+alpha, RGB, RGBA; 8 or 16 bits) comes back as 8-bit RGB: grey is repeated into R, G
// and B, alpha is dropped (not composited). An image already small enough keeps its size. The
// short side keeps the aspect ratio, rounded, and is at least 1.
Image cap_long_side(const Image& image, int max_side);

struct CropOptions {
  int crop = 128;          // S: output is S x S
  float min_scale = 0.5f;  // smallest downscale factor; 1 = crops at the image's own resolution
  bool flips = true;       // random horizontal mirror
};

// One training sample from an 8-bit RGB image whose short side is at least options.crop:
// writes S*S values of L/100 (row-major) to `lightness` and S*S*2 interleaved a/128, b/128 to
// `ab` (CIE Lab D65, lab.h). The image is conceptually resized by a random scale in
// [max(min_scale, S/short_side), 1] (never so small that S x S no longer fits), then an S x S
// window at a random whole-pixel position is taken, then mirrored at random.
// Draws from `rng` in a fixed order (scale, x, y, flip), so equal states give equal samples.
// Resampling is an area average of per-pixel Lab values: at scale 1 it is an exact copy, it is
// anti-aliased when shrinking (bilinear would skip pixels beyond 2x), and averaging L is what the
// colourise call does when it shrinks a photo to the working size, so the network trains on the
// same kind of input it sees later.
// Precondition (the dataset filters): rgb8 is 8-bit, 3 channels, short side >= crop >= 1. If it is
// not, both outputs are filled with zeros rather than read out of bounds.
void sample_crop(const Image& rgb8, const CropOptions& options, Random& rng, float* lightness,
                 float* ab);

// Whether the file with this key (its path relative to the data folder it came from, or
// "cifar10/<file>#<record>") belongs to the validation set. A stable 64-bit hash of the key's
// bytes (FNV-1a) mixed with the seed (splitmix64) decides, so the split is the same on every
// platform and run, depends on nothing but (key, seed), and puts each file on one side only.
bool in_validation(const std::string& key, uint64_t seed, double fraction);

// The stable hashes behind the split and the sample seeds, exposed for tests and other callers.
uint64_t hash_bytes(const std::string& bytes);       // FNV-1a 64
uint64_t mix_hash(uint64_t first, uint64_t second);  // splitmix64 of a combination
// A buffer's bytes, 8 at a time through mix_hash (then the tail byte by byte), with its size and
// `seed`: fast enough for every photo file a training run reads, or a working-size plane per call.
uint64_t hash_memory(const void* data, size_t size, uint64_t seed = 0);

// The order of the training images in an epoch: a Fisher-Yates shuffle of [0, count) seeded by
// (seed, epoch) alone, so a resumed run sees the same order.
std::vector<int> epoch_order(int count, uint64_t seed, int epoch);

// The generator for the crop of sample `position` (0-based within the epoch, i.e. step * batch +
// row) — independent of which thread builds it or when.
Random sample_random(uint64_t seed, int epoch, int64_t position);

// The generator for a validation image's one fixed crop, keyed by the file's key so that it is the
// same every epoch and does not move when other files are added.
Random validation_random(uint64_t seed, const std::string& key);

// One process's share of every batch in a data-parallel run: rows [first, first + rows) of a
// global batch of `total`. Rank r of N holds [r*B/N, (r+1)*B/N): contiguous, sizes differing by
// at most one, and together exactly the batch one process would have built.
struct BatchShard {
  int first = 0, rows = 0, total = 0;
  static BatchShard of(int batch, int rank, int ranks) {
    const int first = int(int64_t(batch) * rank / ranks), end = int(int64_t(batch) * (rank + 1) / ranks);
    return {first, end - first, batch};
  }
  int after() const { return total - first - rows; }  // rows of the batch past this share
  bool whole() const { return first == 0 && rows == total; }
};

// A batch for the network: lightness [B,S,S,1] (L/100) and target ab [B,S,S,2] (ab/128).
struct Batch {
  Tensor lightness;
  Tensor ab;
  int epoch = 0;  // for training batches; -1 for validation
  int step = 0;   // index within the epoch (or of the validation batch)
};

// Row `row` of a batch from one image: sample_crop into the batch's tensors (shapes must be
// [B,S,S,1] and [B,S,S,2] with S = options.crop).
void fill_batch_row(Batch& batch, int row, const Image& rgb8, const CropOptions& options,
                    Random& rng);

}  // namespace tint
