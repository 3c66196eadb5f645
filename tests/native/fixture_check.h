// Test fixtures (image_fixtures.h, rcc_fixtures.h) serve Catch2 tests and the fuzzers' seed
// writer alike: a failed step throws, which a test reports as a failure, instead of needing Catch2.
#pragma once

#include <stdexcept>
#include <string>

namespace tint_test {

inline void fixture_check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("fixture: ") + what);
}

}  // namespace tint_test
