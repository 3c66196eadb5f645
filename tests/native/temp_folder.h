// One temporary folder per test process (mkdtemp under /tmp), removed when the process exits.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

inline const std::string& test_temp_root() {
  struct Root {
    std::string path;
    Root() {
      char pattern[] = "/tmp/tint-test-XXXXXX";
      path = ::mkdtemp(pattern) ? pattern : "";
    }
    ~Root() {
      if (!path.empty()) std::filesystem::remove_all(path);
    }
  };
  static Root root;
  REQUIRE(!root.path.empty());
  return root.path;
}
