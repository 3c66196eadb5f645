#include "hints.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "json_strict.h"
#include "lab.h"

namespace tint {

int input_channel(const Architecture& architecture, const std::string& name) {
  int channel = 0;
  for (const std::string& input : architecture.inputs) {
    if (input == name) return channel;
    for (const InputSpec& spec : network_inputs())
      if (spec.name == input) channel += spec.channels;
  }
  return -1;
}

bool takes_hints(const Architecture& architecture) {
  return input_channel(architecture, "hint_ab") >= 0 && input_channel(architecture, "hint_mask") >= 0;
}

Result<Tensor> network_input(const Architecture& architecture, const Tensor& lightness) {
  const int l = input_channel(architecture, "lightness");
  if (l < 0) return Status::error("architecture " + architecture.name + " does not read \"lightness\"");
  const Shape s = lightness.shape;
  if (architecture.input_channels == 1) return lightness;
  Tensor input(s.n, s.h, s.w, architecture.input_channels);
  const int distance = input_channel(architecture, "hint_distance");
  const size_t pixels = size_t(s.n) * s.h * s.w, channels = size_t(architecture.input_channels);
  for (size_t p = 0; p < pixels; ++p) {
    input.data[p * channels + size_t(l)] = lightness.data[p];
    if (distance >= 0) input.data[p * channels + size_t(distance)] = 1.0f;
  }
  return input;
}

void place_hint(Tensor& input, const Architecture& architecture, int n, int x0, int y0, int size, float a128, float b128) {
  const int ab = input_channel(architecture, "hint_ab"), mask = input_channel(architecture, "hint_mask");
  if (ab < 0 || mask < 0) return;
  for (int y = std::max(y0, 0); y < std::min(y0 + size, input.shape.h); ++y) {
    for (int x = std::max(x0, 0); x < std::min(x0 + size, input.shape.w); ++x) {
      input.at(n, y, x, ab) = a128;
      input.at(n, y, x, ab + 1) = b128;
      input.at(n, y, x, mask) = 1.0f;
    }
  }
}

void fill_hints(Tensor& input, const Architecture& architecture, int n) {
  const int ab = input_channel(architecture, "hint_ab"), mask = input_channel(architecture, "hint_mask");
  const int fill = input_channel(architecture, "hint_fill"), reach = input_channel(architecture, "hint_distance");
  if (ab < 0 || mask < 0 || (fill < 0 && reach < 0)) return;
  const int h = input.shape.h, w = input.shape.w;
  // Nearest hinted pixel by vector propagation: two raster passes over 8-neighbourhoods (forward,
  // then backward), each pixel keeping the source nearest to it among its neighbours' sources.
  std::vector<int> source(size_t(h) * w, -1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if (input.at(n, y, x, mask) > 0.0f) source[size_t(y) * w + x] = y * w + x;
  auto distance = [&](int x, int y, int s) {
    const int dx = x - s % w, dy = y - s / w;
    return dx * dx + dy * dy;
  };
  auto offer = [&](int x, int y, int nx, int ny) {
    if (nx < 0 || ny < 0 || nx >= w || ny >= h) return;
    const int candidate = source[size_t(ny) * w + nx];
    int& mine = source[size_t(y) * w + x];
    if (candidate >= 0 && (mine < 0 || distance(x, y, candidate) < distance(x, y, mine))) mine = candidate;
  };
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) offer(x, y, x - 1, y), offer(x, y, x - 1, y - 1), offer(x, y, x, y - 1), offer(x, y, x + 1, y - 1);
    for (int x = w - 1; x >= 0; --x) offer(x, y, x + 1, y);
  }
  for (int y = h - 1; y >= 0; --y) {
    for (int x = w - 1; x >= 0; --x) offer(x, y, x + 1, y), offer(x, y, x + 1, y + 1), offer(x, y, x, y + 1), offer(x, y, x - 1, y + 1);
    for (int x = 0; x < w; ++x) offer(x, y, x - 1, y);
  }
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int s = source[size_t(y) * w + x];
      if (fill >= 0) {
        input.at(n, y, x, fill) = s < 0 ? 0.0f : input.at(n, s / w, s % w, ab);
        input.at(n, y, x, fill + 1) = s < 0 ? 0.0f : input.at(n, s / w, s % w, ab + 1);
      }
      if (reach >= 0) {
        const float d = s < 0 ? kHintDistanceScale : std::sqrt(float(distance(x, y, s)));
        input.at(n, y, x, reach) = std::min(d / kHintDistanceScale, 1.0f);
      }
    }
  }
}

void simulate_hints(Tensor& input, const Architecture& architecture, const Tensor& ab, Random& rng,
                    const HintSimulation& options) {
  for (int n = 0; n < ab.shape.n; ++n) simulate_hints_row(input, architecture, ab, n, rng, options);
}

std::vector<int> hint_region(const Tensor& input, int channel, const Tensor& ab, int n, int x, int y, int radius) {
  const Shape s = ab.shape;
  const float l0 = input.at(n, y, x, channel), a0 = ab.at(n, y, x, 0), b0 = ab.at(n, y, x, 1);
  std::vector<uint8_t> seen(size_t(s.h) * size_t(s.w), 0);
  std::vector<int> region{y * s.w + x};
  seen[size_t(region[0])] = 1;
  for (size_t next = 0; next < region.size(); ++next) {
    const int px = region[next] % s.w, py = region[next] / s.w;
    const int neighbours[4][2] = {{px - 1, py}, {px + 1, py}, {px, py - 1}, {px, py + 1}};
    for (const auto& [qx, qy] : neighbours) {
      if (qx < 0 || qy < 0 || qx >= s.w || qy >= s.h || seen[size_t(qy * s.w + qx)]) continue;
      seen[size_t(qy * s.w + qx)] = 1;
      if ((qx - x) * (qx - x) + (qy - y) * (qy - y) > radius * radius) continue;
      if (std::fabs(input.at(n, qy, qx, channel) - l0) >= 0.06f) continue;
      if (std::hypot(ab.at(n, qy, qx, 0) - a0, ab.at(n, qy, qx, 1) - b0) >= 0.1f) continue;
      region.push_back(qy * s.w + qx);
    }
  }
  return region;
}

void simulate_hints_row(Tensor& input, const Architecture& architecture, const Tensor& ab, int n, Random& rng,
                        const HintSimulation& options, Tensor* recolour) {
  if (!takes_hints(architecture)) return;
  const Shape s = ab.shape;
  if (rng.uniform() < options.none_share) return;
  int points = 1;
  while (points < options.max_points && rng.uniform() >= options.geometric_p) ++points;
  struct Point {
    int x0, y0, size;
  };
  std::vector<Point> drawn;
  for (int i = 0; i < points; ++i) {
    const int size = options.min_patch + int(rng.below(uint32_t(options.max_patch - options.min_patch + 1)));
    // Box-Muller from two uniforms: a normal around the centre.
    const double u1 = std::max(double(rng.uniform()), 1e-7), u2 = rng.uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1)), angle = 2.0 * 3.14159265358979323846 * u2;
    auto coordinate = [&](int side, double unit) {
      const double centre = 0.5 * side + options.centre_sigma * side * unit;
      return std::clamp(int(std::floor(centre)) - size / 2, 0, std::max(side - size, 0));
    };
    int x0 = coordinate(s.w, radius * std::cos(angle)), y0 = coordinate(s.h, radius * std::sin(angle));
    if (options.uniform) {  // the same draws, read as two uniforms
      x0 = std::clamp(int(u1 * (s.w - size + 1)), 0, std::max(s.w - size, 0));
      y0 = std::clamp(int(u2 * (s.h - size + 1)), 0, std::max(s.h - size, 0));
    }
    drawn.push_back({x0, y0, size});
    if (recolour && options.recolour_share > 0 && rng.uniform() < options.recolour_share) {
      // The region around the patch's centre moves by one ab offset to a new colour of chroma
      // 0.1-0.45 (13-58 in ab units) at a random hue; lightness stays.
      const int cx = std::min(x0 + size / 2, s.w - 1), cy = std::min(y0 + size / 2, s.h - 1);
      const float hue = 6.2831853f * rng.uniform(), chroma = rng.uniform(0.1f, 0.45f);
      const float da = chroma * std::cos(hue) - recolour->at(n, cy, cx, 0), db = chroma * std::sin(hue) - recolour->at(n, cy, cx, 1);
      const int reach = std::max(8, std::min(s.w, s.h) / 3);
      for (const int p : hint_region(input, input_channel(architecture, "lightness"), *recolour, n, cx, cy, reach)) {
        float* target = &recolour->at(n, p / s.w, p % s.w, 0);
        target[0] = std::clamp(target[0] + da, -1.0f, 1.0f);
        target[1] = std::clamp(target[1] + db, -1.0f, 1.0f);
      }
    }
  }
  // Each hint carries its patch's mean colour in the (possibly recoloured) target.
  const Tensor& colours = recolour ? *recolour : ab;
  for (const Point& point : drawn) {
    double a = 0, b = 0;
    int count = 0;
    for (int y = point.y0; y < std::min(point.y0 + point.size, s.h); ++y)
      for (int x = point.x0; x < std::min(point.x0 + point.size, s.w); ++x)
        a += colours.at(n, y, x, 0), b += colours.at(n, y, x, 1), ++count;
    place_hint(input, architecture, n, point.x0, point.y0, point.size, float(a / count), float(b / count));
  }
  fill_hints(input, architecture, n);
}

Result<ColorHint> parse_hint_color(const std::string& text) {
  const std::string hex = !text.empty() && text[0] == '#' ? text.substr(1) : text;
  const bool valid = hex.size() == 6 && std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(uint8_t(c)); });
  if (!valid) return Status::error("colour \"" + text + "\" is not #rrggbb");
  float rgb[3];
  for (int k = 0; k < 3; ++k) rgb[k] = float(std::stoi(hex.substr(size_t(2 * k), 2), nullptr, 16)) / 255.0f;
  const Lab lab = srgb_to_lab(rgb[0], rgb[1], rgb[2]);
  ColorHint hint;
  hint.a = lab.a;
  hint.b = lab.b;
  return hint;
}

Result<ColorHint> parse_hint(const std::string& text) {
  const size_t first = text.find(','), second = first == std::string::npos ? first : text.find(',', first + 1);
  auto whole = [](const std::string& part, int* out) {
    if (part.empty() || part.size() > 9 || !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    *out = std::stoi(part);
    return true;
  };
  int x = 0, y = 0;
  if (second == std::string::npos || !whole(text.substr(0, first), &x) ||
      !whole(text.substr(first + 1, second - first - 1), &y)) {
    return Status::error("hint \"" + text + "\" is not X,Y,#rrggbb (X and Y whole pixels from the top left)");
  }
  auto hint = parse_hint_color(text.substr(second + 1));
  if (!hint) return Status::error("hint \"" + text + "\": " + hint.message());
  hint->x = x;
  hint->y = y;
  return hint;
}

Result<std::vector<ColorHint>> parse_hints_json(const std::string& text, const std::string& source) {
  StrictJson parsed = parse_json_strict(text);
  if (!parsed.ok()) {
    return Status::error(source + ": not valid JSON" + (parsed.error.empty() ? " (duplicate key \"" + parsed.duplicate + "\")" : " (" + parsed.error + ")"));
  }
  const nlohmann::json& root = parsed.value;
  if (!root.is_array()) return Status::error(source + ": expected a list of {\"x\", \"y\", \"color\"} hints");
  if (root.size() > kMaxHints) {
    return Status::error(source + ": " + std::to_string(root.size()) + " hints, more than the " + std::to_string(kMaxHints) + " allowed");
  }
  std::vector<ColorHint> hints;
  for (size_t i = 0; i < root.size(); ++i) {
    const nlohmann::json& item = root[i];
    const std::string where = source + ": hint #" + std::to_string(i + 1);
    if (!item.is_object() || item.size() != 3 || !item.contains("x") || !item.contains("y") || !item.contains("color")) {
      return Status::error(where + " must be {\"x\": X, \"y\": Y, \"color\": \"#rrggbb\"}");
    }
    const auto& x = item["x"];
    const auto& y = item["y"];
    if (!x.is_number_unsigned() || !y.is_number_unsigned() || x.get<uint64_t>() > 1000000 || y.get<uint64_t>() > 1000000) {
      return Status::error(where + ": x and y must be whole pixels from the top left");
    }
    if (!item["color"].is_string()) return Status::error(where + ": \"color\" must be a string like \"#a0c0ff\"");
    auto hint = parse_hint_color(item["color"].get<std::string>());
    if (!hint) return Status::error(where + ": " + hint.message());
    hint->x = int(x.get<uint64_t>());
    hint->y = int(y.get<uint64_t>());
    hints.push_back(hint.value());
  }
  return hints;
}

std::vector<ColorHint> sample_hints(const Image& rgb8, int count, uint64_t seed) {
  Random rng(seed, 0x68696e74);  // "hint"
  std::vector<ColorHint> hints;
  for (int i = 0; i < count; ++i) {
    ColorHint hint;
    hint.x = int(rng.below(uint32_t(rgb8.width)));
    hint.y = int(rng.below(uint32_t(rgb8.height)));
    double a = 0, b = 0;
    int n = 0;
    for (int y = std::max(hint.y - 2, 0); y <= std::min(hint.y + 2, rgb8.height - 1); ++y) {
      for (int x = std::max(hint.x - 2, 0); x <= std::min(hint.x + 2, rgb8.width - 1); ++x) {
        const size_t k = (size_t(y) * rgb8.width + x) * 3;
        const Lab lab = srgb_to_lab(rgb8.data[k] / 255.0f, rgb8.data[k + 1] / 255.0f, rgb8.data[k + 2] / 255.0f);
        a += lab.a, b += lab.b, ++n;
      }
    }
    hint.a = float(a / n);
    hint.b = float(b / n);
    hints.push_back(hint);
  }
  return hints;
}

}  // namespace tint
