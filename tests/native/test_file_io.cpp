// read_file errors and write_file_atomic's promise: the target holds the old bytes or the new
// ones, and no temp file survives a failure.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "file_io.h"
#include "temp_folder.h"

using Bytes = std::vector<uint8_t>;

namespace {

// Each test works in its own, emptied subfolder of the process's temp folder.
std::string fresh_folder(const std::string& name) {
  std::string path = test_temp_root() + "/" + name;
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

std::vector<std::string> entries(const std::string& folder) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

void write_plain(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

Bytes bytes_of(const std::string& text) { return Bytes(text.begin(), text.end()); }

}  // namespace

TEST_CASE("read_file returns the bytes and names the file in every error") {
  std::string folder = fresh_folder("read");
  write_plain(folder + "/data.bin", std::string("abc\0def", 7));
  tint::Result<Bytes> read = tint::read_file(folder + "/data.bin");
  REQUIRE(read.is_ok());
  REQUIRE(*read == Bytes({'a', 'b', 'c', 0, 'd', 'e', 'f'}));

  REQUIRE(tint::read_file(folder + "/missing.png").message() ==
          folder + "/missing.png: no such file");
  REQUIRE(tint::read_file(folder).message() == folder + ": is a directory, not a file");
  write_plain(folder + "/x.png", "");
  REQUIRE(tint::read_file(folder + "/x.png").message() == folder + "/x.png: file is empty");
  REQUIRE(tint::read_file(folder + "/data.bin/inner").message() ==
          folder + "/data.bin/inner: a component of the path is not a directory");

  write_plain(folder + "/big.bin", std::string(2000, 'z'));
  REQUIRE(tint::read_file(folder + "/big.bin", 2000).is_ok());
  REQUIRE(tint::read_file(folder + "/big.bin", 1999).message() ==
          folder + "/big.bin: file is 2.0 KiB, above the 2.0 KiB limit");
  REQUIRE(tint::read_file(folder + "/big.bin", 1000).message() ==
          folder + "/big.bin: file is 2.0 KiB, above the 1000 B limit");
}

TEST_CASE("read_file reads a pipe up to the limit") {
  // Character devices and pipes have no size up front; /dev/zero never ends.
  REQUIRE_THAT(tint::read_file("/dev/zero", 100000).message(),
               Catch::Equals("/dev/zero: input is larger than the 97.7 KiB limit"));
  REQUIRE(tint::read_file("/dev/null").message() == "/dev/null: file is empty");
}

TEST_CASE("write_file_atomic creates and replaces files, leaving nothing else") {
  std::string folder = fresh_folder("write");
  std::string path = folder + "/out.png";
  Bytes first = bytes_of("first version, longer than the second");
  REQUIRE(tint::write_file_atomic(path, first.data(), first.size()).is_ok());
  REQUIRE(*tint::read_file(path) == first);
  Bytes second = bytes_of("second");
  REQUIRE(tint::write_file_atomic(path, second.data(), second.size()).is_ok());
  REQUIRE(*tint::read_file(path) == second);
  REQUIRE(entries(folder) == std::vector<std::string>{"out.png"});

  // Zero bytes is a valid write (reading it back is what refuses empty files).
  REQUIRE(tint::write_file_atomic(path, nullptr, 0).is_ok());
  REQUIRE(std::filesystem::file_size(path) == 0);

  // A bare name writes into the working folder.
  std::string previous = std::filesystem::current_path().string();
  std::filesystem::current_path(folder);
  REQUIRE(tint::write_file_atomic("bare.txt", second.data(), second.size()).is_ok());
  std::filesystem::current_path(previous);
  REQUIRE(*tint::read_file(folder + "/bare.txt") == second);
}

TEST_CASE("write_file_atomic failures leave no temp files and the target untouched") {
  std::string folder = fresh_folder("fail");
  write_plain(folder + "/file.txt", "keep me");
  std::filesystem::create_directory(folder + "/sub");
  Bytes data = bytes_of("new bytes");

  // A path component is a regular file (as root, permission tricks do not fail).
  tint::Status status = tint::write_file_atomic(folder + "/file.txt/out.png", data.data(), data.size());
  REQUIRE(status.message() == folder + "/file.txt/out.png: a component of " + folder +
                                  "/file.txt is not a directory");
  status = tint::write_file_atomic(folder + "/missing/out.png", data.data(), data.size());
  REQUIRE(status.message() ==
          folder + "/missing/out.png: directory " + folder + "/missing does not exist");
  // The target is a directory: the temp file is written, the rename fails, the temp goes.
  status = tint::write_file_atomic(folder + "/sub", data.data(), data.size());
  REQUIRE(status.message() == folder + "/sub: is a directory, not a file");
  status = tint::write_file_atomic(folder + "/", data.data(), data.size());
  REQUIRE(!status.is_ok());

  REQUIRE(entries(folder) == std::vector<std::string>{"file.txt", "sub"});
  REQUIRE(entries(folder + "/sub").empty());
  REQUIRE(*tint::read_file(folder + "/file.txt") == bytes_of("keep me"));
}

TEST_CASE("Concurrent atomic writes to one path never mix") {
  std::string folder = fresh_folder("race");
  std::string path = folder + "/shared.bin";
  const int writers = 4, rounds = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      Bytes payload(4096 + size_t(t) * 1000, uint8_t('a' + t));
      for (int round = 0; round < rounds; ++round) {
        tint::write_file_atomic(path, payload.data(), payload.size());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  Bytes final_bytes = *tint::read_file(path);
  int t = final_bytes[0] - 'a';
  REQUIRE((t >= 0 && t < writers));
  REQUIRE(final_bytes == Bytes(4096 + size_t(t) * 1000, uint8_t('a' + t)));
  REQUIRE(entries(folder) == std::vector<std::string>{"shared.bin"});
}

TEST_CASE("format_byte_count") {
  REQUIRE(tint::format_byte_count(0) == "0 B");
  REQUIRE(tint::format_byte_count(1023) == "1023 B");
  REQUIRE(tint::format_byte_count(1536) == "1.5 KiB");
  REQUIRE(tint::format_byte_count(1ull << 31) == "2.0 GiB");
}
