// Architecture schema, validation, shape inference, parameter layout, initialisation, and the
// project's random generator (which create_model draws from).
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include <cmath>
#include <string>

#include "model.h"
#include "random.h"

using namespace tint;

namespace {

// The error message of parsing `json`; fails the test if it parses.
std::string parse_error(const std::string& json) {
  Result<Architecture> result = parse_architecture(json, "arch.json");
  REQUIRE_FALSE(result.is_ok());
  return result.message();
}

// A valid U-Net-like architecture that uses every op.
const char* kSmallUnet = R"({"name": "small", "input_channels": 1, "working_size": 64, "layers": [
  {"name": "enc1", "op": "conv", "out": 8, "stride": 1, "activation": "relu"},
  {"name": "enc2", "op": "conv", "out": 16, "stride": 2, "activation": "relu"},
  {"name": "mid", "op": "conv", "out": 16, "stride": 2, "activation": "relu"},
  {"name": "drop", "op": "dropout", "rate": 0.2},
  {"name": "up1", "op": "upsample", "mode": "bilinear"},
  {"name": "add1", "op": "add", "with": "enc2"},
  {"name": "up2", "op": "upsample"},
  {"name": "cat1", "op": "concat", "with": "enc1"},
  {"name": "head", "op": "conv", "out": 2},
  {"name": "out", "op": "tanh"}]})";

// Wraps a layer list in a valid top level.
std::string with_layers(const std::string& layers) {
  return R"({"name": "t", "layers": [)" + layers + "]}";
}

const std::string kHead = R"({"name": "head", "op": "conv", "out": 2})";

}  // namespace

TEST_CASE("baseline has the hand-computed parameter count and FLOPs") {
  Result<Model> model = create_model(baseline_architecture(), 1);
  REQUIRE(model.is_ok());
  // Per conv (in*9 + 1) * out: enc1 640, enc2 36928, enc3 73856, enc4 147584, enc5 295168,
  // enc6 590080, mid1 1180160, mid2 1179904, mid3 295040, dec1 73792, dec2 18464, head 578.
  CHECK(model->parameter_count() == 3892194);
  // 2*9*in*out*oh*ow: enc1 75497472 (256^2), enc2 1207959552 (128^2), enc3 2415919104,
  // enc4 1207959552 (64^2), enc5 2415919104, enc6 1207959552 (32^2), mid1 2415919104,
  // mid2 2415919104, mid3 603979776, dec1 603979776 (64^2), dec2 603979776 (128^2),
  // head 18874368 (128^2).
  CHECK(model->flops(256, 256) == 15193866240.0);
  CHECK(model->flops(128, 128) * 4 == model->flops(256, 256));
  CHECK(model->architecture.name == "baseline");
  CHECK(model->architecture.working_size == 256);
  CHECK(model->architecture.layers.size() == 17);
  CHECK(stride_multiple(model->architecture) == 8);
}

TEST_CASE("baseline layer shapes and parameter layout") {
  std::vector<LayerShape> shapes;
  const Architecture baseline = baseline_architecture();
  REQUIRE(validate_architecture(baseline, "baseline", &shapes).is_ok());
  REQUIRE(shapes.size() == baseline.layers.size());
  CHECK(shapes[0].in_channels == 1);
  CHECK(shapes[0].out_channels == 64);
  CHECK(shapes[6].depth == 3);   // mid1, after three stride-2 convs
  CHECK(shapes[7].out_channels == 512);  // dropout keeps channels
  CHECK(shapes[16].depth == 0);  // up3 returns to the input resolution
  CHECK(shapes[16].out_channels == 2);
  CHECK(baseline.layers[7].number("rate") == 0.2f);
  CHECK(baseline.layers[14].text("activation") == "none");  // head has no activation

  const std::vector<Parameter> layout = parameter_layout(baseline, shapes);
  REQUIRE(layout.size() == 24);
  CHECK(layout[0].name == "enc1.weight");
  CHECK(layout[0].shape == std::vector<int>{64, 1, 3, 3});
  CHECK(layout[1].name == "enc1.bias");
  CHECK(layout[1].shape == std::vector<int>{64});
  CHECK(layout[22].name == "head.weight");
  CHECK(layout[22].shape == std::vector<int>{2, 32, 3, 3});
}

TEST_CASE("flops follow odd input sizes through the layers") {
  Result<Architecture> architecture = parse_architecture(with_layers(R"(
    {"name": "down", "op": "conv", "out": 4, "stride": 2},
    {"name": "up", "op": "upsample"},
    {"name": "head", "op": "conv", "out": 2})"), "t");
  REQUIRE(architecture.is_ok());
  Result<Model> model = create_model(*architecture, 3);
  REQUIRE(model.is_ok());
  // 5x7 -> stride 2 -> 3x4: 2*9*1*4*12 = 864; upsample 6x8, conv 4->2: 2*9*4*2*48 = 6912.
  CHECK(model->flops(5, 7) == 864.0 + 6912.0);
}

TEST_CASE("architecture JSON round trips") {
  SECTION("baseline") {
    const Architecture baseline = baseline_architecture();
    Result<Architecture> parsed = parse_architecture(architecture_to_json(baseline), "x");
    REQUIRE(parsed.is_ok());
    CHECK(*parsed == baseline);
    // Dropout 0.2 is written as 0.2, not its double expansion.
    CHECK(architecture_to_json(baseline).find("\"rate\":0.2}") != std::string::npos);
  }
  SECTION("every op") {
    Result<Architecture> parsed = parse_architecture(kSmallUnet, "small.json");
    REQUIRE(parsed.is_ok());
    CHECK(parsed->working_size == 64);
    CHECK(parsed->layers[4].text("mode") == "bilinear");
    CHECK(parsed->layers[6].text("mode") == "nearest");
    CHECK(parsed->layers[7].op == "concat");
    CHECK(parsed->layers[7].text("with") == "enc1");
    Result<Architecture> again = parse_architecture(architecture_to_json(*parsed), "x");
    REQUIRE(again.is_ok());
    CHECK(*again == *parsed);
    CHECK(stride_multiple(*parsed) == 4);
  }
  SECTION("defaults") {
    Result<Architecture> parsed = parse_architecture(with_layers(kHead), "x");
    REQUIRE(parsed.is_ok());
    CHECK(parsed->input_channels == 1);
    CHECK(parsed->working_size == 256);
    CHECK(parsed->layers[0].integer("stride") == 1);
    CHECK(parsed->layers[0].text("activation") == "none");
    CHECK(stride_multiple(*parsed) == 1);
  }
}

TEST_CASE("concat shape inference: previous channels, then with's") {
  std::vector<LayerShape> shapes;
  Result<Architecture> parsed = parse_architecture(kSmallUnet, "small.json");
  REQUIRE(parsed.is_ok());
  REQUIRE(validate_architecture(*parsed, "x", &shapes).is_ok());
  CHECK(shapes[7].in_channels == 16);
  CHECK(shapes[7].out_channels == 16 + 8);
  CHECK(shapes[8].in_channels == 24);  // head reads the concat
  CHECK(shapes[2].depth == 2);
  CHECK(shapes[5].depth == 1);
}

TEST_CASE("architecture validation errors") {
  SECTION("bad JSON") { CHECK_THAT(parse_error("{\"name\": "), Catch::Contains("arch.json: architecture is not valid JSON")); }
  SECTION("not an object") { CHECK_THAT(parse_error("[1, 2]"), Catch::Contains("not a JSON object")); }
  SECTION("duplicate key") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "head", "op": "conv", "out": 2, "out": 3})")),
               Catch::Contains("duplicate key \"out\""));
  }
  SECTION("unknown top-level key") {
    CHECK_THAT(parse_error(R"({"name": "t", "layers": [], "depth": 3})"), Catch::Contains("unknown key \"depth\""));
  }
  SECTION("missing layers") { CHECK_THAT(parse_error(R"({"name": "t"})"), Catch::Contains("missing \"layers\"")); }
  SECTION("no layers") { CHECK_THAT(parse_error(R"({"name": "t", "layers": []})"), Catch::Contains("no layers")); }
  SECTION("input_channels") {
    CHECK_THAT(parse_error(R"({"name": "t", "input_channels": 3, "layers": [)" + kHead + "]}"),
               Catch::Contains("input_channels is 3, expected 1"));
  }
  SECTION("working_size") {
    CHECK_THAT(parse_error(R"({"name": "t", "working_size": 8, "layers": [)" + kHead + "]}"),
               Catch::Contains("working_size 8 is outside [16, 4096]"));
  }
  SECTION("layer not an object") { CHECK_THAT(parse_error(with_layers("3")), Catch::Contains("layer #0 is not a JSON object")); }
  SECTION("missing name") { CHECK_THAT(parse_error(with_layers(R"({"op": "tanh"})")), Catch::Contains("layer #0: missing \"name\"")); }
  SECTION("empty name") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "", "op": "conv", "out": 2})")),
               Catch::Contains("layer #0 has an empty name"));
  }
  SECTION("duplicate names") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "head", "op": "conv", "out": 2}, )" + kHead)),
               Catch::Contains("layer #1: name head is already used by layer #0"));
  }
  SECTION("unknown op") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "p", "op": "pool"})")),
               Catch::Contains("layer p: unknown op \"pool\""));
  }
  SECTION("missing op") { CHECK_THAT(parse_error(with_layers(R"({"name": "p"})")), Catch::Contains("layer p: missing \"op\"")); }
  SECTION("unknown key for the op") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "head", "op": "conv", "out": 2, "strides": 2})")),
               Catch::Contains("layer head: unknown key \"strides\" for op conv"));
    CHECK_THAT(parse_error(with_layers(kHead + R"(, {"name": "t", "op": "tanh", "with": "head"})")),
               Catch::Contains("layer t: unknown key \"with\" for op tanh"));
  }
  SECTION("missing out") { CHECK_THAT(parse_error(with_layers(R"({"name": "c", "op": "conv"})")), Catch::Contains("layer c: missing \"out\"")); }
  SECTION("out of the wrong type") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "c", "op": "conv", "out": "2"})")), Catch::Contains("layer c: \"out\" must be a 32-bit integer"));
    CHECK_THAT(parse_error(with_layers(R"({"name": "c", "op": "conv", "out": 2.0})")), Catch::Contains("\"out\" must be a 32-bit integer"));
    CHECK_THAT(parse_error(with_layers(R"({"name": "c", "op": "conv", "out": 4294967298})")), Catch::Contains("\"out\" must be a 32-bit integer"));
  }
  SECTION("out below 1") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "c", "op": "conv", "out": 0}, )" + kHead)),
               Catch::Contains("layer c: out 0 is outside [1, 65536]"));
  }
  SECTION("bad stride") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "c", "op": "conv", "out": 2, "stride": 3})")),
               Catch::Contains("layer c: stride must be 1 or 2, got 3"));
  }
  SECTION("bad activation") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "c", "op": "conv", "out": 2, "activation": "gelu"})")),
               Catch::Contains("layer c: \"activation\" must be \"relu\" or \"none\""));
  }
  SECTION("bad upsample mode") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "c", "op": "conv", "out": 2, "stride": 2}, {"name": "u", "op": "upsample", "mode": "cubic"})")),
               Catch::Contains("layer u: \"mode\" must be \"nearest\" or \"bilinear\""));
  }
  SECTION("dropout rate") {
    CHECK_THAT(parse_error(with_layers(kHead + R"(, {"name": "d", "op": "dropout", "rate": 1})")),
               Catch::Contains("layer d: dropout rate must be in [0, 1), got 1"));
    CHECK_THAT(parse_error(with_layers(kHead + R"(, {"name": "d", "op": "dropout", "rate": -0.1})")),
               Catch::Contains("dropout rate must be in [0, 1)"));
    CHECK_THAT(parse_error(with_layers(kHead + R"(, {"name": "d", "op": "dropout"})")), Catch::Contains("layer d: missing \"rate\""));
    CHECK_THAT(parse_error(with_layers(kHead + R"(, {"name": "d", "op": "dropout", "rate": "0.1"})")),
               Catch::Contains("layer d: \"rate\" must be a number"));
  }
  SECTION("missing with") {
    CHECK_THAT(parse_error(with_layers(kHead + R"(, {"name": "a", "op": "add"})")), Catch::Contains("layer a: missing \"with\""));
  }
  SECTION("with names an unknown layer") {
    CHECK_THAT(parse_error(with_layers(kHead + R"(, {"name": "a", "op": "add", "with": "nope"})")),
               Catch::Contains("layer a: with names nope, which is not an earlier layer"));
  }
  SECTION("with names a later layer or itself") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "c", "op": "conv", "out": 2}, {"name": "a", "op": "add", "with": "z"}, {"name": "z", "op": "tanh"})")),
               Catch::Contains("with names z, which is not an earlier layer"));
    CHECK_THAT(parse_error(with_layers(kHead + R"(, {"name": "a", "op": "add", "with": "a"})")),
               Catch::Contains("with names a, which is not an earlier layer"));
  }
  SECTION("with at another depth") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "c1", "op": "conv", "out": 2},
        {"name": "c2", "op": "conv", "out": 2, "stride": 2}, {"name": "a", "op": "concat", "with": "c1"},
        {"name": "u", "op": "upsample"}, {"name": "h", "op": "conv", "out": 2})")),
               Catch::Contains("layer a: c1 is at depth 0 but the previous output is at depth 1"));
  }
  SECTION("add with different channels") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "c1", "op": "conv", "out": 4}, )" + kHead +
                                       R"(, {"name": "a", "op": "add", "with": "c1"})")),
               Catch::Contains("layer a: cannot add c1's 4 channels to the previous 2 channels"));
  }
  SECTION("negative depth") {
    CHECK_THAT(parse_error(with_layers(kHead + R"(, {"name": "u", "op": "upsample"}, {"name": "c", "op": "conv", "out": 2, "stride": 2})")),
               Catch::Contains("layer u: upsamples above the input resolution"));
  }
  SECTION("wrong output channels") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "c", "op": "conv", "out": 3})")),
               Catch::Contains("arch.json: final output has 3 channels, expected 2"));
  }
  SECTION("output not at input resolution") {
    CHECK_THAT(parse_error(with_layers(R"({"name": "c", "op": "conv", "out": 2, "stride": 2})")),
               Catch::Contains("final output is at depth 1"));
  }
}

TEST_CASE("validate_architecture checks programmatic architectures too") {
  Architecture architecture = baseline_architecture();
  architecture.layers[1].attributes["stride"].number = 4;
  CHECK_THAT(validate_architecture(architecture, "mine").message(),
             Catch::Contains("mine: layer enc2: stride must be 1 or 2, got 4"));
  CHECK_FALSE(create_model(architecture, 1).is_ok());
}

TEST_CASE("create_model is deterministic and uses PyTorch's bounds") {
  Result<Architecture> architecture = parse_architecture(kSmallUnet, "small.json");
  REQUIRE(architecture.is_ok());
  Result<Model> a = create_model(*architecture, 42);
  Result<Model> b = create_model(*architecture, 42);
  Result<Model> c = create_model(*architecture, 43);
  REQUIRE(a.is_ok());
  REQUIRE(b.is_ok());
  REQUIRE(c.is_ok());
  REQUIRE(a->parameters.size() == 8);  // enc1, enc2, mid, head
  CHECK(a->shapes.size() == architecture->layers.size());
  for (size_t i = 0; i < a->parameters.size(); ++i) {
    const Parameter& parameter = a->parameters[i];
    CHECK(parameter.values == b->parameters[i].values);
    CHECK(parameter.values != c->parameters[i].values);
    const int fan_in = a->parameters[i - i % 2].shape[1] * 9;  // the weight's fan_in, for its bias too
    const float bound = 1.0f / std::sqrt(float(fan_in));
    float largest = 0.0f;
    for (float value : parameter.values) largest = std::max(largest, std::fabs(value));
    CHECK(largest <= bound);
    if (parameter.values.size() > 100) CHECK(largest > 0.9f * bound);  // spans the interval
  }
  const Parameter* head = a->find("head.weight");
  REQUIRE(head != nullptr);
  CHECK(head->shape == std::vector<int>{2, 24, 3, 3});
  CHECK(a->find("nope") == nullptr);
}

TEST_CASE("create_model refuses absurd sizes instead of running out of memory") {
  Result<Architecture> architecture = parse_architecture(with_layers(R"(
    {"name": "a", "op": "conv", "out": 65536}, {"name": "b", "op": "conv", "out": 65536},
    {"name": "head", "op": "conv", "out": 2})"), "big.json");
  REQUIRE(architecture.is_ok());
  Result<Model> model = create_model(*architecture, 1);
  REQUIRE_FALSE(model.is_ok());
  CHECK_THAT(model.message(), Catch::Contains("parameters, over the limit"));
}

TEST_CASE("Random matches the PCG32 reference sequence") {
  // pcg32-demo from the PCG reference implementation seeds with (42, 54).
  Random random(42, 54);
  const uint32_t expected[] = {0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e};
  for (uint32_t value : expected) CHECK(random.next_u32() == value);
}

TEST_CASE("Random::advance skips exactly that many draws") {
  for (const uint64_t skip : {uint64_t(0), uint64_t(1), uint64_t(2), uint64_t(7), uint64_t(1000), uint64_t(12345)}) {
    Random drawn(5, 77), skipped(5, 77);
    for (uint64_t i = 0; i < skip; ++i) drawn.next_u32();
    skipped.advance(skip);
    CHECK(skipped.state() == drawn.state());
    CHECK(skipped.next_u32() == drawn.next_u32());
  }
  // A full period (2^64 draws) comes back to the start; 2^63 does not.
  Random start(3, 9), half(3, 9), full(3, 9);
  half.advance(uint64_t(1) << 63);
  full.advance(uint64_t(1) << 63);
  full.advance(uint64_t(1) << 63);
  CHECK_FALSE(half.state() == start.state());
  CHECK(full.state() == start.state());
}

TEST_CASE("Random state survives a checkpoint exactly") {
  Random random(7);
  for (int i = 0; i < 10; ++i) random.next_u32();
  const std::string saved = random.state_string();
  const RandomState state = random.state();
  std::vector<uint32_t> continued;
  for (int i = 0; i < 5; ++i) continued.push_back(random.next_u32());

  Random restored(999);
  REQUIRE(restored.set_state_string(saved, "checkpoint").is_ok());
  CHECK(restored.state() == state);
  for (uint32_t value : continued) CHECK(restored.next_u32() == value);

  Random from_pair;
  from_pair.set_state(state);
  CHECK(from_pair.next_u32() == continued[0]);

  SECTION("rejects malformed state strings") {
    const RandomState before = restored.state();
    for (const char* bad : {"", "pcg32:", "xorshift:0000000000000000:0000000000000001",
                            "pcg32:000000000000000g:0000000000000001",
                            "pcg32:0000000000000000:0000000000000002",  // even increment
                            "pcg32:0000000000000000:00000000000000011"}) {
      Status status = restored.set_state_string(bad, "ck.safetensors");
      CHECK_FALSE(status.is_ok());
      CHECK_THAT(status.message(), Catch::StartsWith("ck.safetensors: random state"));
    }
    CHECK(restored.state() == before);  // unchanged by failures
  }
}

TEST_CASE("Random distributions") {
  Random random(1);
  double sum = 0.0;
  for (int i = 0; i < 10000; ++i) {
    const float value = random.uniform();
    REQUIRE(value >= 0.0f);
    REQUIRE(value < 1.0f);
    sum += value;
  }
  CHECK(std::fabs(sum / 10000 - 0.5) < 0.02);
  for (int i = 0; i < 1000; ++i) {
    const float value = random.uniform(-0.5f, 0.25f);
    REQUIRE(value >= -0.5f);
    REQUIRE(value < 0.25f);
  }
  CHECK(random.uniform(3.0f, 3.0f) == 3.0f);
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 3000; ++i) {
    const uint32_t value = random.below(3);
    REQUIRE(value < 3);
    ++counts[value];
  }
  for (int count : counts) CHECK(std::abs(count - 1000) < 120);
  CHECK(random.below(1) == 0);
  CHECK(random.below(0) == 0);
  // n = 3 * 2^30: plain modulo of a u32 would hit [0, 2^30) half the time instead of a third.
  int low = 0;
  for (int i = 0; i < 3000; ++i) low += random.below(0xc0000000u) < 0x40000000u;
  CHECK(std::abs(low - 1000) < 120);
}

TEST_CASE("architecture text with a NUL byte is rejected, not truncated") {
  const std::string text = with_layers(kHead) + std::string("\0{garbage", 9);
  CHECK_THAT(parse_error(text), Catch::Contains("architecture is not valid JSON"));
}

TEST_CASE("weights/architectures/baseline.json is the built-in baseline") {
  std::ifstream file(std::string(TINT_TEST_DATA_DIR) + "/../../weights/architectures/baseline.json");
  REQUIRE(file.good());
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto parsed = parse_architecture(text, "baseline.json");
  REQUIRE(parsed.is_ok());
  CHECK(parsed.value() == baseline_architecture());
}
