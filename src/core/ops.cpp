#include "ops.h"

#include "ops_common.h"
#include "parallel.h"

namespace tint {

std::unique_ptr<Backend> make_simd_backend(int threads);
#ifdef TINT_HAVE_XNNPACK
Result<std::unique_ptr<Backend>> make_xnnpack_backend(int threads);
#endif

Status Backend::tanh(const Tensor& input, Tensor& output) {
  tanh_elementwise(input, output);
  return Status::ok();
}

void Backend::parallel_for(int count, const std::function<void(int, int)>& body) {
  tint::parallel_for(count, threads(), body);
}

void run_on(Backend* backend, int count, const std::function<void(int, int)>& body) {
  if (backend) {
    backend->parallel_for(count, body);
  } else if (count > 0) {
    body(0, count);
  }
}

std::vector<std::string> available_backends() {
#ifdef TINT_HAVE_XNNPACK
  return {"xnnpack", "simd"};
#else
  return {"simd"};
#endif
}

const char* default_backend_name() {
#ifdef TINT_HAVE_XNNPACK
  return "xnnpack";
#else
  return "simd";
#endif
}

Result<std::unique_ptr<Backend>> make_backend(const std::string& name, int threads) {
  if (threads < 1 || threads > 256) {
    return Status::error("threads must be between 1 and 256, got " + std::to_string(threads));
  }
  if (name == "simd") return make_simd_backend(threads);
#ifdef TINT_HAVE_XNNPACK
  if (name == "xnnpack") return make_xnnpack_backend(threads);
#endif
  std::string known;
  for (const auto& backend : available_backends()) known += (known.empty() ? "" : ", ") + backend;
  return Status::error("unknown backend '" + name + "' (available: " + known + ")");
}

}  // namespace tint
