// A folder of generated photos and a tiny architecture for end-to-end `tint train` tests, and
// loading and comparing the weights they write.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "file_io.h"
#include "image_io.h"
#include "weights.h"

namespace tint_test {

using namespace tint;
namespace fs = std::filesystem;

inline const char* tiny_arch = R"({"name": "tiny", "working_size": 32, "layers": [
  {"name": "enc", "op": "conv", "out": 6, "stride": 2, "activation": "relu"},
  {"name": "drop", "op": "dropout", "rate": 0.2},
  {"name": "up", "op": "upsample", "mode": "bilinear"},
  {"name": "head", "op": "conv", "out": 2},
  {"name": "out", "op": "tanh"}]})";

struct Workspace {
  fs::path dir;
  std::string data, arch;
  Workspace() {
    dir = fs::temp_directory_path() / ("tint-train-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "photos" / "nested");
    data = (dir / "photos").string();
    for (int i = 0; i < 12; ++i) {
      Image image(40 + 3 * i, 36 + 2 * i, 3);
      for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) {
          uint8_t* p = &image.data[(size_t(y) * image.width + x) * 3];
          p[0] = uint8_t(128 + 100 * std::sin(0.2 * x + i));
          p[1] = uint8_t(128 + 90 * std::sin(0.15 * y + 2 * i));
          p[2] = uint8_t((x * y + 7 * i) % 256);
        }
      const fs::path path = dir / "photos" / (i % 2 ? "nested" : "") / ("p" + std::to_string(i) + (i % 3 ? ".png" : ".jpg"));
      REQUIRE(write_image(path.string(), image).is_ok());
    }
    arch = (dir / "tiny.json").string();
    std::ofstream(arch) << tiny_arch;
  }
  ~Workspace() { fs::remove_all(dir); }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  std::string train(const std::string& out, const std::string& extra) const {
    const std::string epochs = extra.find("--epochs") == std::string::npos ? " --epochs 3" : "";
    return "train --data " + data + " --arch " + arch + " --out-dir " + path(out) + epochs +
           " --batch 4 --crop 32 --lr 0.003 --seed 7 --threads 2 --val 0.3 " + extra;
  }
};

inline Model load(const std::string& path) {
  auto bytes = read_file(path);
  REQUIRE(bytes.is_ok());
  auto model = load_model(bytes->data(), bytes->size(), path);
  REQUIRE(model.is_ok());
  return std::move(model.value());
}

inline bool same_weights(const Model& a, const Model& b) {
  if (a.parameters.size() != b.parameters.size()) return false;
  for (size_t p = 0; p < a.parameters.size(); ++p) {
    const auto& x = a.parameters[p].values;
    const auto& y = b.parameters[p].values;
    if (x.size() != y.size() || std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) != 0) return false;
  }
  return true;
}

// The largest difference between two models' weights (infinity when their shapes differ).
inline double max_difference(const Model& a, const Model& b) {
  if (a.parameters.size() != b.parameters.size()) return INFINITY;
  double largest = 0;
  for (size_t p = 0; p < a.parameters.size(); ++p) {
    const auto& x = a.parameters[p].values;
    const auto& y = b.parameters[p].values;
    if (x.size() != y.size()) return INFINITY;
    for (size_t i = 0; i < x.size(); ++i) largest = std::max(largest, double(std::fabs(x[i] - y[i])));
  }
  return largest;
}

}  // namespace tint_test
