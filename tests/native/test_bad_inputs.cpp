// The bad-input catalogue for the CLI: every kind of broken image, weights file, output path and
// flag people will feed tint, in one table. Each must give a clear one-line message naming what
// is wrong, a non-zero exit (not a crash), no partial output, and — for a bad image in a batch —
// the other images of the batch still colourised. (The WASM API's catalogue is in
// tests/node/bad_inputs.test.mjs.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "file_io.h"
#include "image_fixtures.h"
#include "model.h"
#include "run_tint.h"
#include "safetensors.h"
#include "temp_folder.h"
#include "weights.h"

using namespace tint_test;
using tint::Dtype;
namespace fs = std::filesystem;

namespace {

std::string folder() {
  static int counter = 0;
  const std::string path = test_temp_root() + "/case" + std::to_string(++counter);
  fs::create_directories(path);
  return path;
}

std::string write(const std::string& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), long(bytes.size()));
  return path;
}

Bytes truncated(Bytes bytes, double keep) {
  bytes.resize(size_t(double(bytes.size()) * keep));
  return bytes;
}

// PNG whose IHDR claims width x height, with a tiny valid IDAT: a decompression bomb if large.
Bytes png_claiming(uint32_t width, uint32_t height) {
  Image one(1, 1, 3);
  Bytes png = hand_png(one);
  for (int i = 0; i < 4; ++i) png[16 + i] = uint8_t(width >> (24 - 8 * i)), png[20 + i] = uint8_t(height >> (24 - 8 * i));
  const uint32_t crc = crc32(png.data() + 12, 17);  // IHDR type + data
  for (int i = 0; i < 4; ++i) png[29 + i] = uint8_t(crc >> (24 - 8 * i));
  return png;
}

// Offset of the first `marker` segment (0xFF, marker) of a JPEG with at least `room` bytes after
// it; fails the test when there is none.
size_t jpeg_segment(const Bytes& jpeg, uint8_t marker, size_t room) {
  for (size_t i = 2; i + room < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == marker) return i;
  }
  FAIL("no 0xFF 0x" << std::hex << int(marker) << " segment in stb's JPEG");
  return 0;
}

// A baseline JPEG whose frame header claims width x height.
Bytes jpeg_claiming(uint16_t width, uint16_t height) {
  Bytes jpeg = stb_encode(pattern_image(16, 16, 3), StbFormat::jpeg);
  const size_t i = jpeg_segment(jpeg, 0xC0, 9);  // SOF0
  jpeg[i + 5] = uint8_t(height >> 8), jpeg[i + 6] = uint8_t(height);
  jpeg[i + 7] = uint8_t(width >> 8), jpeg[i + 8] = uint8_t(width);
  return jpeg;
}

// stb's JPEG with its Huffman tables' segment overwritten: the entropy data cannot be read.
Bytes jpeg_corrupt_tables() {
  Bytes jpeg = stb_encode(pattern_image(32, 32, 3), StbFormat::jpeg);
  const size_t i = jpeg_segment(jpeg, 0xC4, 4);  // DHT
  const size_t length = size_t(jpeg[i + 2]) << 8 | jpeg[i + 3];
  for (size_t k = 4; k < 2 + length && i + k < jpeg.size(); ++k) jpeg[i + k] = 0xFF;
  return jpeg;
}

// A JPEG whose segments with this marker (DHT, DQT) are renamed to comments: its scan then uses
// tables that were never defined.
Bytes jpeg_without(uint8_t marker) {
  Bytes jpeg = stb_encode(pattern_image(32, 32, 3), StbFormat::jpeg);
  for (size_t i = 2; i + 4 < jpeg.size();) {
    if (jpeg[i] != 0xFF || jpeg[i + 1] == 0xDA) break;
    if (jpeg[i + 1] == marker) jpeg[i + 1] = 0xFE;
    i += 2 + (size_t(jpeg[i + 2]) << 8 | jpeg[i + 3]);
  }
  return jpeg;
}

// A file from a fuzz run (issue 16): a corrupt progressive JPEG whose scan uses a Huffman table it
// never defines; stb_image alone would decode it from uninitialised memory.
Bytes regression_file(const char* name) {
  auto bytes = tint::read_file(std::string(TINT_TEST_DATA_DIR) + "/regressions/" + name);
  REQUIRE(bytes.is_ok());
  return bytes.value();
}

Bytes png_corrupt_data() {
  Bytes png = stb_encode(pattern_image(40, 30, 3), StbFormat::png);
  for (size_t i = 0; i + 8 < png.size(); ++i) {
    if (std::memcmp(&png[i], "IDAT", 4) == 0) {
      for (size_t k = i + 6; k < i + 40; ++k) png[k] ^= 0x5A;  // inside the zlib stream
      return png;
    }
  }
  FAIL("no IDAT");
  return png;
}

Bytes webp_corrupt() {
  Bytes webp = webp_lossy(pattern_image(40, 30, 3));  // RIFF, WEBP, "VP8 ", size, frame tag, start code at 23
  REQUIRE(webp[23] == 0x9d);
  webp[23] = webp[24] = webp[25] = 0;      // a frame that is not one
  return webp;
}

Bytes webp_claiming(uint32_t width, uint32_t height) {  // VP8X canvas of width x height
  Bytes webp = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X', 10, 0, 0, 0, 0, 0, 0, 0};
  put_le(webp, width - 1, 3);
  put_le(webp, height - 1, 3);
  const uint32_t size = uint32_t(webp.size() - 8);
  for (int i = 0; i < 4; ++i) webp[4 + i] = uint8_t(size >> (8 * i));
  return webp;
}

Bytes gif_corrupt() {
  Bytes gif = hand_gif(4, 3, {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3});
  gif[gif.size() - 20] = 0xFF;  // a sub-block length running past the end
  gif.resize(gif.size() - 10);
  return gif;
}

Bytes gif_claiming(uint16_t width, uint16_t height) {
  Bytes gif = hand_gif(2, 2, {0, 1, 2, 3});
  gif[6] = uint8_t(width), gif[7] = uint8_t(width >> 8), gif[8] = uint8_t(height), gif[9] = uint8_t(height >> 8);
  return gif;
}

// The CLI's test model, and variants of it broken in one way each.
// hints: the model also reads colour hints (inputs lightness, hint_ab, hint_mask).
tint::Model tiny_model(bool hints = false) {
  const std::string inputs = hints ? R"("inputs": ["lightness", "hint_ab", "hint_mask"], )" : "";
  auto architecture = tint::parse_architecture(R"({"name": "tiny", )" + inputs + R"("working_size": 32, "layers": [
    {"name": "enc", "op": "conv", "out": 4, "stride": 2, "activation": "relu"},
    {"name": "up", "op": "upsample", "mode": "bilinear"},
    {"name": "head", "op": "conv", "out": 2},
    {"name": "out", "op": "tanh"}]})", "tiny.json");
  REQUIRE(architecture.is_ok());
  auto model = tint::create_model(architecture.value(), 3);
  REQUIRE(model.is_ok());
  return std::move(model.value());
}

Bytes model_bytes(const std::function<void(tint::TensorFile&)>& edit = {}, bool hints = false) {
  tint::TensorFile file = tint::model_to_tensor_file(tiny_model(hints));
  if (edit) edit(file);
  return tint::serialize_safetensors(file, Dtype::f32);
}

// The tiny model as an 8-bit file (I8 weights, F32 scales), edited before writing.
Bytes i8_model_bytes(const std::function<void(tint::TensorFile&)>& edit) {
  const Bytes good = tint::save_model(tiny_model(false), Dtype::i8);
  auto file = tint::parse_safetensors(good.data(), good.size(), "i8");
  REQUIRE(file.is_ok());
  edit(file.value());
  return tint::serialize_safetensors(file.value());
}

size_t files_in(const std::string& path) {
  size_t count = 0;
  if (fs::is_directory(path))
    for (const auto& entry : fs::recursive_directory_iterator(path)) count += entry.is_regular_file();
  return count;
}

}  // namespace

TEST_CASE("bad images in a batch: one line each, non-zero exit, no output for them, the rest done") {
  struct Case {
    const char* kind;
    const char* file;  // name given to the bad file
    std::function<Bytes()> bytes;
    const char* says;  // part of the message
  };
  const Bytes jpeg = stb_encode(pattern_image(64, 48, 3), StbFormat::jpeg);
  const Bytes png = stb_encode(pattern_image(64, 48, 3), StbFormat::png);
  const Bytes webp = webp_lossless(pattern_image(64, 48, 3));
  const Bytes gif = hand_gif(4, 3, {0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3});
  const std::vector<Case> cases = {
      {"truncated JPEG", "cut.jpg", [&] { return truncated(jpeg, 0.5); }, "cut.jpg"},
      {"JPEG cut inside its header", "head.jpg", [&] { return truncated(jpeg, 0.05); }, "head.jpg"},
      {"corrupt JPEG (broken Huffman tables)", "tables.jpg", [] { return jpeg_corrupt_tables(); }, "tables.jpg"},
      {"JPEG without Huffman tables", "nodht.jpg", [] { return jpeg_without(0xC4); }, "undefined Huffman table"},
      {"JPEG without quantisation tables", "nodqt.jpg", [] { return jpeg_without(0xDB); }, "undefined quantisation table"},
      {"progressive JPEG using an undefined Huffman table (fuzz regression)", "huffman.jpg",
       [] { return regression_file("jpeg-uninitialised-huffman.jpg"); }, "corrupt JPEG data (undefined Huffman table)"},
      {"truncated PNG", "cut.png", [&] { return truncated(png, 0.6); }, "cut.png"},
      {"corrupt PNG (zlib data)", "zlib.png", [] { return png_corrupt_data(); }, "zlib.png"},
      {"truncated WebP", "cut.webp", [&] { return truncated(webp, 0.5); }, "cut.webp"},
      {"corrupt WebP", "bad.webp", [] { return webp_corrupt(); }, "bad.webp"},
      {"truncated GIF", "cut.gif", [&] { return truncated(gif, 0.5); }, "cut.gif"},
      {"corrupt GIF", "bad.gif", [] { return gif_corrupt(); }, "bad.gif"},
      {"zero width PNG", "w0.png", [] { return png_claiming(0, 10); }, "w0.png"},
      {"zero height PNG", "h0.png", [] { return png_claiming(10, 0); }, "h0.png"},
      {"decompression bomb PNG (100000 x 100000)", "bomb.png", [] { return png_claiming(100000, 100000); }, "limit"},
      {"decompression bomb JPEG (65000 x 65000)", "bomb.jpg", [] { return jpeg_claiming(65000, 65000); }, "limit"},
      {"decompression bomb WebP (16000 x 16000)", "bomb.webp", [] { return webp_claiming(16000, 16000); }, "bomb.webp"},
      {"decompression bomb GIF (65535 x 65535)", "bomb.gif", [] { return gif_claiming(65535, 65535); }, "bomb.gif"},
      {"text file with an image extension", "notes.jpg", [] { return Bytes{'h', 'e', 'l', 'l', 'o', '\n'}; }, "notes.jpg"},
      {"PNG bytes named .jpg (works: decoded by content)", "", {}, ""},
      {"empty file", "empty.png", [] { return Bytes{}; }, "empty.png"},
  };
  for (const auto& c : cases) {
    if (!c.bytes) continue;  // the content-sniffing row is checked below
    DYNAMIC_SECTION(c.kind) {
      const std::string dir = folder();
      const std::string good1 = write(dir + "/a.png", png);
      const std::string bad = write(dir + "/" + c.file, c.bytes());
      const std::string good2 = write(dir + "/z.webp", webp);
      const std::string out = dir + "/out";
      const TintRun run = run_tint("colorize " + good1 + " " + bad + " " + good2 + " --out-dir " + out + " --model " +
                                   write(dir + "/m.safetensors", model_bytes()));
      INFO(run.output);
      CHECK(run.status == 1);
      CHECK(run.output.find(c.says) != std::string::npos);
      size_t lines_naming_bad = 0;
      std::istringstream lines(run.output);
      for (std::string line; std::getline(lines, line);) lines_naming_bad += line.find(c.file) != std::string::npos;
      CHECK(lines_naming_bad == 1);
      CHECK(fs::exists(out + "/a.png"));
      CHECK(fs::exists(out + "/z.png"));
      CHECK(files_in(out) == 2);  // nothing for the bad file, nothing temporary
    }
  }
  SECTION("PNG bytes named .jpg are decoded by content") {
    const std::string dir = folder();
    const std::string in = write(dir + "/really-png.jpg", png);
    const TintRun run = run_tint("colorize " + in + " -o " + dir + "/o.png --model " + write(dir + "/m.safetensors", model_bytes()));
    INFO(run.output);
    CHECK(run.status == 0);
    CHECK(fs::exists(dir + "/o.png"));
  }
  SECTION("a 1x1 image is valid") {
    const std::string dir = folder();
    const std::string in = write(dir + "/dot.png", stb_encode(pattern_image(1, 1, 3), StbFormat::png));
    const TintRun run = run_tint("colorize " + in + " -o " + dir + "/o.png --model " + write(dir + "/m.safetensors", model_bytes()));
    INFO(run.output);
    CHECK(run.status == 0);
    CHECK(fs::exists(dir + "/o.png"));
  }
}

TEST_CASE("bad paths, weights and flags: one line, non-zero exit, no output file") {
  struct Case {
    const char* kind;
    std::function<std::string(const std::string& dir, const std::string& in, const std::string& model)> arguments;
    const char* says;
  };
  const auto weights = [](const std::string& dir, const char* name, const Bytes& bytes) {
    return write(dir + "/" + name, bytes);
  };
  const std::vector<Case> cases = {
      {"directory as input", [](auto& dir, auto&, auto& m) { fs::create_directories(dir + "/folder.png"); return dir + "/folder.png -o " + dir + "/o.png --model " + m; }, "folder.png"},
      {"missing input", [](auto& dir, auto&, auto& m) { return dir + "/nothing.png -o " + dir + "/o.png --model " + m; }, "nothing.png"},
      {"output below a regular file", [](auto& dir, auto& in, auto& m) { write(dir + "/file", {'x'}); return in + " -o " + dir + "/file/o.png --model " + m; }, "file/o.png"},
      {"output in a missing folder", [](auto& dir, auto& in, auto& m) { return in + " -o " + dir + "/no/such/o.png --model " + m; }, "o.png"},
      {"output format unknown", [](auto& dir, auto& in, auto& m) { return in + " -o " + dir + "/o.tiff --model " + m; }, ".tiff"},
      {"corrupt weights", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --model " + weights(dir, "junk.safetensors", {'n', 'o', 'p', 'e', 0, 0, 0, 0, 1, 2}); }, "junk.safetensors"},
      {"truncated weights", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --model " + weights(dir, "cut.safetensors", truncated(model_bytes(), 0.7)); }, "cut.safetensors"},
      {"empty weights", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --model " + weights(dir, "empty.safetensors", {}); }, "empty.safetensors"},
      {"wrong format version", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --model " + weights(dir, "v9.safetensors", model_bytes([](tint::TensorFile& f) { f.metadata["format_version"] = "9"; })); }, "format_version"},
      {"wrong tensor shape", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --model " + weights(dir, "shape.safetensors", model_bytes([](tint::TensorFile& f) { f.tensors[0].shape = {int64_t(f.tensors[0].values.size())}; })); }, "shape"},
      {"NaN in weights", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --model " + weights(dir, "nan.safetensors", model_bytes([](tint::TensorFile& f) { f.tensors[1].values[0] = NAN; })); }, "NaN"},
      {"Inf in weights", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --model " + weights(dir, "inf.safetensors", model_bytes([](tint::TensorFile& f) { f.tensors[0].values[2] = -INFINITY; })); }, "Inf"},
      {"8-bit weights with a zero scale", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --model " + weights(dir, "zero.safetensors", i8_model_bytes([](tint::TensorFile& f) { for (auto& t : f.tensors) if (t.name == "enc.weight.scale") t.values[1] = 0.0f; })); }, "scales must be positive"},
      {"8-bit weights without their scales", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --model " + weights(dir, "noscale.safetensors", i8_model_bytes([](tint::TensorFile& f) { f.tensors.erase(std::remove_if(f.tensors.begin(), f.tensors.end(), [](auto& t) { return t.name == "head.weight.scale"; }), f.tensors.end()); })); }, "has no head.weight.scale"},
      {"an image as weights", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --model " + in; }, "in.png"},
      {"--threads 0", [](auto& dir, auto& in, auto& m) { return in + " -o " + dir + "/o.png --threads 0 --model " + m; }, "threads"},
      {"--threads 100000", [](auto& dir, auto& in, auto& m) { return in + " -o " + dir + "/o.png --threads 100000 --model " + m; }, "threads"},
      {"--size 0", [](auto& dir, auto& in, auto& m) { return in + " -o " + dir + "/o.png --size 0 --model " + m; }, "size"},
      {"--size not a number", [](auto& dir, auto& in, auto& m) { return in + " -o " + dir + "/o.png --size big --model " + m; }, "size"},
      {"--quality 0", [](auto& dir, auto& in, auto& m) { return in + " -o " + dir + "/o.jpg --quality 0 --model " + m; }, "quality"},
      {"--max-megapixels -1", [](auto& dir, auto& in, auto& m) { return in + " -o " + dir + "/o.png --max-megapixels -1 --model " + m; }, "max-megapixels"},
      {"image above --max-megapixels", [](auto& dir, auto& in, auto& m) { return in + " -o " + dir + "/o.png --max-megapixels 0.001 --model " + m; }, "limit"},
      {"unknown flag", [](auto& dir, auto& in, auto& m) { return in + " -o " + dir + "/o.png --colour-boost 3 --model " + m; }, "colour-boost"},
      {"a hint for a model without hint inputs", [](auto& dir, auto& in, auto& m) { return in + " -o " + dir + "/o.png --hint 1,1,#ff0000 --model " + m; }, "takes no colour hints"},
      {"a hint outside the photo", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --hint 48,3,#ff0000 --model " + weights(dir, "h.safetensors", model_bytes({}, true)); }, "outside the 48x40 image"},
      {"a hint with a malformed colour", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --hint 1,1,#ff00 --model " + weights(dir, "h.safetensors", model_bytes({}, true)); }, "is not #rrggbb"},
      {"a malformed hint", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --hint 1:1:red --model " + weights(dir, "h.safetensors", model_bytes({}, true)); }, "is not X,Y,#rrggbb"},
      {"a malformed hints file", [&](auto& dir, auto& in, auto&) { return in + " -o " + dir + "/o.png --hints " + write(dir + "/h.json", {'[', '{'}) + " --model " + weights(dir, "h.safetensors", model_bytes({}, true)); }, "h.json: not valid JSON"},
      {"a hints file with a bad entry", [&](auto& dir, auto& in, auto&) { const std::string json = R"([{"x": 1, "y": -2, "color": "#ffffff"}])"; return in + " -o " + dir + "/o.png --hints " + write(dir + "/h.json", Bytes(json.begin(), json.end())) + " --model " + weights(dir, "h.safetensors", model_bytes({}, true)); }, "hint #1: x and y"},
      {"1001 hints", [&](auto& dir, auto& in, auto&) {
         std::string json = "[";
         for (int i = 0; i < 1001; ++i) json += std::string(i ? "," : "") + R"({"x": 1, "y": 1, "color": "#ffffff"})";
         json += "]";
         return in + " -o " + dir + "/o.png --hints " + write(dir + "/h.json", Bytes(json.begin(), json.end())) + " --model " + weights(dir, "h.safetensors", model_bytes({}, true)); }, "more than the 1000 allowed"},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.kind) {
      const std::string dir = folder();
      const std::string in = write(dir + "/in.png", stb_encode(pattern_image(48, 40, 3), StbFormat::png));
      const std::string model = write(dir + "/m.safetensors", model_bytes());
      const TintRun run = run_tint("colorize " + c.arguments(dir, in, model));
      INFO(run.output);
      CHECK(run.status != 0);
      CHECK(run.status < 128);  // an exit, not a crash
      CHECK(line_count(run.output) <= 2);
      CHECK(run.output.find(c.says) != std::string::npos);
      for (const char* output : {"/o.png", "/o.jpg", "/o.tiff"}) CHECK_FALSE(fs::exists(dir + output));
      // Nothing but what the case itself put there.
      for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        CHECK((name.find(".tmp") == std::string::npos && name.find("o.") != 0));
      }
    }
  }
}
