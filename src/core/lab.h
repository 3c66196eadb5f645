// sRGB <-> CIE Lab (D65), the formula of docs/design.md, "Colour space": sRGB companding
// (0.04045 / 12.92 / 2.4), the sRGB->XYZ matrix, white (0.950456, 1, 1.088754), f(t) = t^(1/3)
// above 0.008856, else 7.787 t + 16/116. Channels are floats in [0, 1]; L in [0, 100], a and b
// roughly [-128, 127].
#pragma once

#include <cstdint>

namespace tint {

struct Lab {
  float l = 0, a = 0, b = 0;
};

float srgb_to_linear(float c);
float linear_to_srgb(float c);
// round(linear_to_srgb(c) * 255) for c clamped to [0, 1], without pow (table + boundaries).
uint8_t linear_to_srgb8(float c);
Lab srgb_to_lab(float r, float g, float b);
// L alone (it depends only on luminance Y): what the network sees.
float srgb_to_lightness(float r, float g, float b);
float linear_luminance_to_lightness(float y);
// Unclamped: out-of-gamut Lab gives channels outside [0, 1].
void lab_to_srgb(const Lab& lab, float& r, float& g, float& b);
void lab_to_linear(const Lab& lab, float& r, float& g, float& b);

}  // namespace tint
