// Image decode/encode, EXIF orientation and hostile inputs. Every fixture is generated here
// (stb_image_write, libwebp's encoder, or by hand for 16-bit PNG, GIF and EXIF), so the tests
// need no committed images.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "file_io.h"
#include "image_fixtures.h"
#include "image_io.h"
#include "temp_folder.h"


using tint::DecodeOptions;
using tint::Image;
using tint::Result;
using namespace tint_test;

namespace {

std::string temp_path(const std::string& name) {
  return test_temp_root() + "/" + name;
}

Result<Image> decode(const Bytes& bytes, const std::string& name = "x.img",
                     const DecodeOptions& options = {}) {
  return tint::decode_image(bytes.data(), bytes.size(), name, options);
}

void require_same_pixels(const Image& actual, const Image& expected) {
  REQUIRE(actual.width == expected.width);
  REQUIRE(actual.height == expected.height);
  REQUIRE(actual.channels == expected.channels);
  REQUIRE(actual.bits == expected.bits);
  REQUIRE(actual.data == expected.data);
}

}  // namespace

TEST_CASE("PNG 8-bit keeps the file's channels and exact pixels") {
  for (int channels = 1; channels <= 4; ++channels) {
    CAPTURE(channels);
    Image image = pattern_image(13, 7, channels);
    Result<Image> decoded = decode(stb_encode(image, StbFormat::png));
    REQUIRE(decoded.is_ok());
    require_same_pixels(*decoded, image);
  }
}

TEST_CASE("PNG 16-bit decodes to native uint16 samples") {
  for (int channels : {1, 2, 3, 4}) {
    CAPTURE(channels);
    Image image = pattern_image(5, 3, channels, 16);
    Result<Image> decoded = decode(hand_png(image));
    REQUIRE(decoded.is_ok());
    require_same_pixels(*decoded, image);
  }
}

TEST_CASE("BMP, TGA, GIF and WebP decode exactly") {
  Image rgb = pattern_image(9, 6, 3), rgba = pattern_image(9, 6, 4), grey = pattern_image(9, 6, 1);
  for (StbFormat format : {StbFormat::bmp, StbFormat::tga, StbFormat::tga_raw}) {
    for (const Image* image : {&rgb, &rgba}) {
      Result<Image> decoded = decode(stb_encode(*image, format));
      REQUIRE(decoded.is_ok());
      require_same_pixels(*decoded, *image);
    }
  }
  Result<Image> grey_tga = decode(stb_encode(grey, StbFormat::tga));
  REQUIRE(grey_tga.is_ok());
  require_same_pixels(*grey_tga, grey);

  // WebP lossless keeps colours under alpha only when alpha is not zero, so keep it >= 1.
  for (size_t i = 3; i < rgba.data.size(); i += 4) rgba.data[i] |= 1;
  for (const Image* image : {&rgb, &rgba}) {
    Result<Image> decoded = decode(webp_lossless(*image));
    REQUIRE(decoded.is_ok());
    require_same_pixels(*decoded, *image);
  }

  std::vector<uint8_t> indices = {0, 1, 2, 3, 3, 2, 1, 0, 1, 1, 2, 2};
  Result<Image> gif = decode(hand_gif(4, 3, indices));
  REQUIRE(gif.is_ok());
  REQUIRE((gif->width == 4 && gif->height == 3 && gif->channels == 4));
  const uint8_t palette[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
  for (size_t i = 0; i < indices.size(); ++i) {
    for (int c = 0; c < 3; ++c) REQUIRE(gif->data[i * 4 + c] == palette[indices[i]][c]);
    REQUIRE(gif->data[i * 4 + 3] == 255);
  }
}

TEST_CASE("Animated WebP gives its first frame on the canvas") {
  Image frame = pattern_image(6, 4, 4);
  for (size_t i = 3; i < frame.data.size(); i += 4) frame.data[i] = 255;
  Bytes still = webp_lossless(frame);
  Bytes vp8l(still.begin() + 12, still.end());  // the "VP8L" chunk after the RIFF header
  Bytes chunks = {'V', 'P', '8', 'X'};
  put_le(chunks, 10, 4);
  chunks.insert(chunks.end(), {0x12, 0, 0, 0});  // animation + alpha
  put_le(chunks, 5, 3);                          // canvas width - 1
  put_le(chunks, 3, 3);                          // canvas height - 1
  chunks.insert(chunks.end(), {'A', 'N', 'I', 'M'});
  put_le(chunks, 6, 4);
  put_le(chunks, 0, 4);  // background colour
  put_le(chunks, 0, 2);  // loop forever
  for (int repeat = 0; repeat < 2; ++repeat) {
    chunks.insert(chunks.end(), {'A', 'N', 'M', 'F'});
    put_le(chunks, uint32_t(16 + vp8l.size()), 4);
    put_le(chunks, 0, 3);    // x / 2
    put_le(chunks, 0, 3);    // y / 2
    put_le(chunks, 5, 3);    // width - 1
    put_le(chunks, 3, 3);    // height - 1
    put_le(chunks, 100, 3);  // duration
    chunks.push_back(0x02);  // do not blend
    chunks.insert(chunks.end(), vp8l.begin(), vp8l.end());
  }
  Bytes webp = {'R', 'I', 'F', 'F'};
  put_le(webp, uint32_t(4 + chunks.size()), 4);
  webp.insert(webp.end(), {'W', 'E', 'B', 'P'});
  webp.insert(webp.end(), chunks.begin(), chunks.end());
  Result<Image> decoded = decode(webp);
  REQUIRE(decoded.is_ok());
  require_same_pixels(*decoded, frame);
}

TEST_CASE("apply_orientation moves whole pixels as EXIF defines") {
  Image source(3, 2, 1);  // 1 2 3 / 4 5 6
  for (int i = 0; i < 6; ++i) source.data[size_t(i)] = uint8_t(i + 1);
  struct Case { int orientation, width; std::vector<uint8_t> pixels; };
  const Case cases[] = {
      {1, 3, {1, 2, 3, 4, 5, 6}}, {2, 3, {3, 2, 1, 6, 5, 4}}, {3, 3, {6, 5, 4, 3, 2, 1}},
      {4, 3, {4, 5, 6, 1, 2, 3}}, {5, 2, {1, 4, 2, 5, 3, 6}}, {6, 2, {4, 1, 5, 2, 6, 3}},
      {7, 2, {6, 3, 5, 2, 4, 1}}, {8, 2, {3, 6, 2, 5, 1, 4}}, {9, 3, {1, 2, 3, 4, 5, 6}},
  };
  for (const Case& test : cases) {
    CAPTURE(test.orientation);
    Image turned = tint::apply_orientation(source, test.orientation);
    REQUIRE(turned.width == test.width);
    REQUIRE(turned.height == 6 / test.width);
    REQUIRE(turned.data == test.pixels);
  }
  // 16-bit grey+alpha: 4-byte pixels move as a unit.
  Image wide = pattern_image(3, 2, 2, 16);
  Image turned = tint::apply_orientation(wide, 6);
  REQUIRE((turned.width == 2 && turned.height == 3 && turned.bits == 16 && turned.channels == 2));
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 2; ++x) {
      size_t out = size_t(y * 2 + x) * 2, in = size_t((1 - x) * 3 + y) * 2;
      REQUIRE(turned.sample(out) == wide.sample(in));
      REQUIRE(turned.sample(out + 1) == wide.sample(in + 1));
    }
  }
}

TEST_CASE("JPEG EXIF orientations 1-8 decode upright") {
  // Upright picture: 3x2 flat blocks of distinct colours, 16 pixels each (JPEG is lossy, so
  // compare block centres with a tolerance).
  const uint8_t colours[6][3] = {{220, 30, 30}, {30, 200, 30}, {30, 30, 220},
                                 {230, 230, 40}, {200, 40, 200}, {40, 210, 210}};
  const int block = 16;
  Image upright(3 * block, 2 * block, 3);
  for (int y = 0; y < upright.height; ++y) {
    for (int x = 0; x < upright.width; ++x) {
      for (int c = 0; c < 3; ++c) {
        upright.data[size_t((y * upright.width + x) * 3 + c)] = colours[(y / block) * 3 + x / block][c];
      }
    }
  }
  const int inverse[9] = {0, 1, 2, 3, 4, 5, 8, 7, 6};
  for (int orientation = 1; orientation <= 8; ++orientation) {
    for (bool big_endian : {false, true}) {
      CAPTURE(orientation, big_endian);
      Image stored = tint::apply_orientation(upright, inverse[orientation]);
      Bytes jpeg = with_segment_after_soi(stb_encode(stored, StbFormat::jpeg),
                                          exif_segment(orientation, big_endian));
      REQUIRE(tint::read_exif_orientation(jpeg.data(), jpeg.size()) == orientation);
      Result<Image> decoded = decode(jpeg, "photo.jpg");
      REQUIRE(decoded.is_ok());
      REQUIRE((decoded->width == upright.width && decoded->height == upright.height));
      for (int b = 0; b < 6; ++b) {
        int x = (b % 3) * block + block / 2, y = (b / 3) * block + block / 2;
        for (int c = 0; c < 3; ++c) {
          int got = decoded->data[size_t((y * decoded->width + x) * 3 + c)];
          REQUIRE(std::abs(got - colours[b][c]) <= 24);
        }
      }
      DecodeOptions as_stored;
      as_stored.apply_exif_orientation = false;
      Result<Image> raw = decode(jpeg, "photo.jpg", as_stored);
      REQUIRE(raw.is_ok());
      REQUIRE((raw->width == stored.width && raw->height == stored.height));
    }
  }
}

TEST_CASE("Malformed EXIF blocks are ignored") {
  Bytes plain = stb_encode(pattern_image(16, 8, 3), StbFormat::jpeg);
  REQUIRE(tint::read_exif_orientation(plain.data(), plain.size()) == 1);
  Bytes good = exif_segment(6, false);
  std::vector<Bytes> bad_segments;
  Bytes wrong_value = exif_segment(9, false);
  bad_segments.push_back(wrong_value);
  Bytes bad_ifd_offset = good;
  bad_ifd_offset[14] = 0xF0;  // IFD0 offset far past the block
  bad_segments.push_back(bad_ifd_offset);
  Bytes huge_count = good;
  huge_count[18] = 0xFF;  // 65535 entries in a 12-byte IFD, the one present not orientation
  huge_count[19] = 0xFF;
  huge_count[20] = 0x13;
  bad_segments.push_back(huge_count);
  Bytes bad_byte_order = good;
  bad_byte_order[10] = 'X';
  bad_segments.push_back(bad_byte_order);
  Bytes wrong_type = good;
  wrong_type[22] = 7;  // UNDEFINED instead of SHORT
  bad_segments.push_back(wrong_type);
  Bytes short_tiff(good.begin(), good.begin() + 16);
  short_tiff[3] = uint8_t(short_tiff.size() - 2);
  bad_segments.push_back(short_tiff);
  for (const Bytes& segment : bad_segments) {
    Bytes jpeg = with_segment_after_soi(plain, segment);
    REQUIRE(tint::read_exif_orientation(jpeg.data(), jpeg.size()) == 1);
    Result<Image> decoded = decode(jpeg);
    REQUIRE(decoded.is_ok());
    REQUIRE((decoded->width == 16 && decoded->height == 8));
  }
  // Random damage to the segment never reads outside it (ASan build) and never yields 0 or 9+.
  std::mt19937 random(7);
  for (int trial = 0; trial < 2000; ++trial) {
    Bytes segment = good;
    for (int k = 0; k < 3; ++k) segment[4 + random() % (segment.size() - 4)] = uint8_t(random());
    Bytes jpeg = with_segment_after_soi(plain, segment);
    int orientation = tint::read_exif_orientation(jpeg.data(), jpeg.size());
    REQUIRE((orientation >= 1 && orientation <= 8));
  }
}

TEST_CASE("Every truncation of every format is an error, never a crash") {
  Image rgb = pattern_image(24, 16, 3), rgba = pattern_image(24, 16, 4);
  struct Fixture { const char* name; Bytes bytes; size_t complete_prefix; };
  std::vector<Fixture> fixtures = {
      {"a.png", stb_encode(rgba, StbFormat::png), 0},
      {"a16.png", hand_png(pattern_image(8, 4, 3, 16)), 0},
      {"a.jpg", stb_encode(rgb, StbFormat::jpeg), 0},
      {"a.bmp", stb_encode(rgb, StbFormat::bmp), 0},
      {"a32.bmp", stb_encode(rgba, StbFormat::bmp), 0},
      {"a.tga", stb_encode(rgba, StbFormat::tga), 0},
      {"raw.tga", stb_encode(rgb, StbFormat::tga_raw), 0},
      {"a.webp", webp_lossless(rgba), 0},
      {"lossy.webp", webp_lossy(rgb), 0},
  };
  // Only the first GIF frame is read, so a GIF missing just its trailer byte is complete.
  Bytes gif = hand_gif(6, 5, std::vector<uint8_t>(30, 2));
  fixtures.push_back({"a.gif", gif, gif.size() - 1});
  for (const Fixture& fixture : fixtures) {
    CAPTURE(fixture.name);
    REQUIRE(decode(fixture.bytes, fixture.name).is_ok());
    size_t end = fixture.complete_prefix ? fixture.complete_prefix : fixture.bytes.size();
    for (size_t length = 1; length < end; ++length) {
      CAPTURE(length);
      Bytes prefix(fixture.bytes.begin(), fixture.bytes.begin() + long(length));
      Result<Image> decoded = decode(prefix, fixture.name);
      REQUIRE(!decoded.is_ok());
      REQUIRE(decoded.message().rfind(std::string(fixture.name) + ": ", 0) == 0);
      if (length >= 18) REQUIRE_THAT(decoded.message(), Catch::Contains("truncated"));
    }
  }
}

TEST_CASE("Corrupt bytes give errors, never crashes") {
  Image rgb = pattern_image(24, 16, 3);
  Bytes png = stb_encode(rgb, StbFormat::png);
  Bytes bad_zlib = png;
  bad_zlib[33 + 8] ^= 0xFF;  // first byte of the IDAT zlib stream
  Result<Image> decoded = decode(bad_zlib, "bad.png");
  REQUIRE(!decoded.is_ok());
  REQUIRE_THAT(decoded.message(), Catch::StartsWith("bad.png: corrupt PNG data ("));

  Bytes jpeg = stb_encode(rgb, StbFormat::jpeg);
  Bytes twelve_bit = jpeg;
  for (size_t i = 2; i + 4 < twelve_bit.size(); ++i) {
    if (twelve_bit[i] == 0xFF && twelve_bit[i + 1] == 0xC0) {
      twelve_bit[i + 4] = 12;  // sample precision
      break;
    }
  }
  decoded = decode(twelve_bit, "bad.jpg");
  REQUIRE(!decoded.is_ok());
  REQUIRE_THAT(decoded.message(), Catch::StartsWith("bad.jpg: corrupt JPEG"));

  // Huffman counts adding up to more than 256 symbols: Debian's stb_image 2.27 would write
  // past its tables, so the scan must refuse the file first.
  Bytes big_table = jpeg;
  for (size_t i = 2; i + 21 < big_table.size(); ++i) {
    if (big_table[i] == 0xFF && big_table[i + 1] == 0xC4) {
      big_table[i + 19] = big_table[i + 20] = 200;  // counts for 15- and 16-bit codes
      break;
    }
  }
  REQUIRE(decode(big_table, "dht.jpg").message() == "dht.jpg: corrupt JPEG data (bad Huffman table)");

  Bytes upside_down = stb_encode(rgb, StbFormat::bmp);
  const uint8_t int32_min[4] = {0, 0, 0, 0x80};  // height -2^31 has no positive counterpart
  std::memcpy(upside_down.data() + 22, int32_min, 4);
  REQUIRE(decode(upside_down, "b.bmp").message() == "b.bmp: corrupt BMP data (bad dimensions)");

  // Random byte damage: whatever happens must be a value (the ASan build checks the reads).
  std::vector<Bytes> fixtures = {png, jpeg, stb_encode(rgb, StbFormat::bmp),
                                 stb_encode(rgb, StbFormat::tga), webp_lossless(rgb),
                                 webp_lossy(rgb), hand_gif(6, 5, std::vector<uint8_t>(30, 1)),
                                 hand_png(pattern_image(8, 4, 2, 16))};
  std::mt19937 random(11);
  for (const Bytes& fixture : fixtures) {
    for (int trial = 0; trial < 300; ++trial) {
      Bytes damaged = fixture;
      int hits = 1 + int(random() % 4);
      for (int k = 0; k < hits; ++k) damaged[random() % damaged.size()] = uint8_t(random());
      Result<Image> result = decode(damaged, "fuzz.img");
      if (result.is_ok()) {
        REQUIRE(result->data.size() == result->sample_count() * size_t(result->bits / 8));
      } else {
        REQUIRE_THAT(result.message(), Catch::StartsWith("fuzz.img: "));
      }
    }
  }
}

TEST_CASE("Unknown, empty and zero-sized inputs are refused clearly") {
  Bytes text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', ',', ' ', 'n', 'o', 't',
                ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'};
  REQUIRE(decode(text, "x.png").message() ==
          "x.png: not a supported image (JPEG, PNG, WebP, GIF, BMP, TGA)");
  REQUIRE(decode(Bytes{}, "x.png").message() == "x.png: file is empty");

  // The format comes from the bytes: a PNG named .jpg is still a PNG.
  Image image = pattern_image(4, 4, 3);
  Result<Image> misnamed = decode(stb_encode(image, StbFormat::png), "really-a-png.jpg");
  REQUIRE(misnamed.is_ok());
  require_same_pixels(*misnamed, image);

  Bytes png = hand_png(Image(0, 5, 3), false);
  REQUIRE(decode(png, "zero.png").message() == "zero.png: 0x5 image has no pixels");
  Bytes gif = hand_gif(3, 1, {0, 1, 2});
  gif[8] = 0;  // logical screen height 0
  REQUIRE_THAT(decode(gif, "zero.gif").message(), Catch::Contains("has no pixels"));
  Bytes bmp = stb_encode(image, StbFormat::bmp);
  std::memset(bmp.data() + 18, 0, 4);  // width 0
  REQUIRE_THAT(decode(bmp, "zero.bmp").message(), Catch::Contains("has no pixels"));
  Bytes jpeg = stb_encode(image, StbFormat::jpeg);
  for (size_t i = 2; i + 8 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 7] = jpeg[i + 8] = 0;  // width 0
      break;
    }
  }
  REQUIRE_THAT(decode(jpeg, "zero.jpg").message(), Catch::Contains("has no pixels"));
}

TEST_CASE("The pixel limit is checked from the header and is configurable") {
  // A header that claims 100000x100000 with no pixel data behind it: refused on size alone.
  Image claim;
  claim.width = claim.height = 100000;
  claim.channels = 3;
  Bytes huge = hand_png(claim, false);
  REQUIRE(decode(huge, "big.png").message() ==
          "big.png: 100000x100000 is 10000 MP, above the 64 MP limit");

  Bytes png = stb_encode(pattern_image(100, 100, 3), StbFormat::png);
  DecodeOptions small;
  small.max_pixels = 5000;
  REQUIRE(decode(png, "a.png", small).message() ==
          "a.png: 100x100 is 10000 pixels, above the limit of 5000 pixels");
  small.max_pixels = 10000;
  REQUIRE(decode(png, "a.png", small).is_ok());
  small.max_pixels = 9999;
  Bytes webp = webp_lossless(pattern_image(100, 100, 3));
  REQUIRE_THAT(decode(webp, "a.webp", small).message(), Catch::Contains("limit"));
  Bytes gif = hand_gif(100, 100, std::vector<uint8_t>(10000, 3));
  REQUIRE_THAT(decode(gif, "a.gif", small).message(), Catch::Contains("limit"));
}

TEST_CASE("write_image and read_image round-trip PNG exactly and JPEG closely") {
  for (int channels = 1; channels <= 4; ++channels) {
    Image image = pattern_image(11, 5, channels);
    std::string path = temp_path("round-" + std::to_string(channels) + ".PNG");
    REQUIRE(tint::write_image(path, image).is_ok());
    Result<Image> back = tint::read_image(path);
    REQUIRE(back.is_ok());
    require_same_pixels(*back, image);
  }
  // Flat colour survives JPEG closely; alpha is dropped (documented) and grey comes back RGB,
  // because stb_image_write always writes three-component JPEGs.
  Image rgba(16, 16, 4);
  for (size_t i = 0; i < rgba.data.size(); i += 4) {
    rgba.data[i] = 200, rgba.data[i + 1] = 100, rgba.data[i + 2] = 50, rgba.data[i + 3] = 7;
  }
  std::string jpeg_path = temp_path("photo.jpeg");
  REQUIRE(tint::write_image(jpeg_path, rgba, 90).is_ok());
  Result<Image> jpeg = tint::read_image(jpeg_path);
  REQUIRE(jpeg.is_ok());
  REQUIRE((jpeg->width == 16 && jpeg->height == 16 && jpeg->channels == 3));
  REQUIRE(std::abs(int(jpeg->data[0]) - 200) <= 4);
  REQUIRE(std::abs(int(jpeg->data[1]) - 100) <= 4);
  REQUIRE(std::abs(int(jpeg->data[2]) - 50) <= 4);

  REQUIRE_THAT(tint::read_image(temp_path("missing.png")).message(), Catch::Contains("no such file"));
}

TEST_CASE("16-bit images are rounded to 8 bits when written") {
  Image deep(6, 1, 1, 16);
  const uint32_t samples[6] = {0, 128, 129, 257 * 77, 32896, 65535};
  const uint8_t expected[6] = {0, 0, 1, 77, 128, 255};  // 129 / 257 = 0.502 rounds up
  for (size_t i = 0; i < 6; ++i) deep.set_sample(i, samples[i]);
  Result<Bytes> png = tint::encode_image(deep, tint::ImageFormat::png);
  REQUIRE(png.is_ok());
  Result<Image> back = decode(*png);
  REQUIRE(back.is_ok());
  REQUIRE(back->bits == 8);
  REQUIRE(back->data == Bytes(expected, expected + 6));
}

TEST_CASE("Encoding refuses bad requests") {
  Image image = pattern_image(4, 4, 3);
  for (int quality : {0, 101, -5}) {
    REQUIRE_THAT(tint::encode_image(image, tint::ImageFormat::jpeg, quality, "q.jpg").message(),
                 Catch::Equals("q.jpg: JPEG quality " + std::to_string(quality) +
                               " is outside 1..100"));
  }
  REQUIRE(tint::encode_image(image, tint::ImageFormat::jpeg, 1).is_ok());
  REQUIRE(tint::encode_image(image, tint::ImageFormat::jpeg, 100).is_ok());
  Image broken = image;
  broken.data.pop_back();
  REQUIRE_THAT(tint::encode_image(broken, tint::ImageFormat::png).message(),
               Catch::Contains("invalid image"));

  REQUIRE(*tint::format_for_path("a/b.PnG") == tint::ImageFormat::png);
  REQUIRE(*tint::format_for_path("b.JPG") == tint::ImageFormat::jpeg);
  REQUIRE(*tint::format_for_path("dir.v2/b.jpeg") == tint::ImageFormat::jpeg);
  REQUIRE_THAT(tint::format_for_path("out.webp").message(), Catch::Contains(".webp"));
  REQUIRE_THAT(tint::format_for_path("dir.png/out").message(),
               Catch::Contains("no file extension"));

  std::string webp_path = temp_path("out.webp");
  REQUIRE(!tint::write_image(webp_path, image).is_ok());
  REQUIRE(!std::filesystem::exists(webp_path));
  REQUIRE(!tint::write_image(temp_path("q.jpg"), image, 0).is_ok());
  REQUIRE(!std::filesystem::exists(temp_path("q.jpg")));
}
