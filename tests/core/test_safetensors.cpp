// The safetensors container and f16 conversions. Rejections are tested on hand-written headers
// so each test states exactly the bytes a hostile or broken file would hold.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "half.h"
#include "random.h"
#include "safetensors.h"

using namespace tint;

namespace {

// u64 little-endian header length, the header text as given (no padding added), then `data`.
std::vector<uint8_t> make_file(const std::string& header, const std::vector<uint8_t>& data = {}) {
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(uint8_t(uint64_t(header.size()) >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

std::vector<uint8_t> f32_bytes(std::initializer_list<float> values) {
  std::vector<uint8_t> bytes;
  for (float value : values) {
    const uint32_t bits = float_bits(value);
    for (int i = 0; i < 4; ++i) bytes.push_back(uint8_t(bits >> (8 * i)));
  }
  return bytes;
}

// The error message of parsing `bytes`; fails the test if it parses.
std::string parse_error(const std::vector<uint8_t>& bytes) {
  Result<TensorFile> result = parse_safetensors(bytes.data(), bytes.size(), "w.safetensors");
  REQUIRE_FALSE(result.is_ok());
  CHECK_THAT(result.message(), Catch::StartsWith("w.safetensors: "));
  CHECK(result.message().find('\n') == std::string::npos);
  return result.message();
}

TensorFile sample_file() {
  TensorFile file;
  file.metadata["format"] = "tint";
  file.metadata["note"] = "caf\xc3\xa9 \"quoted\"";
  file.tensors.push_back({"conv.weight", {2, 1, 3, 3}, {}, Dtype::f32});
  Random random(5);
  for (int i = 0; i < 18; ++i) file.tensors[0].values.push_back(random.uniform(-3.0f, 3.0f));
  file.tensors.push_back({"a.bias", {2}, {1e-6f, -70000.0f / 1024.0f}, Dtype::f32});
  file.tensors.push_back({"scalar", {}, {0.5f}, Dtype::f32});
  file.tensors.push_back({"empty", {0, 3}, {}, Dtype::f32});
  return file;
}

}  // namespace

TEST_CASE("f32 round trip is exact and keeps order, shapes and metadata") {
  const TensorFile file = sample_file();
  const std::vector<uint8_t> bytes = serialize_safetensors(file, Dtype::f32);
  Result<TensorFile> parsed = parse_safetensors(bytes.data(), bytes.size(), "x");
  REQUIRE(parsed.is_ok());
  CHECK(parsed->metadata == file.metadata);
  REQUIRE(parsed->tensors.size() == file.tensors.size());
  for (size_t i = 0; i < file.tensors.size(); ++i) {
    CHECK(parsed->tensors[i].name == file.tensors[i].name);  // vector order, not name order
    CHECK(parsed->tensors[i].shape == file.tensors[i].shape);
    CHECK(parsed->tensors[i].values == file.tensors[i].values);
    CHECK(parsed->tensors[i].dtype == Dtype::f32);
  }
  REQUIRE(parsed->find("scalar") != nullptr);
  CHECK(parsed->find("scalar")->element_count() == 1);
  CHECK(parsed->find("missing") == nullptr);
}

TEST_CASE("f16 round trip is within f16 rounding") {
  const TensorFile file = sample_file();
  const std::vector<uint8_t> bytes = serialize_safetensors(file, Dtype::f16);
  CHECK(bytes.size() < serialize_safetensors(file, Dtype::f32).size());
  Result<TensorFile> parsed = parse_safetensors(bytes.data(), bytes.size(), "x");
  REQUIRE(parsed.is_ok());
  for (size_t i = 0; i < file.tensors.size(); ++i) {
    const TensorEntry& entry = parsed->tensors[i];
    CHECK(entry.dtype == Dtype::f16);
    REQUIRE(entry.values.size() == file.tensors[i].values.size());
    for (size_t j = 0; j < entry.values.size(); ++j) {
      const float original = file.tensors[i].values[j];
      // Half an f16 ulp: relative 2^-11 for normals, absolute 2^-25 in the subnormal range.
      CHECK(std::fabs(entry.values[j] - original) <= std::fabs(original) * 0x1p-11f + 0x1p-25f);
      CHECK(entry.values[j] == half_to_float(float_to_half(original)));
    }
  }
}

TEST_CASE("I8 tensors: one two's complement byte each, beside float tensors of other dtypes") {
  TensorFile file;
  file.tensors.push_back({"q", {2, 3}, {-128, -127, -1, 0, 1, 127}, Dtype::i8});
  file.tensors.push_back({"s", {2}, {0.25f, 1e-3f}, Dtype::f32});
  file.tensors.push_back({"h", {1}, {0.5f}, Dtype::f16});
  const std::vector<uint8_t> bytes = serialize_safetensors(file);
  Result<TensorFile> parsed = parse_safetensors(bytes.data(), bytes.size(), "x");
  REQUIRE(parsed.is_ok());
  REQUIRE(parsed->tensors.size() == 3);
  CHECK(parsed->tensors[0].dtype == Dtype::i8);
  CHECK(parsed->tensors[0].values == file.tensors[0].values);
  CHECK(parsed->tensors[1].dtype == Dtype::f32);
  CHECK(parsed->tensors[1].values == file.tensors[1].values);
  CHECK(parsed->tensors[2].dtype == Dtype::f16);
  // 6 + 8 + 2 bytes of data after the header.
  uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | bytes[size_t(i)];
  CHECK(bytes.size() == 8 + header + 16);
  CHECK(bytes[8 + header] == 0x80);  // -128
  CHECK(bytes[8 + header + 2] == 0xff);  // -1
}

TEST_CASE("serialized layout: little-endian N, space padding to 8, then the data") {
  TensorFile file;
  file.tensors.push_back({"a", {1}, {1.0f}, Dtype::f32});
  const std::vector<uint8_t> bytes = serialize_safetensors(file, Dtype::f32);
  const std::string json = R"({"a":{"data_offsets":[0,4],"dtype":"F32","shape":[1]}})";  // 54 bytes
  const std::string padded = json + "  ";                                                   // 56
  const std::vector<uint8_t> expected = make_file(padded, {0x00, 0x00, 0x80, 0x3f});
  CHECK(bytes == expected);

  for (int count = 0; count < 9; ++count) {  // different header lengths: always aligned
    TensorFile grown;
    for (int i = 0; i < count; ++i) grown.tensors.push_back({std::string(i + 1, 'x'), {1}, {2.0f}, Dtype::f32});
    const std::vector<uint8_t> out = serialize_safetensors(grown, Dtype::f16);
    uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | out[i];
    CHECK(header_size % 8 == 0);
    CHECK(out.size() == 8 + header_size + 2 * size_t(count));
    CHECK(parse_safetensors(out.data(), out.size(), "x").is_ok());
  }
}

TEST_CASE("reading accepts unpadded headers and any JSON key order") {
  // Offsets in reverse name order: tensors come back in buffer order.
  const std::string header = R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("a":{"dtype":"F16","shape":[2],"data_offsets":[4,8]}})";
  std::vector<uint8_t> data = f32_bytes({2.5f});
  data.insert(data.end(), {0x00, 0x3c, 0x00, 0xc0});  // f16 1.0, -2.0
  const std::vector<uint8_t> bytes = make_file(header, data);
  Result<TensorFile> parsed = parse_safetensors(bytes.data(), bytes.size(), "x");
  REQUIRE(parsed.is_ok());
  REQUIRE(parsed->tensors.size() == 2);
  CHECK(parsed->tensors[0].name == "b");
  CHECK(parsed->tensors[0].values == std::vector<float>{2.5f});
  CHECK(parsed->tensors[1].name == "a");
  CHECK(parsed->tensors[1].values == std::vector<float>{1.0f, -2.0f});
  CHECK(parsed->metadata.empty());
}

TEST_CASE("half conversions of special values") {
  CHECK(float_to_half(0.0f) == 0x0000);
  CHECK(float_to_half(-0.0f) == 0x8000);
  CHECK(float_to_half(1.0f) == 0x3c00);
  CHECK(float_to_half(-2.0f) == 0xc000);
  CHECK(float_to_half(65504.0f) == 0x7bff);  // largest finite
  CHECK(float_to_half(65519.0f) == 0x7bff);  // just below the tie
  CHECK(float_to_half(65520.0f) == 0x7c00);  // the tie rounds to even: infinity
  CHECK(float_to_half(1e10f) == 0x7c00);
  CHECK(float_to_half(-1e10f) == 0xfc00);
  CHECK(float_to_half(std::numeric_limits<float>::infinity()) == 0x7c00);
  CHECK(float_to_half(-std::numeric_limits<float>::infinity()) == 0xfc00);
  const uint16_t nan = float_to_half(std::numeric_limits<float>::quiet_NaN());
  CHECK((nan & 0x7c00) == 0x7c00);
  CHECK((nan & 0x03ff) != 0);
  CHECK(float_to_half(float_from_bits(0x7f800001u)) != 0x7c00);  // signalling NaN stays NaN
  CHECK(float_to_half(0x1p-14f) == 0x0400);               // smallest normal
  CHECK(float_to_half(0x1p-24f) == 0x0001);               // smallest subnormal
  CHECK(float_to_half(0x3ffp-24f) == 0x03ff);             // largest subnormal
  CHECK(float_to_half(0x1p-25f) == 0x0000);               // tie between 0 and 2^-24: even
  CHECK(float_to_half(0x1.8p-25f) == 0x0001);             // above the tie
  CHECK(float_to_half(0x3p-25f) == 0x0002);               // 1.5 ulp ties to even 2
  CHECK(float_to_half(0x1p-26f) == 0x0000);
  CHECK(float_to_half(-0x1p-24f) == 0x8001);
  CHECK(float_to_half(0x7ffp-25f) == 0x0400);             // rounds up into the normals
  CHECK(float_to_half(1.0f + 0x1p-11f) == 0x3c00);        // tie to even (down)
  CHECK(float_to_half(1.0f + 0x3p-11f) == 0x3c02);        // tie to even (up)
  CHECK(float_to_half(1.0f + 0x1.8p-11f) == 0x3c01);

  CHECK(half_to_float(0x0001) == 0x1p-24f);
  CHECK(half_to_float(0x8000) == 0.0f);
  CHECK(std::signbit(half_to_float(0x8000)));
  CHECK(half_to_float(0x7bff) == 65504.0f);
  CHECK(std::isinf(half_to_float(0x7c00)));
  CHECK(half_to_float(0xfc00) < 0.0f);
  CHECK(std::isnan(half_to_float(0x7e00)));
  CHECK(std::isnan(half_to_float(0x7c01)));
}

TEST_CASE("every f16 survives f16 -> f32 -> f16") {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float value = half_to_float(uint16_t(bits));
    if (std::isnan(value)) {
      REQUIRE((float_to_half(value) & 0x7fff) > 0x7c00);
    } else {
      REQUIRE(float_to_half(value) == bits);
    }
  }
}

TEST_CASE("float_to_half picks the nearest f16 (ties to even)") {
  Random random(11);
  for (int i = 0; i < 200000; ++i) {
    // Random bit patterns across the f16 range, normals and subnormals alike.
    const uint32_t exponent = 100 + random.below(44);  // 2^-27 .. 2^16
    const float value = float_from_bits((random.next_u32() & 0x807fffffu) | (exponent << 23));
    const uint16_t half = float_to_half(value);
    const float rounded = half_to_float(half);
    if (std::isinf(rounded)) {
      REQUIRE(std::fabs(value) >= 65520.0f);
      continue;
    }
    // Neighbours one f16 step either side (same sign) must not be closer.
    const double error = std::fabs(double(rounded) - double(value));
    const uint16_t magnitude = half & 0x7fff;
    for (int step : {-1, 1}) {
      if (magnitude == 0 && step < 0) continue;
      const uint16_t neighbour = uint16_t((half & 0x8000) | (magnitude + step));
      const double neighbour_error = std::fabs(double(half_to_float(neighbour)) - double(value));
      REQUIRE(error <= neighbour_error);
      if (error == neighbour_error) REQUIRE((half & 1) == 0);
    }
  }
}

TEST_CASE("safetensors rejections") {
  const std::string one_f32 = R"("t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  const std::vector<uint8_t> four_bytes = f32_bytes({1.0f});

  SECTION("valid baseline for the cases below") {
    const std::vector<uint8_t> bytes = make_file("{" + one_f32 + "}", four_bytes);
    CHECK(parse_safetensors(bytes.data(), bytes.size(), "x").is_ok());
  }
  SECTION("file shorter than 8 bytes") {
    CHECK_THAT(parse_error({1, 0, 0}), Catch::Contains("file is 3 bytes, too short"));
    CHECK_THAT(parse_error({}), Catch::Contains("file is 0 bytes"));
  }
  SECTION("header length beyond the file") {
    std::vector<uint8_t> bytes = make_file("{}");
    bytes[0] = 200;
    CHECK_THAT(parse_error(bytes), Catch::Contains("header length 200 runs past the end of the 10-byte file"));
  }
  SECTION("absurd header length") {
    std::vector<uint8_t> bytes = make_file("{}");
    bytes[7] = 0xff;  // ~2^64: also must not overflow 8 + N
    CHECK_THAT(parse_error(bytes), Catch::Contains("over the 100 MiB limit"));
  }
  SECTION("header not valid JSON") {
    CHECK_THAT(parse_error(make_file("{\"t\": ")), Catch::Contains("header is not valid JSON (parse error at line 1"));
    CHECK_THAT(parse_error(make_file(std::string("{}\0\0", 4))), Catch::Contains("header is not valid JSON"));
    CHECK_THAT(parse_error(make_file(std::string("{\"\xff\":1}"))), Catch::Contains("header is not valid JSON"));
  }
  SECTION("header not an object") { CHECK_THAT(parse_error(make_file("[1,2]   ")), Catch::Contains("header is not a JSON object")); }
  SECTION("duplicate tensor names") {
    CHECK_THAT(parse_error(make_file("{" + one_f32 + "," + one_f32 + "}", four_bytes)),
               Catch::Contains("w.safetensors: duplicate tensor t"));
  }
  SECTION("duplicate field inside an entry") {
    CHECK_THAT(parse_error(make_file(R"({"t":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}})", four_bytes)),
               Catch::Contains("header has duplicate key \"dtype\""));
  }
  SECTION("entry not an object") {
    CHECK_THAT(parse_error(make_file(R"({"t":[1]})")), Catch::Contains("tensor t: entry is not an object"));
  }
  SECTION("unknown field") {
    CHECK_THAT(parse_error(make_file(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}})", four_bytes)),
               Catch::Contains("tensor t: unknown field \"x\""));
  }
  SECTION("missing field") {
    CHECK_THAT(parse_error(make_file(R"({"t":{"dtype":"F32","shape":[1]}})", four_bytes)),
               Catch::Contains("tensor t: missing \"data_offsets\""));
  }
  SECTION("unsupported dtype") {
    CHECK_THAT(parse_error(make_file(R"({"t":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", four_bytes)),
               Catch::Contains("tensor t has unsupported dtype BF16"));
    CHECK_THAT(parse_error(make_file(R"({"t":{"dtype":7,"shape":[1],"data_offsets":[0,4]}})", four_bytes)),
               Catch::Contains("tensor t: dtype is not a string"));
  }
  SECTION("shape not a list of non-negative integers") {
    for (const char* shape : {"[-1]", "[1.0]", "1", "[\"1\"]", "[[1]]", "null"}) {
      CHECK_THAT(parse_error(make_file(std::string(R"({"t":{"dtype":"F32","shape":)") + shape +
                                       R"(,"data_offsets":[0,4]}})", four_bytes)),
                 Catch::Contains("tensor t: shape is not a list of non-negative integers"));
    }
  }
  SECTION("shape whose element count overflows") {
    // 2^32 * 2^32 * 4 wraps to 0 in 64 bits: must not be taken as an empty tensor.
    CHECK_THAT(parse_error(make_file(R"({"t":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,0]}})")),
               Catch::Contains("tensor t: shape has more elements than any file could hold"));
    CHECK_THAT(parse_error(make_file(R"({"t":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,0]}})")),
               Catch::Contains("tensor t: shape dimension 18446744073709551615 is too large"));
  }
  SECTION("data_offsets not [begin, end] with begin <= end") {
    for (const char* offsets : {"[4,0]", "[0]", "[0,4,8]", "[-4,0]", "[0,\"4\"]", "{}"}) {
      CHECK_THAT(parse_error(make_file(std::string(R"({"t":{"dtype":"F32","shape":[0],"data_offsets":)") +
                                       offsets + "}}", four_bytes)),
                 Catch::Contains("tensor t: data_offsets is not [begin, end] with 0 <= begin <= end"));
    }
  }
  SECTION("byte length differs from shape times dtype size") {
    CHECK_THAT(parse_error(make_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", four_bytes)),
               Catch::Contains("tensor t has shape [2] (8 bytes as F32) but data_offsets [0, 4] span 4 bytes"));
    CHECK_THAT(parse_error(make_file(R"({"t":{"dtype":"F16","shape":[1],"data_offsets":[0,4]}})", four_bytes)),
               Catch::Contains("(2 bytes as F16)"));
  }
  SECTION("offsets beyond the buffer") {
    CHECK_THAT(parse_error(make_file(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", four_bytes)),
               Catch::Contains("tensor t: data_offsets [4, 8] run past the end of the 4-byte data buffer"));
  }
  SECTION("overlapping tensors") {
    CHECK_THAT(parse_error(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                     R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", f32_bytes({1, 2}))),
               Catch::Contains("tensors a [0, 8] and b [4, 8] overlap"));
    CHECK_THAT(parse_error(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                     R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", four_bytes)),
               Catch::Contains("tensors a [0, 4] and b [0, 4] overlap"));
  }
  SECTION("gap between tensors") {
    CHECK_THAT(parse_error(make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                                     R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", f32_bytes({1, 2, 3}))),
               Catch::Contains("data buffer bytes [4, 8] before tensor b belong to no tensor"));
    CHECK_THAT(parse_error(make_file(R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", f32_bytes({1, 2}))),
               Catch::Contains("bytes [0, 4] before tensor b belong to no tensor"));
  }
  SECTION("trailing bytes") {
    CHECK_THAT(parse_error(make_file("{" + one_f32 + "}", f32_bytes({1, 2}))),
               Catch::Contains("data buffer has 4 trailing bytes after the last tensor"));
    CHECK_THAT(parse_error(make_file("{}", {0})), Catch::Contains("data buffer has 1 trailing bytes"));
  }
  SECTION("__metadata__ values not strings") {
    CHECK_THAT(parse_error(make_file(R"({"__metadata__":{"format":"tint","version":1}})")),
               Catch::Contains("__metadata__ value for \"version\" is not a string"));
    CHECK_THAT(parse_error(make_file(R"({"__metadata__":["tint"]})")),
               Catch::Contains("__metadata__ is not an object of strings"));
  }
  SECTION("NaN and Inf values") {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float inf = std::numeric_limits<float>::infinity();
    const std::string two = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    CHECK_THAT(parse_error(make_file(two, f32_bytes({1, nan}))), Catch::Contains("tensor w holds NaN at element 1"));
    CHECK_THAT(parse_error(make_file(two, f32_bytes({-inf, 1}))), Catch::Contains("tensor w holds Inf at element 0"));
    const std::string half = R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})";
    CHECK_THAT(parse_error(make_file(half, {0x00, 0x3c, 0x00, 0x7c})), Catch::Contains("tensor h holds Inf at element 1"));
    CHECK_THAT(parse_error(make_file(half, {0x01, 0x7e, 0x00, 0x3c})), Catch::Contains("tensor h holds NaN at element 0"));
  }
}

TEST_CASE("a truncated file is rejected at every length") {
  const std::vector<uint8_t> bytes = serialize_safetensors(sample_file(), Dtype::f16);
  for (size_t size = 0; size < bytes.size(); ++size) {
    CHECK_FALSE(parse_safetensors(bytes.data(), size, "cut").is_ok());
  }
}
