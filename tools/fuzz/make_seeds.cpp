// Writes the fuzzers' seed corpora: tint-fuzz-seeds DIR makes DIR/image, DIR/safetensors,
// DIR/rcc and DIR/cifar10, each with a few small valid files of that kind (built with the same
// fixtures as the tests) and a few near misses. Run by tools/fuzz.sh before each fuzzing run.
// DIR/photos gets eight small photos (about 64x48), the training and eval data of tools/memcheck.sh.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "image_fixtures.h"
#include "photo_seeds.h"
#include "model.h"
#include "rcc_fixtures.h"
#include "safetensors.h"
#include "weights.h"

namespace fs = std::filesystem;
using namespace tint_test;

namespace {

void put(const fs::path& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), long(bytes.size()));
}

Bytes model_file(const char* architecture_json, tint::Dtype dtype) {
  auto architecture = tint::parse_architecture(architecture_json, "seed.json");
  fixture_check(architecture.is_ok(), "architecture");
  auto model = tint::create_model(architecture.value(), 2);
  fixture_check(model.is_ok(), "model");
  return tint::save_model(model.value(), dtype);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: tint-fuzz-seeds DIR\n");
    return 2;
  }
  const fs::path root = argv[1];
  for (const char* kind : {"image", "safetensors", "rcc", "cifar10", "photos"}) fs::create_directories(root / kind);
  for (int i = 0; i < 8; ++i) {
    const std::string name = "photos/" + std::string(1, char('a' + i));
    const tint::Image photo = pattern_image(48 + 4 * i, 40 + 2 * i, i == 3 ? 4 : 3);
    put(root / (name + (i % 3 == 0 ? ".png" : i % 3 == 1 ? ".jpg" : ".webp")),
        i % 3 == 0 ? stb_encode(photo, StbFormat::png) : i % 3 == 1 ? stb_encode(photo, StbFormat::jpeg) : webp_lossy(photo));
  }

  put(root / "image/rgb.png", stb_encode(pattern_image(7, 5, 3), StbFormat::png));
  put(root / "image/grey-alpha.png", stb_encode(pattern_image(4, 6, 2), StbFormat::png));
  put(root / "image/rgba16.png", hand_png(Image(3, 2, 4, 16)));
  put(root / "image/rgb.jpg", stb_encode(pattern_image(16, 9, 3), StbFormat::jpeg));
  put(root / "image/grey.jpg", stb_encode(pattern_image(9, 16, 1), StbFormat::jpeg));
  put(root / "image/exif.jpg", with_segment_after_soi(stb_encode(pattern_image(8, 8, 3), StbFormat::jpeg), exif_segment(6, true)));
  put(root / "image/lossless.webp", webp_lossless(pattern_image(6, 5, 4)));
  put(root / "image/lossy.webp", webp_lossy(pattern_image(10, 7, 3)));
  put(root / "image/four.gif", hand_gif(4, 3, {0, 1, 2, 3, 3, 2, 1, 0, 0, 1, 2, 3}));
  put(root / "image/rgb.bmp", stb_encode(pattern_image(5, 3, 3), StbFormat::bmp));
  put(root / "image/rgb.tga", stb_encode(pattern_image(5, 3, 3), StbFormat::tga));
  tint_photo_seeds::write_photo_seeds(root / "image");

  const char* tiny = R"({"name": "seed", "working_size": 32, "layers": [
    {"name": "first", "op": "conv", "out": 2, "activation": "relu"},
    {"name": "enc", "op": "conv", "out": 2, "stride": 2, "activation": "relu"},
    {"name": "up", "op": "upsample", "mode": "nearest"},
    {"name": "cat", "op": "concat", "with": "first"},
    {"name": "head", "op": "conv", "out": 2}, {"name": "out", "op": "tanh"}]})";
  const char* skip = R"({"name": "skip", "layers": [
    {"name": "a", "op": "conv", "out": 2}, {"name": "d", "op": "dropout", "rate": 0.5},
    {"name": "b", "op": "conv", "out": 2}, {"name": "s", "op": "add", "with": "a"}]})";
  put(root / "safetensors/tiny-f32.safetensors", model_file(tiny, tint::Dtype::f32));
  put(root / "safetensors/tiny-f16.safetensors", model_file(tiny, tint::Dtype::f16));
  put(root / "safetensors/skip.safetensors", model_file(skip, tint::Dtype::f16));
  put(root / "safetensors/tiny-i8.safetensors", model_file(tiny, tint::Dtype::i8));
  tint::TensorFile plain;
  plain.metadata["note"] = "not a model";
  plain.tensors.push_back({"x", {2, 2}, {1, 2, 3, 4}});
  put(root / "safetensors/plain.safetensors", tint::serialize_safetensors(plain, tint::Dtype::f32));

  for (uint32_t version : {1u, 2u, 3u}) {
    put(root / ("rcc/v" + std::to_string(version) + ".rcc"),
        build_rcc(version, {{"a/b/photo.webp", pattern(300, version), true},
                            {"a/c.txt", pattern(20, 7), false},
                            {"empty", {}, true}}).bytes);
  }

  Bytes record(3073);
  for (size_t i = 0; i < record.size(); ++i) record[i] = uint8_t(i * 7);
  put(root / "cifar10/one.bin", record);
  Bytes two = record;
  two.insert(two.end(), record.begin(), record.end());
  put(root / "cifar10/two.bin", two);
  put(root / "cifar10/short.bin", Bytes(record.begin(), record.begin() + 100));
  std::printf("seeds written to %s\n", root.c_str());
  return 0;
}
