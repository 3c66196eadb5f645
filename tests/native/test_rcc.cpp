// Qt resource bundles: bundles built here in memory (versions 1-3, nested folders, stored and
// zlib entries) list and read back byte for byte; every malformed bundle gives an error that
// names it, never a crash (run under ASan in the native-asan preset). The real GCompris bundle
// is checked too when tools/fetch-data.sh has run, and skipped otherwise.
#include <catch2/catch.hpp>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "file_io.h"
#include "rcc.h"
#include "rcc_fixtures.h"

using namespace tint_test;

namespace {

// Lists and reads every entry; the error message of the first failure, or "" when all pass.
std::string first_error(const Bytes& bytes, const std::string& source = "bad.rcc") {
  auto entries = tint::list_rcc(bytes.data(), bytes.size(), source);
  if (!entries) return entries.message();
  for (const tint::RccEntry& entry : *entries) {
    auto data = tint::read_rcc_entry(bytes.data(), bytes.size(), entry, source);
    if (!data) return data.message();
  }
  return "";
}

void require_error(const Bytes& bytes, const std::string& expected_part) {
  std::string message = first_error(bytes);
  INFO("message: " << message);
  REQUIRE(message.rfind("bad.rcc: ", 0) == 0);
  REQUIRE(message.find(expected_part) != std::string::npos);
  REQUIRE(message.find('\n') == std::string::npos);
}

}  // namespace

TEST_CASE("rcc bundles of versions 1, 2 and 3 list and read back byte for byte") {
  std::vector<FileSpec> files = sample_files();
  for (uint32_t version : {1u, 2u, 3u}) {
    INFO("version " << version);
    Built built = build_rcc(version, files);
    auto entries = tint::list_rcc(built.bytes.data(), built.bytes.size(), "sample.rcc");
    REQUIRE(entries.is_ok());
    REQUIRE(entries->size() == files.size());
    std::map<std::string, const tint::RccEntry*> by_path;
    for (const tint::RccEntry& entry : *entries) by_path[entry.path] = &entry;
    for (const FileSpec& file : files) {
      INFO(file.path);
      REQUIRE(by_path.count(file.path) == 1);
      const tint::RccEntry& entry = *by_path[file.path];
      REQUIRE(entry.compressed == file.compress);
      REQUIRE(entry.size == file.data.size());
      REQUIRE(entry.language == 1);
      REQUIRE(entry.node_index == built.node_of.at(file.path));
      auto data = tint::read_rcc_entry(built.bytes.data(), built.bytes.size(), entry, "sample.rcc");
      REQUIRE(data.is_ok());
      REQUIRE(*data == file.data);
    }
  }
}

TEST_CASE("rcc entries come in tree order: breadth-first nodes, each folder's children in turn") {
  Built built = build_rcc(2, {{"b/z", {1}}, {"a", {2}}, {"b/y/x", {3}}, {"c", {4}}});
  auto entries = tint::list_rcc(built.bytes.data(), built.bytes.size(), "order.rcc");
  REQUIRE(entries.is_ok());
  std::vector<std::string> paths;
  for (const auto& entry : *entries) paths.push_back(entry.path);
  REQUIRE(paths == std::vector<std::string>{"a", "b/y/x", "b/z", "c"});
}

TEST_CASE("an empty rcc bundle (a root with no children) lists nothing") {
  Built built = build_rcc(1, {});
  auto entries = tint::list_rcc(built.bytes.data(), built.bytes.size(), "empty.rcc");
  REQUIRE(entries.is_ok());
  REQUIRE(entries->empty());
}

TEST_CASE("qCompress's empty form (four zero bytes, no stream) reads as empty") {
  Built built = build_rcc(2, {{"a", {9}, false}});
  // Replace the stored entry by a compressed one holding only its zero size.
  Bytes& bytes = built.bytes;
  size_t node = built.node_at("a");
  set16(bytes, node + 4, 1);
  bytes.resize(bytes.size() + 8, 0);
  set32(bytes, bytes.size() - 8, 4);
  set32(bytes, node + 10, uint32_t(bytes.size() - 8 - built.data_offset));
  auto entries = tint::list_rcc(bytes.data(), bytes.size(), "q.rcc");
  REQUIRE(entries.is_ok());
  auto data = tint::read_rcc_entry(bytes.data(), bytes.size(), (*entries)[0], "q.rcc");
  REQUIRE(data.is_ok());
  REQUIRE(data->empty());
  set32(bytes, bytes.size() - 4, 7);  // declares 7 bytes but has no stream
  entries = tint::list_rcc(bytes.data(), bytes.size(), "bad.rcc");
  REQUIRE(entries.is_ok());
  REQUIRE(first_error(bytes).find("holds no zlib stream") != std::string::npos);
}

TEST_CASE("malformed rcc headers are refused with a message naming the file") {
  Built built = build_rcc(3, sample_files());
  for (size_t size = 0; size < 24; ++size) {
    INFO("size " << size);
    require_error(Bytes(built.bytes.begin(), built.bytes.begin() + long(size)), "truncated header");
  }
  Bytes bytes = built.bytes;
  bytes[0] = 'Q';
  require_error(bytes, "no \"qres\" magic");
  for (uint32_t version : {0u, 4u, 0xFFFFFFFFu}) {
    bytes = built.bytes;
    set32(bytes, 4, version);
    require_error(bytes, "unsupported version " + std::to_string(version));
  }
  bytes = built.bytes;
  set32(bytes, 8, uint32_t(bytes.size() - 10));  // not room for one node
  require_error(bytes, "tree offset");
  set32(bytes, 8, 0xFFFFFFFF);
  require_error(bytes, "tree offset 4294967295 is past the end");
  bytes = built.bytes;
  set32(bytes, 12, uint32_t(bytes.size() + 1));
  require_error(bytes, "data offset");
  bytes = built.bytes;
  set32(bytes, 16, 0xFFFFFFF0);
  require_error(bytes, "names offset");
}

TEST_CASE("malformed rcc trees are refused: offsets past the end, loops, depth, bad names") {
  std::vector<FileSpec> files = sample_files();
  Built built = build_rcc(2, files);
  const std::string file = "gcompris/src/activities/erase/resource/photo1.webp";
  const std::string folder = "gcompris/src/activities/erase/resource";

  SECTION("name offset past the end") {
    Bytes bytes = built.bytes;
    set32(bytes, built.node_at(file), 0x7FFFFFFF);
    require_error(bytes, "name offset");
  }
  SECTION("name characters running past the end") {
    Bytes bytes = built.bytes;
    uint32_t at = uint32_t(bytes.size()) - built.names_offset;
    put16(bytes, 500);  // 500 characters announced, none there
    put32(bytes, 0);
    set32(bytes, built.node_at(file), at);
    require_error(bytes, "runs past the end");
  }
  SECTION("bad UTF-16 and unsafe names") {
    struct Case { std::vector<uint16_t> units; std::string expected; };
    std::vector<Case> cases = {
        {{0xD800, 'a'}, "not valid UTF-16"},
        {{'a', 0xDC00}, "not valid UTF-16"},
        {{'a', 0xD83D}, "not valid UTF-16"},  // high surrogate at the end
        {{}, "not a plain file name"},
        {{'.'}, "not a plain file name"},
        {{'.', '.'}, "not a plain file name"},
        {{'a', '/', 'b'}, "not a plain file name"},
        {{'a', 0}, "not a plain file name"},
    };
    for (const Case& c : cases) {
      Bytes bytes = built.bytes;
      uint32_t at = uint32_t(bytes.size()) - built.names_offset;
      put16(bytes, uint32_t(c.units.size()));
      put32(bytes, 0);
      for (uint16_t unit : c.units) put16(bytes, unit);
      set32(bytes, built.node_at(folder), at);  // a folder's name: its files become unreachable
      require_error(bytes, c.expected);
    }
  }
  SECTION("data offset past the end") {
    Bytes bytes = built.bytes;
    set32(bytes, built.node_at(file) + 10, 0xFFFFFFF0);
    require_error(bytes, "data offset");
  }
  SECTION("data length past the end") {
    Bytes bytes = built.bytes;
    uint32_t at = uint32_t(bytes.size()) - built.data_offset;
    put32(bytes, 1000);
    bytes.resize(bytes.size() + 999);
    set32(bytes, built.node_at(file) + 10, at);
    require_error(bytes, "run past the end");
  }
  SECTION("a child index that loops back to the root or a parent") {
    Bytes bytes = built.bytes;
    set32(bytes, built.node_at(folder) + 10, 0);  // first child = the root
    require_error(bytes, "already reached");
    bytes = built.bytes;
    set32(bytes, built.node_at(folder) + 10, built.node_of.at("gcompris/src/activities/erase"));
    require_error(bytes, "already reached");
    bytes = built.bytes;
    set32(bytes, built.node_at(folder) + 10, built.node_of.at(folder));  // itself
    require_error(bytes, "already reached");
  }
  SECTION("two folders sharing children") {
    Bytes bytes = built.bytes;
    std::string details = "gcompris/src/activities/details";
    set32(bytes, built.node_at(details) + 6, 1);
    set32(bytes, built.node_at(details) + 10, built.node_of.at(folder));
    require_error(bytes, "already reached");
  }
  SECTION("children past the end of the tree, and a huge child count") {
    Bytes bytes = built.bytes;
    set32(bytes, built.node_at(folder) + 10, 100000);
    require_error(bytes, "past the end of the tree");
    bytes = built.bytes;
    set32(bytes, built.node_at(folder) + 6, 0xFFFFFFFF);
    require_error(bytes, "past the end of the tree");
    bytes = built.bytes;
    set32(bytes, built.node_at(folder) + 6, 0xFFFFFFFF);
    set32(bytes, built.node_at(folder) + 10, 0xFFFFFFFF);
    require_error(bytes, "past the end of the tree");
  }
  SECTION("a root that is not a folder") {
    Bytes bytes = built.bytes;
    set16(bytes, built.tree_offset + 4, 0);
    require_error(bytes, "root) is not a directory");
  }
  SECTION("zstd entries are refused") {
    Bytes bytes = built.bytes;
    set16(bytes, built.node_at(file) + 4, 4);
    require_error(bytes, "zstd");
  }
}

TEST_CASE("an rcc tree deeper than the limit is refused; one at the limit is read") {
  auto nested = [](int levels) {
    std::string path;
    for (int i = 0; i < levels; ++i) path += "d/";
    return path + "file";
  };
  Built deep = build_rcc(1, {{nested(tint::max_rcc_depth - 1), {1, 2, 3}}});
  REQUIRE(first_error(deep.bytes) == "");
  Built too_deep = build_rcc(1, {{nested(tint::max_rcc_depth), {1, 2, 3}}});
  require_error(too_deep.bytes, "deeper than 64 levels");
}

TEST_CASE("bad compressed rcc entries are refused: size mismatch, corrupt zlib, huge sizes") {
  const std::string file = "gcompris/src/activities/erase/resource/photo1.webp";  // 5000 bytes
  Built built = build_rcc(3, sample_files());
  auto entries = tint::list_rcc(built.bytes.data(), built.bytes.size(), "bad.rcc");
  REQUIRE(entries.is_ok());
  const tint::RccEntry* entry = nullptr;
  for (const auto& e : *entries) {
    if (e.path == file) entry = &e;
  }
  REQUIRE(entry != nullptr);
  size_t declared_at = entry->data_offset + 4;

  Bytes bytes = built.bytes;
  set32(bytes, declared_at, 4999);
  require_error(bytes, "inflates to 5000 bytes, declared 4999");
  set32(bytes, declared_at, 10);
  require_error(bytes, "inflates to more than the declared 10 bytes");
  set32(bytes, declared_at, 5001);
  require_error(bytes, "inflates to 5000 bytes, declared 5001");
  set32(bytes, declared_at, 200u << 20);  // under the limit: memory follows the real output
  require_error(bytes, "inflates to 5000 bytes, declared 209715200");
  set32(bytes, declared_at, 0xFFFFFFFF);
  require_error(bytes, "declared uncompressed size 4.0 GiB is above the limit of 256.0 MiB");

  bytes = built.bytes;
  bytes[declared_at + 4] ^= 0xFF;  // zlib header
  require_error(bytes, "zlib error");
  bytes = built.bytes;
  for (size_t i = 0; i < 8; ++i) bytes[declared_at + 30 + i] ^= 0x5A;  // inside the stream
  REQUIRE(!first_error(bytes).empty());
  bytes = built.bytes;
  bytes[entry->data_offset + 4 + entry->stored_size - 1] ^= 1;  // Adler-32 checksum
  require_error(bytes, "zlib error");
  bytes = built.bytes;
  set32(bytes, entry->data_offset, entry->stored_size - 20);  // stream cut short
  require_error(bytes, "truncated");

  // A caller-supplied limit applies to stored entries too.
  auto stored = std::find_if(entries->begin(), entries->end(),
                             [](const tint::RccEntry& e) { return !e.compressed && e.size == 1234; });
  REQUIRE(stored != entries->end());
  auto limited = tint::read_rcc_entry(built.bytes.data(), built.bytes.size(), *stored, "bad.rcc", 1000);
  REQUIRE(!limited.is_ok());
  REQUIRE(limited.message().find("above the limit") != std::string::npos);
  // An entry that does not match the buffer it is read from.
  tint::RccEntry forged = *stored;
  forged.data_offset = built.bytes.size() - 2;
  REQUIRE(!tint::read_rcc_entry(built.bytes.data(), built.bytes.size(), forged, "bad.rcc").is_ok());
  forged = *stored;
  forged.stored_size += 1;
  REQUIRE(!tint::read_rcc_entry(built.bytes.data(), built.bytes.size(), forged, "bad.rcc").is_ok());
}

TEST_CASE("every truncation and random corruption of an rcc bundle fails cleanly or reads") {
  for (uint32_t version : {1u, 3u}) {
    std::vector<FileSpec> files = sample_files();
    files[4].data.resize(3000);  // keep each round cheap
    Built built = build_rcc(version, files);
    for (size_t size = 0; size < built.bytes.size(); size += (size < 2000 ? 1 : 997)) {
      Bytes cut(built.bytes.begin(), built.bytes.begin() + long(size));
      first_error(cut);  // must not crash; truncated bundles may still list (the tree is last)
    }
    std::mt19937 random(version);
    for (int round = 0; round < 3000; ++round) {
      Bytes bytes = built.bytes;
      int flips = 1 + int(random() % 4);
      for (int i = 0; i < flips; ++i) {
        // Aim at the header and tree most of the time: that is where the structure lives.
        size_t at = random() % 2 ? built.tree_offset + random() % (bytes.size() - built.tree_offset)
                                 : random() % bytes.size();
        bytes[at] = uint8_t(random());
      }
      first_error(bytes);
    }
  }
}

TEST_CASE("path globs: '*' stays within one path component, '?' is one character") {
  using tint::path_matches_glob;
  REQUIRE(path_matches_glob("a/b/x.webp", "a/b/*.webp"));
  REQUIRE(path_matches_glob("a/b/.webp", "a/b/*.webp"));
  REQUIRE(!path_matches_glob("a/b/c/x.webp", "a/b/*.webp"));
  REQUIRE(path_matches_glob("a/b/c/x.webp", "a/*/*/*.webp"));
  REQUIRE(path_matches_glob("a/b/c/x.webp", "a/b/*/x.webp"));
  REQUIRE(!path_matches_glob("a/b/x.webp", "a/*/*/x.webp"));
  REQUIRE(path_matches_glob("a/b/x.webp", "a/b/?.webp"));
  REQUIRE(!path_matches_glob("a/b/xy.webp", "a/b/?.webp"));
  REQUIRE(!path_matches_glob("a/b", "a?b"));
  REQUIRE(path_matches_glob("abcabd", "*ab?"));
  REQUIRE(path_matches_glob("x.webp.webp", "*.webp"));
  REQUIRE(!path_matches_glob("x.webpx", "*.webp"));
  REQUIRE(path_matches_glob("exact/path.webp", "exact/path.webp"));
  REQUIRE(!path_matches_glob("exact/path.webp", "exact/path.web"));
  REQUIRE(path_matches_glob("", ""));
  REQUIRE(path_matches_glob("", "*"));
  REQUIRE(!path_matches_glob("a/", "*"));
  REQUIRE(path_matches_glob("a/", "*/*"));
  REQUIRE(path_matches_glob("aXb/cYd", "a*b/c*d"));
  REQUIRE(!path_matches_glob("aXb/cYd/e", "a*b/c*"));
  REQUIRE(path_matches_glob("gcompris/src/activities/erase/resource/x.webp",
                            "gcompris/src/activities/erase/resource/*.webp"));
}

TEST_CASE("the real GCompris erase.rcc lists and reads, when tools/fetch-data.sh has run") {
  std::string path = std::string(TINT_TEST_DATA_DIR) +
                     "/../../data/.cache/root/gcompris-qt-data/usr/share/gcompris-qt/rcc/erase.rcc";
  if (!std::filesystem::exists(path)) {
    SUCCEED("skipped: data/ not fetched");
    return;
  }
  auto bundle = tint::read_file(path);
  REQUIRE(bundle.is_ok());
  auto entries = tint::list_rcc(bundle->data(), bundle->size(), path);
  REQUIRE(entries.is_ok());
  int photos = 0;
  for (const auto& entry : *entries) {
    auto data = tint::read_rcc_entry(bundle->data(), bundle->size(), entry, path);
    INFO(entry.path);
    REQUIRE(data.is_ok());
    REQUIRE(data->size() == entry.size);
    if (tint::path_matches_glob(entry.path, "gcompris/src/activities/erase/resource/*.webp")) {
      ++photos;
      REQUIRE(data->size() > 12);
      REQUIRE(std::string(data->begin(), data->begin() + 4) == "RIFF");
      REQUIRE(std::string(data->begin() + 8, data->begin() + 12) == "WEBP");
    }
  }
  REQUIRE(photos == 33);
}
