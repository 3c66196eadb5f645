#include "adam.h"

#include <cmath>
#include <functional>

namespace tint {

Adam::Adam(const AdamOptions& adam_options, const std::vector<Parameter>& parameters) : options(adam_options) {
  for (const auto& parameter : parameters) {
    first_moment.emplace_back(parameter.values.size(), 0.0f);
    second_moment.emplace_back(parameter.values.size(), 0.0f);
    if (options.average_decay > 0.0f) average.push_back(parameter.values);
  }
}

double gradient_norm(const std::vector<std::vector<float>>& gradients) {
  double sum = 0.0;
  for (const auto& gradient : gradients)
    for (float g : gradient) sum += double(g) * g;
  return std::sqrt(sum);
}

double Adam::step(std::vector<Parameter>& parameters, std::vector<std::vector<float>>& gradients) {
  const double norm = gradient_norm(gradients);
  if (options.clip_norm > 0.0f) {
    // clip_grad_norm_: scale by max_norm / (norm + 1e-6), never up.
    const float scale = float(std::min(1.0, options.clip_norm / (norm + 1e-6)));
    for (auto& gradient : gradients)
      for (float& g : gradient) g *= scale;
  }
  ++steps;
  const double bias_correction1 = 1.0 - std::pow(double(options.beta1), double(steps));
  const double bias_correction2 = 1.0 - std::pow(double(options.beta2), double(steps));
  const float step_size = float(options.learning_rate / bias_correction1);
  const float correction2_sqrt = float(std::sqrt(bias_correction2));
  const float decay = 1.0f - options.learning_rate * options.weight_decay;
  const float keep1 = options.beta1, keep2 = options.beta2;
  const float take1 = float(1.0 - double(keep1)), take2 = float(1.0 - double(keep2));
  // Large parameters on the backend's threads; small ones (biases) are not worth waking them for.
  auto run = [&](size_t size, const std::function<void(int, int)>& body) {
    run_on(size >= 65536 ? backend : nullptr, int(size), body);
  };
  for (size_t p = 0; p < parameters.size(); ++p) {
    float* values = parameters[p].values.data();
    float* m = first_moment[p].data();
    float* v = second_moment[p].data();
    const float* g = gradients[p].data();
    run(parameters[p].values.size(), [&](int begin, int end) {
      for (size_t i = size_t(begin); i < size_t(end); ++i) {
        if (options.weight_decay != 0.0f) values[i] *= decay;
        m[i] = m[i] * keep1 + g[i] * take1;
        v[i] = v[i] * keep2 + g[i] * g[i] * take2;
        const float denominator = std::sqrt(v[i]) / correction2_sqrt + options.epsilon;
        values[i] -= step_size * (m[i] / denominator);
      }
    });
  }
  if (!average.empty()) {
    const float keep = options.average_decay, take = float(1.0 - double(keep));
    for (size_t p = 0; p < parameters.size(); ++p) {
      float* a = average[p].data();
      const float* values = parameters[p].values.data();
      run(parameters[p].values.size(), [&](int begin, int end) {
        for (size_t i = size_t(begin); i < size_t(end); ++i) a[i] = a[i] * keep + values[i] * take;
      });
    }
  }
  return norm;
}

}  // namespace tint
