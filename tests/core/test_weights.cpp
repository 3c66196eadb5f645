// Weights files: a model <-> safetensors bytes, and every way a file can disagree with its
// architecture.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "weights.h"

using namespace tint;

namespace {

// Small but uses every op, so the layout includes a concat's widened input.
const char* kArchitecture = R"({"name": "tiny", "working_size": 32, "layers": [
  {"name": "enc1", "op": "conv", "out": 4, "activation": "relu"},
  {"name": "enc2", "op": "conv", "out": 4, "stride": 2, "activation": "relu"},
  {"name": "drop", "op": "dropout", "rate": 0.1},
  {"name": "up", "op": "upsample", "mode": "bilinear"},
  {"name": "add", "op": "add", "with": "enc1"},
  {"name": "cat", "op": "concat", "with": "enc1"},
  {"name": "head", "op": "conv", "out": 2},
  {"name": "out", "op": "tanh"}]})";

Model tiny_model() {
  Result<Architecture> architecture = parse_architecture(kArchitecture, "tiny.json");
  REQUIRE(architecture.is_ok());
  Result<Model> model = create_model(*architecture, 2024);
  REQUIRE(model.is_ok());
  model->metadata["training"] = R"({"steps": 10, "data": "unit test"})";
  return *model;
}

std::vector<uint8_t> save(const TensorFile& file, Dtype dtype = Dtype::f32) {
  return serialize_safetensors(file, dtype);
}

// The error message of loading `bytes`; fails the test if it loads.
std::string load_error(const std::vector<uint8_t>& bytes) {
  Result<Model> model = load_model(bytes.data(), bytes.size(), "model.safetensors");
  REQUIRE_FALSE(model.is_ok());
  CHECK_THAT(model.message(), Catch::StartsWith("model.safetensors: "));
  return model.message();
}

TensorEntry* find_entry(TensorFile& file, const std::string& name) {
  for (TensorEntry& entry : file.tensors) {
    if (entry.name == name) return &entry;
  }
  FAIL("no tensor " << name);
  return nullptr;
}

// Splices raw text into a serialized file's header (keeping N and padding consistent), for
// cases a TensorFile cannot express, such as a duplicate key.
std::vector<uint8_t> edit_header(const std::vector<uint8_t>& bytes, const std::string& from,
                                 const std::string& to) {
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | bytes[i];
  std::string header(bytes.begin() + 8, bytes.begin() + 8 + long(header_size));
  const size_t at = header.find(from);
  REQUIRE(at != std::string::npos);
  header.replace(at, from.size(), to);
  std::vector<uint8_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(uint8_t(uint64_t(header.size()) >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), bytes.begin() + 8 + long(header_size), bytes.end());
  return out;
}

}  // namespace

TEST_CASE("save/load round trip: f32 exact, with architecture and metadata") {
  const Model model = tiny_model();
  const std::vector<uint8_t> bytes = save_model(model, Dtype::f32);
  Result<Model> loaded = load_model(bytes.data(), bytes.size(), "tiny.safetensors");
  REQUIRE(loaded.is_ok());
  CHECK(loaded->architecture == model.architecture);
  CHECK(loaded->metadata == model.metadata);  // format keys are not duplicated into metadata
  REQUIRE(loaded->shapes.size() == model.shapes.size());
  REQUIRE(loaded->parameters.size() == model.parameters.size());
  for (size_t i = 0; i < model.parameters.size(); ++i) {
    CHECK(loaded->parameters[i].name == model.parameters[i].name);
    CHECK(loaded->parameters[i].shape == model.parameters[i].shape);
    CHECK(loaded->parameters[i].values == model.parameters[i].values);
  }
  CHECK(loaded->find("head.weight")->shape == std::vector<int>{2, 8, 3, 3});  // concat: 4 + 4

  // The header a PyTorch user sees.
  Result<TensorFile> file = parse_safetensors(bytes.data(), bytes.size(), "x");
  REQUIRE(file.is_ok());
  CHECK(file->metadata.at("format") == "tint");
  CHECK(file->metadata.at("format_version") == "1");
  CHECK(file->metadata.at("architecture") == architecture_to_json(model.architecture));
}

TEST_CASE("save/load round trip: f16 close") {
  const Model model = tiny_model();
  const std::vector<uint8_t> bytes = save_model(model, Dtype::f16);
  CHECK(bytes.size() < save_model(model, Dtype::f32).size());
  Result<Model> loaded = load_model(bytes.data(), bytes.size(), "tiny.safetensors");
  REQUIRE(loaded.is_ok());
  CHECK(loaded->metadata == model.metadata);
  bool any_rounded = false;
  for (size_t i = 0; i < model.parameters.size(); ++i) {
    const std::vector<float>& original = model.parameters[i].values;
    const std::vector<float>& values = loaded->parameters[i].values;
    REQUIRE(values.size() == original.size());
    for (size_t j = 0; j < values.size(); ++j) {
      CHECK(std::fabs(values[j] - original[j]) <= std::fabs(original[j]) * 0x1p-11f + 0x1p-25f);
      any_rounded = any_rounded || values[j] != original[j];
    }
  }
  CHECK(any_rounded);  // it really went through f16
}

TEST_CASE("save/load round trip: i8 within half a step per output channel, f16 layers kept") {
  const Model model = tiny_model();
  const std::vector<uint8_t> bytes = save_model(model, Dtype::i8, {"head"});
  Result<TensorFile> file = parse_safetensors(bytes.data(), bytes.size(), "tiny-i8.safetensors");
  REQUIRE(file.is_ok());
  CHECK(file->metadata.at("quantization") == kInt8Quantization);
  CHECK(file->find("enc1.weight")->dtype == Dtype::i8);
  CHECK(file->find("enc1.weight.scale")->dtype == Dtype::f32);
  CHECK(file->find("enc1.bias")->dtype == Dtype::f16);
  CHECK(file->find("head.weight")->dtype == Dtype::f16);  // kept
  CHECK(file->find("head.weight.scale") == nullptr);
  Result<Model> loaded = load_model(bytes.data(), bytes.size(), "tiny-i8.safetensors");
  REQUIRE(loaded.is_ok());
  CHECK(loaded->metadata.count("quantization") == 0);  // a file property, not the model's
  for (size_t i = 0; i < model.parameters.size(); ++i) {
    const Parameter& original = model.parameters[i];
    const std::vector<float>& values = loaded->parameters[i].values;
    REQUIRE(values.size() == original.values.size());
    const TensorEntry* scale = file->find(original.name + ".scale");
    if (!scale) {
      for (size_t j = 0; j < values.size(); ++j) CHECK(std::fabs(values[j] - original.values[j]) <= std::fabs(original.values[j]) * 0x1p-11f + 0x1p-25f);
      continue;
    }
    const size_t per_channel = values.size() / size_t(original.shape[0]);
    for (size_t j = 0; j < values.size(); ++j) {
      const float step = scale->values[j / per_channel];
      CHECK(std::fabs(values[j] - original.values[j]) <= 0.5f * step * 1.0001f);
    }
    // Each channel's largest magnitude is exactly +-127 steps.
    for (int o = 0; o < original.shape[0]; ++o) {
      float largest = 0;
      for (size_t j = 0; j < per_channel; ++j) largest = std::max(largest, std::fabs(file->find(original.name)->values[o * per_channel + j]));
      CHECK(largest == 127.0f);
    }
  }
}

TEST_CASE("the baseline saves and loads") {
  Result<Model> model = create_model(baseline_architecture(), 1);
  REQUIRE(model.is_ok());
  const std::vector<uint8_t> bytes = save_model(*model, Dtype::f16);
  Result<Model> loaded = load_model(bytes.data(), bytes.size(), "baseline.safetensors");
  REQUIRE(loaded.is_ok());
  CHECK(loaded->parameter_count() == 3892194);
  CHECK(loaded->architecture == baseline_architecture());
}

TEST_CASE("format metadata always comes from the model, not Model::metadata") {
  Model model = tiny_model();
  model.metadata["format_version"] = std::string("9");  // not the char*: GCC 12 -Wrestrict false positive
  const std::vector<uint8_t> bytes = save_model(model, Dtype::f32);
  Result<Model> loaded = load_model(bytes.data(), bytes.size(), "x");
  REQUIRE(loaded.is_ok());
  CHECK(loaded->metadata.count("format_version") == 0);
}

TEST_CASE("weights rejections") {
  const TensorFile good = model_to_tensor_file(tiny_model());
  TensorFile file = good;

  SECTION("8-bit files: scales and metadata checked") {
    const Model model = tiny_model();
    const std::vector<uint8_t> good_i8 = save_model(model, Dtype::i8);
    Result<TensorFile> parsed = parse_safetensors(good_i8.data(), good_i8.size(), "model.safetensors");
    REQUIRE(parsed.is_ok());
    TensorFile i8 = parsed.value();
    auto remove = [&](const std::string& name) {
      i8.tensors.erase(std::find_if(i8.tensors.begin(), i8.tensors.end(), [&](const TensorEntry& e) { return e.name == name; }));
    };
    SECTION("no scales") {
      remove("enc2.weight.scale");
      CHECK_THAT(load_error(serialize_safetensors(i8)), Catch::Contains("I8 tensor enc2.weight has no enc2.weight.scale"));
    }
    SECTION("a scale count that is not the output channels") {
      TensorEntry* scale = find_entry(i8, "enc2.weight.scale");
      scale->shape = {3};
      scale->values.pop_back();
      CHECK_THAT(load_error(serialize_safetensors(i8)), Catch::Contains("enc2.weight.scale has shape [3], expected [4]"));
    }
    SECTION("a zero scale") {
      find_entry(i8, "enc1.weight.scale")->values[2] = 0.0f;
      CHECK_THAT(load_error(serialize_safetensors(i8)), Catch::Contains("enc1.weight.scale holds scale 0.000000 at channel 2"));
    }
    SECTION("a negative scale") {
      find_entry(i8, "enc1.weight.scale")->values[0] = -0.5f;
      CHECK_THAT(load_error(serialize_safetensors(i8)), Catch::Contains("scales must be positive"));
    }
    SECTION("an Inf scale") {
      find_entry(i8, "head.weight.scale")->values[1] = std::numeric_limits<float>::infinity();
      CHECK_THAT(load_error(serialize_safetensors(i8)), Catch::Contains("head.weight.scale holds Inf"));
    }
    SECTION("a scale stored as F16") {
      find_entry(i8, "head.weight.scale")->dtype = Dtype::f16;
      CHECK_THAT(load_error(serialize_safetensors(i8)), Catch::Contains("head.weight.scale is F16, expected F32"));
    }
    SECTION("scales beside a float tensor") {
      i8.tensors.push_back({"enc1.bias.scale", {4}, {1, 1, 1, 1}, Dtype::f32});
      CHECK_THAT(load_error(serialize_safetensors(i8)), Catch::Contains("unexpected tensor enc1.bias.scale (enc1.bias is not I8)"));
    }
    SECTION("scales of a tensor the architecture does not have") {
      i8.tensors.push_back({"enc9.weight.scale", {4}, {1, 1, 1, 1}, Dtype::f32});
      CHECK_THAT(load_error(serialize_safetensors(i8)), Catch::Contains("unexpected tensor enc9.weight.scale"));
    }
    SECTION("I8 without the quantization metadata") {
      i8.metadata.erase("quantization");
      CHECK_THAT(load_error(serialize_safetensors(i8)), Catch::Contains("tensor enc1.weight is I8 but the metadata declares no quantization"));
    }
    SECTION("an unknown quantization") {
      i8.metadata["quantization"] = "int4 blockwise";
      CHECK_THAT(load_error(serialize_safetensors(i8)), Catch::Contains("unknown quantization \"int4 blockwise\""));
    }
    SECTION("a mis-shaped I8 tensor") {
      TensorEntry* weight = find_entry(i8, "enc2.weight");
      weight->shape = {4, 4, 9};
      CHECK_THAT(load_error(serialize_safetensors(i8)), Catch::Contains("tensor enc2.weight has shape [4,4,9], expected [4,4,3,3]"));
    }
  }
  SECTION("missing tensor") {
    file.tensors.erase(file.tensors.begin() + 1);  // enc1.bias
    CHECK_THAT(load_error(save(file)), Catch::Contains("model.safetensors: missing tensor enc1.bias"));
  }
  SECTION("unexpected tensor") {
    file.tensors.push_back({"foo", {1}, {0.0f}, Dtype::f32});
    CHECK_THAT(load_error(save(file)), Catch::Contains("model.safetensors: unexpected tensor foo"));
  }
  SECTION("duplicate tensor in the file") {
    // The file's JSON names head.bias twice; nlohmann alone would silently keep the second.
    std::vector<uint8_t> bytes = save(file);
    bytes = edit_header(bytes, "\"head.weight\":", "\"head.bias\":{\"data_offsets\":[0,0],\"dtype\":\"F32\",\"shape\":[0]},\"head.weight\":");
    CHECK_THAT(load_error(bytes), Catch::Contains("model.safetensors: duplicate tensor head.bias"));
  }
  SECTION("duplicate tensor in a hand-built TensorFile") {
    file.tensors.push_back(file.tensors[0]);
    Result<Model> model = model_from_tensor_file(file, "built");
    REQUIRE_FALSE(model.is_ok());
    CHECK_THAT(model.message(), Catch::Contains("built: duplicate tensor enc1.weight"));
  }
  SECTION("wrong shape") {
    TensorEntry* entry = find_entry(file, "enc2.weight");
    entry->shape = {4, 2, 3, 3};
    entry->values.resize(4 * 2 * 9);
    CHECK_THAT(load_error(save(file)),
               Catch::Contains("model.safetensors: tensor enc2.weight has shape [4,2,3,3], expected [4,4,3,3]"));
  }
  SECTION("wrong dtype size") {
    // Relabel F16 data as F32: every tensor's byte length is now half what its shape needs.
    std::vector<uint8_t> bytes = save(file, Dtype::f16);
    bytes = edit_header(bytes, "\"F16\"", "\"F32\"");
    CHECK_THAT(load_error(bytes), Catch::Contains("bytes as F32) but data_offsets"));
  }
  SECTION("unsupported dtype") {
    std::vector<uint8_t> bytes = edit_header(save(file, Dtype::f16), "\"F16\"", "\"I16\"");
    CHECK_THAT(load_error(bytes), Catch::Contains("unsupported dtype I16"));
  }
  SECTION("wrong format_version") {
    file.metadata["format_version"] = "2";
    CHECK_THAT(load_error(save(file)),
               Catch::Contains("model.safetensors: unsupported format_version 2 (this tint reads 1)"));
  }
  SECTION("not a tint file") {
    file.metadata.erase("format");
    CHECK_THAT(load_error(save(file)), Catch::Contains("metadata has no \"format\" (not a tint weights file)"));
    file.metadata["format"] = "gguf";
    CHECK_THAT(load_error(save(file)), Catch::Contains("metadata format is \"gguf\", expected \"tint\""));
    file.metadata.clear();
    CHECK_THAT(load_error(save(file)), Catch::Contains("metadata has no \"format\""));
  }
  SECTION("missing format_version") {
    file.metadata.erase("format_version");
    CHECK_THAT(load_error(save(file)), Catch::Contains("metadata has no \"format_version\""));
  }
  SECTION("missing architecture") {
    file.metadata.erase("architecture");
    CHECK_THAT(load_error(save(file)), Catch::Contains("model.safetensors: metadata has no \"architecture\""));
  }
  SECTION("broken architecture") {
    file.metadata["architecture"] = "{\"name\": \"x\", \"layers\": [";
    CHECK_THAT(load_error(save(file)), Catch::Contains("model.safetensors: architecture is not valid JSON"));
    file.metadata["architecture"] = R"({"name": "x", "layers": [{"name": "head", "op": "conv", "out": 3}]})";
    CHECK_THAT(load_error(save(file)), Catch::Contains("final output has 3 channels, expected 2"));
  }
  SECTION("architecture that disagrees with the tensors") {
    nlohmann::json architecture = nlohmann::json::parse(kArchitecture);
    architecture["layers"][0]["out"] = 5;  // enc1 now has 5 channels; the file holds 4
    architecture["layers"][1]["out"] = 5;
    file.metadata["architecture"] = architecture.dump();
    CHECK_THAT(load_error(save(file)),
               Catch::Contains("tensor enc1.weight has shape [4,1,3,3], expected [5,1,3,3]"));
  }
  SECTION("NaN value") {
    find_entry(file, "enc2.bias")->values[3] = std::numeric_limits<float>::quiet_NaN();
    CHECK_THAT(load_error(save(file)), Catch::Contains("model.safetensors: tensor enc2.bias holds NaN at element 3"));
  }
  SECTION("Inf value") {
    find_entry(file, "head.weight")->values[0] = -std::numeric_limits<float>::infinity();
    CHECK_THAT(load_error(save(file)), Catch::Contains("tensor head.weight holds Inf at element 0"));
  }
  SECTION("f16 overflow is caught at load") {
    find_entry(file, "head.bias")->values[1] = 1e6f;  // beyond f16's 65504: stored as Inf
    CHECK_THAT(load_error(save(file, Dtype::f16)), Catch::Contains("tensor head.bias holds Inf at element 1"));
  }
  SECTION("not safetensors at all") {
    const std::vector<uint8_t> bytes = {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1, 2};
    CHECK_THAT(load_error(bytes), Catch::Contains("header length"));
  }
}

TEST_CASE("checkpoint tensors are skipped by prefix only when asked") {
  TensorFile file = model_to_tensor_file(tiny_model());
  const size_t parameters = file.tensors.size();
  for (size_t i = 0; i < parameters; ++i) {
    TensorEntry moment = file.tensors[i];
    moment.name = "adam.m." + moment.name;
    file.tensors.push_back(moment);
    moment.name = "adam.v." + file.tensors[i].name;
    file.tensors.push_back(moment);
  }
  file.metadata["step"] = "12";
  const std::vector<uint8_t> bytes = serialize_safetensors(file, Dtype::f32);

  CHECK_THAT(load_error(bytes), Catch::Contains("unexpected tensor adam.m.enc1.weight"));

  Result<TensorFile> parsed = parse_safetensors(bytes.data(), bytes.size(), "ck.safetensors");
  REQUIRE(parsed.is_ok());
  Result<Model> model = model_from_tensor_file(*parsed, "ck.safetensors", {"adam.m.", "adam.v."});
  REQUIRE(model.is_ok());
  CHECK(model->parameters.size() == parameters);
  CHECK(model->metadata.at("step") == "12");
  REQUIRE(parsed->find("adam.v.head.bias") != nullptr);
  CHECK(parsed->find("adam.v.head.bias")->values == model->find("head.bias")->values);

  // A prefix does not excuse a parameter: removing one is still an error.
  Result<Model> wrong = model_from_tensor_file(*parsed, "ck.safetensors", {"adam.", "enc1."});
  REQUIRE_FALSE(wrong.is_ok());
  CHECK_THAT(wrong.message(), Catch::Contains("missing tensor enc1.weight"));
}
