// EXIF orientation: cameras store pixels as the sensor saw them and record in tag 0x0112 how
// to turn them upright. Decoding applies it so everything after io sees upright pixels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "image.h"

namespace tint {

// The orientation recorded in the file's EXIF block, 1..8; 1 (upright) when there is none or
// the block is malformed (a bad EXIF block is not worth refusing a photo for). Reads the first
// APP1 "Exif" segment of a JPEG; other formats return 1 (PNG eXIf and WebP EXIF orientation are
// applied inconsistently by browsers, and the web build must agree with the native one).
int read_exif_orientation(const uint8_t* bytes, size_t size);

// Returns `image` turned upright for an EXIF orientation: 1 as is, 2 mirrored left-right,
// 3 rotated 180, 4 mirrored top-bottom, 5 transposed (mirrored about the main diagonal),
// 6 rotated 90 clockwise, 7 transversed (mirrored about the anti-diagonal), 8 rotated 90
// counter-clockwise. 5..8 swap width and height. Any other value returns the image as is.
// Works on any channel count and 8 or 16 bits: pixels move whole.
Image apply_orientation(const Image& image, int orientation);

}  // namespace tint
