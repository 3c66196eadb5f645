// Errors as values: the core never throws and never prints. A failed call returns a Status
// whose message names the input and what was wrong; the CLI prints it, the WASM binding
// returns it to JavaScript.
#pragma once

#include <string>
#include <utility>

namespace tint {

class Status {
 public:
  Status() = default;
  static Status ok() { return {}; }
  static Status error(std::string message) {
    Status status;
    status.failed_ = true;
    status.message_ = std::move(message);
    return status;
  }
  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  bool failed_ = false;
  std::string message_;
};

// A value or the Status that says why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT
  bool is_ok() const { return status_.is_ok(); }
  explicit operator bool() const { return status_.is_ok(); }
  const Status& status() const { return status_; }
  const std::string& message() const { return status_.message(); }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T& operator*() { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }

 private:
  T value_{};
  Status status_;
};

// Returns early from the enclosing function with the status of a failed call.
#define TINT_RETURN_IF_ERROR(expression)          \
  do {                                            \
    ::tint::Status tint_status_ = (expression);   \
    if (!tint_status_.is_ok()) return tint_status_; \
  } while (0)

}  // namespace tint
