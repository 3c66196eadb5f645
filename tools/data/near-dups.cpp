// near-dups: finds photos that are the same picture at another size or encoding, for
// tools/fetch-data.sh, which compiles it into data/.cache/ (g++ -O2, stb_image from libstb-dev).
//
// Usage: near-dups SAME_DISTANCE EVAL_DISTANCE <list
//   list: one photo a line, "train<TAB>file" or "eval<TAB>file", training photos in list order.
// Each photo gets a 256-bit difference hash: its luma (Rec. 601 weights on the 8-bit values),
// box-averaged onto a 17x16 grid; bit (x, y) is 1 where cell (x, y) is brighter than cell
// (x + 1, y). Resizing and re-encoding barely change it (a 4-times-smaller JPEG of a photo
// differs from it in about 5 bits, a 100-pixel-wide one in about 15, a 50-pixel one in 25 to 40);
// cropping, rotating or mirroring does. Two training photos are the same picture when their
// hashes differ in at most SAME_DISTANCE bits, a training and an evaluation photo in at most
// EVAL_DISTANCE bits.
// Prints, tab-separated:
//   same     DROPPED  KEPT  DISTANCE   training photos that are the same picture: of each group the photo with the
//                                      most pixels is kept (ties: the first listed), the rest go
//   match    TRAIN  EVAL  DISTANCE     a kept training photo near an evaluation photo
//   checked  TRAINING_PHOTOS  EVALUATION_PHOTOS  CLOSEST_DISTANCE  TRAIN  EVAL
//                                      (the closest training/evaluation pair, matched or not)
// Exit status: 0 when every photo was read, 1 otherwise (the reason on stderr), 2 for bad usage.
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#include <stb/stb_image.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

constexpr int kSide = 16;  // kSide x kSide bits
using Hash = std::bitset<kSide * kSide>;

struct Photo {
  std::string file;
  bool train = false;
  long long pixels = 0;
  Hash hash;
};

bool hash_photo(Photo& photo) {
  int width = 0, height = 0, channels = 0;
  unsigned char* rgb = stbi_load(photo.file.c_str(), &width, &height, &channels, 3);
  if (rgb == nullptr) {
    std::fprintf(stderr, "near-dups: cannot read %s: %s\n", photo.file.c_str(), stbi_failure_reason());
    return false;
  }
  constexpr int kColumns = kSide + 1, kRows = kSide;
  std::array<double, kColumns * kRows> cells{};
  for (int row = 0; row < kRows; ++row) {
    const int y0 = static_cast<int>(static_cast<long long>(row) * height / kRows);
    const int y1 = std::max(y0 + 1, static_cast<int>(static_cast<long long>(row + 1) * height / kRows));
    for (int column = 0; column < kColumns; ++column) {
      const int x0 = static_cast<int>(static_cast<long long>(column) * width / kColumns);
      const int x1 = std::max(x0 + 1, static_cast<int>(static_cast<long long>(column + 1) * width / kColumns));
      double sum = 0;
      for (int y = y0; y < y1; ++y) {
        const unsigned char* pixel = rgb + 3 * (static_cast<long long>(y) * width + x0);
        for (int x = x0; x < x1; ++x, pixel += 3) sum += 0.299 * pixel[0] + 0.587 * pixel[1] + 0.114 * pixel[2];
      }
      cells[row * kColumns + column] = sum / (static_cast<double>(y1 - y0) * (x1 - x0));
    }
  }
  stbi_image_free(rgb);
  for (int row = 0; row < kRows; ++row) {
    for (int column = 0; column < kSide; ++column) {
      photo.hash[row * kSide + column] = cells[row * kColumns + column] > cells[row * kColumns + column + 1];
    }
  }
  photo.pixels = static_cast<long long>(width) * height;
  return true;
}

int distance(const Photo& a, const Photo& b) { return static_cast<int>((a.hash ^ b.hash).count()); }

}  // namespace

int main(int argc, char** argv) {
  long limits[2] = {-1, -1};
  for (int i = 1; i < argc && i <= 2; ++i) {
    char* end = nullptr;
    limits[i - 1] = std::strtol(argv[i], &end, 10);
    if (end == argv[i] || *end != '\0') limits[i - 1] = -1;
  }
  const long same_distance = limits[0], eval_distance = limits[1];
  if (argc != 3 || same_distance < 0 || eval_distance < 0) {
    std::fprintf(stderr, "usage: near-dups SAME_DISTANCE EVAL_DISTANCE <list (lines: train|eval<TAB>file)\n");
    return 2;
  }
  std::vector<Photo> photos;
  std::string line;
  bool ok = true;
  while (std::getline(std::cin, line)) {
    const auto tab = line.find('\t');
    const std::string split = line.substr(0, tab);
    if (tab == std::string::npos || (split != "train" && split != "eval")) {
      std::fprintf(stderr, "near-dups: bad line \"%s\"\n", line.c_str());
      return 2;
    }
    Photo photo;
    photo.file = line.substr(tab + 1);
    photo.train = split == "train";
    ok = hash_photo(photo) && ok;
    photos.push_back(std::move(photo));
  }
  if (!ok) return 1;

  // Training photos, the biggest first (stable: ties stay in list order); each one near a photo
  // already kept is dropped.
  std::vector<size_t> order, kept, evals;
  for (size_t i = 0; i < photos.size(); ++i) (photos[i].train ? order : evals).push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return photos[a].pixels > photos[b].pixels; });
  for (size_t i : order) {
    int best = -1;
    size_t best_kept = 0;
    for (size_t k : kept) {
      const int d = distance(photos[i], photos[k]);
      if (d <= same_distance && (best < 0 || d < best)) best = d, best_kept = k;
    }
    if (best < 0) {
      kept.push_back(i);
    } else {
      std::printf("same\t%s\t%s\t%d\n", photos[i].file.c_str(), photos[best_kept].file.c_str(), best);
    }
  }
  std::sort(kept.begin(), kept.end());  // back to list order

  int closest = -1;
  size_t closest_train = 0, closest_eval = 0;
  for (size_t t : kept) {
    for (size_t e : evals) {
      const int d = distance(photos[t], photos[e]);
      if (d <= eval_distance) std::printf("match\t%s\t%s\t%d\n", photos[t].file.c_str(), photos[e].file.c_str(), d);
      if (closest < 0 || d < closest) closest = d, closest_train = t, closest_eval = e;
    }
  }
  std::printf("checked\t%zu\t%zu\t%d\t%s\t%s\n", kept.size(), evals.size(), closest,
              kept.empty() || evals.empty() ? "-" : photos[closest_train].file.c_str(),
              kept.empty() || evals.empty() ? "-" : photos[closest_eval].file.c_str());
  return 0;
}
