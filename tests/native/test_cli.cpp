// `tint` end to end on a generated tiny model and generated images: the real executable, run
// through the shell, checked by its exit status, messages and output files.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "file_io.h"
#include "run_tint.h"
#include "image_io.h"
#include "lab.h"
#include "model.h"
#include "safetensors.h"
#include "weights.h"

using namespace tint;
namespace fs = std::filesystem;

namespace {


// A fresh folder with a tiny model and a few images.
struct Workspace {
  fs::path dir;
  std::string model;
  Workspace() {
    dir = fs::temp_directory_path() / ("tint-cli-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto architecture = parse_architecture(R"({"name": "tiny", "working_size": 32, "layers": [
      {"name": "enc", "op": "conv", "out": 8, "stride": 2, "activation": "relu"},
      {"name": "up", "op": "upsample", "mode": "bilinear"},
      {"name": "head", "op": "conv", "out": 2},
      {"name": "out", "op": "tanh"}]})", "tiny.json");
    REQUIRE(architecture.is_ok());
    auto created = create_model(architecture.value(), 5);
    REQUIRE(created.is_ok());
    for (auto& parameter : created->parameters)
      for (float& v : parameter.values) v *= 3.0f;  // strong colours
    const auto bytes = save_model(created.value(), Dtype::f16);
    model = (dir / "tiny.safetensors").string();
    REQUIRE(write_file_atomic(model, bytes.data(), bytes.size()).is_ok());
  }
  ~Workspace() { fs::remove_all(dir); }
  std::string write(const std::string& name, const Image& image) {
    const std::string path = (dir / name).string();
    REQUIRE(write_image(path, image).is_ok());
    return path;
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

Image pattern(int width, int height, int channels) {
  Image image(width, height, channels);
  for (size_t i = 0; i < image.data.size(); ++i) image.data[i] = uint8_t((i * 37 + i / 7) % 251);
  return image;
}

}  // namespace

TEST_CASE("tint colorize: output has the input's size, lightness and alpha") {
  Workspace ws;
  const Image input = pattern(45, 31, 4);
  const std::string in = ws.write("rgba.png", input);
  const TintRun run = run_tint("colorize " + in + " -o " + ws.path("out.png") + " --model " + ws.model);
  INFO(run.output);
  REQUIRE(run.status == 0);
  auto output = read_image(ws.path("out.png"));
  REQUIRE(output.is_ok());
  CHECK(output->width == 45);
  CHECK(output->height == 31);
  REQUIRE(output->channels == 4);
  float worst_lightness = 0;
  bool alpha_kept = true;
  for (size_t p = 0; p < 45 * 31; ++p) {
    const uint8_t* a = &input.data[p * 4];
    const uint8_t* b = &output->data[p * 4];
    const float la = srgb_to_lightness(a[0] / 255.f, a[1] / 255.f, a[2] / 255.f);
    const float lb = srgb_to_lightness(b[0] / 255.f, b[1] / 255.f, b[2] / 255.f);
    worst_lightness = std::max(worst_lightness, std::fabs(la - lb));
    alpha_kept &= a[3] == b[3];
  }
  CHECK(worst_lightness <= 1.0f);
  CHECK(alpha_kept);
}

TEST_CASE("tint colorize: a bad input is reported in one line, skipped, and fails the run") {
  Workspace ws;
  const std::string good1 = ws.write("a.png", pattern(20, 20, 1));
  const std::string good2 = ws.write("c.jpg", pattern(16, 24, 3));
  const std::string bad = ws.path("b.png");
  std::ofstream(bad) << "this is not a png";
  const std::string out_dir = ws.path("out");
  const TintRun run = run_tint("colorize " + good1 + " " + bad + " " + good2 + " --out-dir " + out_dir + " --model " +
                           ws.model + " --threads 2");
  INFO(run.output);
  CHECK(run.status == 1);
  CHECK(fs::exists(out_dir + "/a.png"));
  CHECK(fs::exists(out_dir + "/c.png"));
  CHECK_FALSE(fs::exists(out_dir + "/b.png"));
  size_t error_lines = 0;
  std::string line;
  for (std::istringstream lines(run.output); std::getline(lines, line);) error_lines += line.find("b.png") != std::string::npos;
  CHECK(error_lines == 1);
  // Nothing partial or temporary is left in the output folder.
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(out_dir)) files += entry.is_regular_file();
  CHECK(files == 2);
}

TEST_CASE("tint colorize: an unwritable output leaves no file and fails") {
  Workspace ws;
  const std::string in = ws.write("a.png", pattern(10, 10, 3));
  const std::string blocker = ws.path("file");
  std::ofstream(blocker) << "x";
  const TintRun run = run_tint("colorize " + in + " -o " + blocker + "/out.png --model " + ws.model);
  INFO(run.output);
  CHECK(run.status == 1);
  CHECK(line_count(run.output) == 2);  // the error, then the summary
}

TEST_CASE("tint colorize: an existing output is replaced whole") {
  Workspace ws;
  const std::string in = ws.write("a.png", pattern(12, 9, 3));
  const std::string out = ws.path("out.jpg");
  std::ofstream(out) << "old contents";
  const TintRun run = run_tint("colorize " + in + " -o " + out + " --model " + ws.model + " --quality 80 --backend simd");
  INFO(run.output);
  REQUIRE(run.status == 0);
  auto output = read_image(out);
  REQUIRE(output.is_ok());
  CHECK(output->width == 12);
  CHECK(output->height == 9);
}

TEST_CASE("tint: bad flags, bad models and missing values are one-line errors") {
  Workspace ws;
  const std::string in = ws.write("a.png", pattern(8, 8, 3));
  const std::string corrupt = ws.path("corrupt.safetensors");
  std::ofstream(corrupt) << "garbage that is no safetensors file";
  const std::pair<std::string, std::string> cases[] = {
      {"colorize " + in + " -o x.png --model " + corrupt, "corrupt.safetensors"},
      {"colorize " + in + " -o x.png --model " + ws.path("missing.safetensors"), "missing.safetensors"},
      {"colorize " + in + " -o x.gif --model " + ws.model, ".gif"},
      {"colorize " + in + " --model " + ws.model, "-o"},
      {"colorize " + in + " " + in + " -o x.png --model " + ws.model, "--out-dir"},
      {"colorize " + in + " -o x.png --threads 0 --model " + ws.model, "threads"},
      {"colorize " + in + " -o x.png --size 5 --model " + ws.model, "size"},
      {"colorize " + in + " -o x.png --quality 101 --model " + ws.model, "quality"},
      {"colorize " + in + " -o x.png --backend cuda --model " + ws.model, "backend"},
      {"colorize " + in + " -o", "-o"},
      {"colorize " + in + " -o x.png --frobnicate", "frobnicate"},
      {"info " + corrupt, "corrupt.safetensors"},
      {"paint", "paint"},
  };
  for (const auto& [arguments, mentions] : cases) {
    const TintRun run = run_tint(arguments);
    INFO(arguments << "\n" << run.output);
    CHECK(run.status != 0);
    CHECK(run.status < 128);  // an exit, not a crash
    CHECK(line_count(run.output) <= 2);
    CHECK(run.output.find(mentions) != std::string::npos);
  }
  CHECK_FALSE(fs::exists("x.png"));
}

TEST_CASE("tint convert rewrites a model as f16 and back, keeping it loadable") {
  Workspace ws;
  const std::string f32 = ws.path("m32.safetensors"), f16 = ws.path("m16.safetensors");
  TintRun run = run_tint("convert " + ws.model + " " + f32 + " --dtype f32");
  INFO(run.output);
  REQUIRE(run.status == 0);
  run = run_tint("convert " + f32 + " " + f16);
  REQUIRE(run.status == 0);
  CHECK(fs::file_size(f16) < fs::file_size(f32));
  auto a = read_file(f32), b = read_file(f16);
  REQUIRE((a.is_ok() && b.is_ok()));
  auto m32 = load_model(a->data(), a->size(), "m32"), m16 = load_model(b->data(), b->size(), "m16");
  REQUIRE((m32.is_ok() && m16.is_ok()));
  float worst = 0;
  for (size_t p = 0; p < m32->parameters.size(); ++p)
    for (size_t i = 0; i < m32->parameters[p].values.size(); ++i)
      worst = std::max(worst, std::fabs(m32->parameters[p].values[i] - m16->parameters[p].values[i]));
  CHECK(worst < 1e-2f);
  CHECK(run_tint("convert " + ws.path("missing.safetensors") + " " + f16).status == 1);
  // Eval figures merged into the training metadata.
  run = run_tint("convert " + f16 + " " + f16 + " --training-field 'eval={\"auc\":0.85}' --training-field epochs=3");
  INFO(run.output);
  REQUIRE(run.status == 0);
  auto c = read_file(f16);
  auto annotated = load_model(c->data(), c->size(), "m16");
  REQUIRE(annotated.is_ok());
  CHECK(annotated->metadata.at("training") == R"({"epochs":3,"eval":{"auc":0.85}})");
  // The architecture renamed, nothing else changed.
  const std::string renamed = ws.path("renamed.safetensors");
  REQUIRE(run_tint("convert " + f16 + " " + renamed + " --name shipped-name").status == 0);
  auto d = read_file(renamed);
  auto named = load_model(d->data(), d->size(), "renamed");
  REQUIRE(named.is_ok());
  CHECK(named->architecture.name == "shipped-name");
  CHECK(annotated->architecture.name != "shipped-name");
  CHECK(named->architecture.layers.size() == annotated->architecture.layers.size());
  CHECK(named->parameters.size() == annotated->parameters.size());
  CHECK(named->metadata.at("training") == annotated->metadata.at("training"));
  CHECK(run_tint("convert " + f16 + " " + renamed + " --name ''").status != 0);
  CHECK(run_tint("convert " + f16 + " " + f16 + " --training-field 'eval={bad'").status == 2);
  CHECK(run_tint("convert " + ws.model + " " + f16 + " --dtype f8").status != 0);
}

TEST_CASE("tint convert --dtype i8 writes 8-bit weights that colourise like the original") {
  Workspace ws;
  const std::string i8 = ws.path("m8.safetensors"), kept = ws.path("m8k.safetensors");
  TintRun run = run_tint("convert " + ws.model + " " + i8 + " --dtype i8");
  INFO(run.output);
  REQUIRE(run.status == 0);
  auto bytes = read_file(i8);
  REQUIRE(bytes.is_ok());
  auto file = parse_safetensors(bytes->data(), bytes->size(), "m8");
  REQUIRE(file.is_ok());
  int quantised = 0;
  for (const TensorEntry& entry : file->tensors) quantised += entry.dtype == Dtype::i8;
  CHECK(quantised > 0);
  const std::string first = "enc";  // the Workspace model's first layer
  run = run_tint("convert " + ws.model + " " + kept + " --dtype i8 --keep-float " + first);
  REQUIRE(run.status == 0);
  auto kept_bytes = read_file(kept);
  auto kept_file = parse_safetensors(kept_bytes->data(), kept_bytes->size(), "m8k");
  REQUIRE(kept_file.is_ok());
  CHECK(kept_file->find(first + ".weight")->dtype == Dtype::f16);
  // The 8-bit model colourises close to the original (8-bit output, mean difference).
  const std::string out_a = ws.path("a.png"), out_b = ws.path("b.png");
  const std::string in = ws.write("in.png", pattern(40, 30, 3));
  REQUIRE(run_tint("colorize " + in + " -o " + out_a + " --model " + ws.model).status == 0);
  REQUIRE(run_tint("colorize " + in + " -o " + out_b + " --model " + i8).status == 0);
  auto a = read_image(out_a), b = read_image(out_b);
  REQUIRE((a.is_ok() && b.is_ok()));
  REQUIRE(a->data.size() == b->data.size());
  double difference = 0;
  for (size_t i = 0; i < a->data.size(); ++i) difference += std::abs(int(a->data[i]) - int(b->data[i]));
  CHECK(difference / double(a->data.size()) < 1.0);
  // Bad flags: one line, exit 2, nothing written.
  CHECK(run_tint("convert " + ws.model + " " + ws.path("x.safetensors") + " --keep-float " + first).status == 2);
  run = run_tint("convert " + ws.model + " " + ws.path("x.safetensors") + " --dtype i8 --keep-float nosuchlayer");
  CHECK(run.status == 2);
  CHECK_THAT(run.output, Catch::Contains("no such layer"));
  CHECK_FALSE(fs::exists(ws.path("x.safetensors")));
}

TEST_CASE("tint --help, info and bench work") {
  Workspace ws;
  for (const char* command : {"--help", "colorize --help", "info --help", "bench --help", "train --help", "eval --help",
                              "convert --help"}) {
    const TintRun run = run_tint(command);
    INFO(command << "\n" << run.output);
    CHECK(run.status == 0);
    CHECK(run.output.find("Usage") != std::string::npos);
  }
  TintRun run = run_tint("info " + ws.model);
  INFO(run.output);
  CHECK(run.status == 0);
  CHECK(run.output.find("parameters    226") != std::string::npos);  // (1*8*9 + 8) + (8*2*9 + 2)
  run = run_tint("bench --model " + ws.model + " --size 32 --runs 1");
  CHECK(run.status == 0);
  CHECK(run.output.find("total") != std::string::npos);
}
