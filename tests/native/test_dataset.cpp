// Training data from disk: generated folder trees (PNG, JPEG, WebP, nested, hidden, corrupt),
// generated CIFAR-10 batches in the exact format, and the batch loader's determinism across
// thread counts, resumes and epochs. Nothing here needs data/.
#include <unistd.h>
#include <webp/encode.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ab_bins.h"
#include "collective.h"
#include "data.h"
#include "dataset.h"
#include "file_io.h"
#include "image_io.h"
#include "temp_folder.h"

using tint::BatchLoader;
using tint::BatchLoaderOptions;
using tint::Dataset;
using tint::DatasetOptions;
using tint::Image;
using Bytes = std::vector<uint8_t>;

namespace {

// A fresh folder per call in the process's temp folder.
std::string fresh_folder(const std::string& name) {
  static int counter = 0;
  const std::string path = test_temp_root() + "/" + name + "-" + std::to_string(counter++);
  std::filesystem::create_directories(path);
  return path;
}

Image pattern_rgb(int width, int height, int salt = 0) {
  Image image(width, height, 3, 8);
  for (size_t i = 0; i < image.data.size(); ++i)
    image.data[i] = uint8_t(((i + salt * 7919) * 2654435761u) >> 13);
  return image;
}

void write_bytes(const std::string& path, const Bytes& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  REQUIRE(tint::write_file_atomic(path, bytes.data(), bytes.size()).is_ok());
}

void write_photo(const std::string& path, const Image& image) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  tint::Status status = tint::write_image(path, image);
  INFO(status.message());
  REQUIRE(status.is_ok());
}

void write_webp(const std::string& path, const Image& rgb) {
  uint8_t* output = nullptr;
  const size_t size =
      WebPEncodeLosslessRGB(rgb.data.data(), rgb.width, rgb.height, rgb.width * 3, &output);
  REQUIRE(size > 0);
  write_bytes(path, Bytes(output, output + size));
  WebPFree(output);
}

// A tree with every case the lister must handle; returns the expected keys, sorted.
std::vector<std::string> make_tree(const std::string& root) {
  write_photo(root + "/b.png", pattern_rgb(60, 50, 1));
  write_photo(root + "/sub/c.jpg", pattern_rgb(70, 64, 2));
  write_webp(root + "/sub/deeper/d.webp", pattern_rgb(64, 80, 3));
  write_photo(root + "/A_UPPER.JPEG", pattern_rgb(90, 66, 4));
  write_photo(root + "/.hidden.png", pattern_rgb(64, 64, 5));
  write_photo(root + "/.cache/e.png", pattern_rgb(64, 64, 6));
  write_bytes(root + "/notes.txt", Bytes{'h', 'i'});
  write_bytes(root + "/sub/corrupt.jpg", Bytes(300, 0x5a));
  return {"A_UPPER.JPEG", "b.png", "sub/c.jpg", "sub/corrupt.jpg", "sub/deeper/d.webp"};
}

// A CIFAR-10 batch in the exact format; record r, pixel p, channel c holds (r * 31 + p * 3 + c
// * 101) & 255, so any mix-up of planes, records or pixels shows.
uint8_t cifar_value(size_t record, size_t pixel, size_t channel) {
  return uint8_t((record * 31 + pixel * 3 + channel * 101) & 255);
}
Bytes cifar_batch(size_t records, size_t first_record = 0) {
  Bytes bytes;
  for (size_t r = first_record; r < first_record + records; ++r) {
    bytes.push_back(uint8_t(r % 10));  // label
    for (size_t c = 0; c < 3; ++c) {
      for (size_t p = 0; p < 1024; ++p) bytes.push_back(cifar_value(r, p, c));
    }
  }
  return bytes;
}

bool same_batch(const tint::Batch& a, const tint::Batch& b) {
  return a.lightness.shape == b.lightness.shape && a.ab.shape == b.ab.shape &&
         a.lightness.data == b.lightness.data && a.ab.data == b.ab.data;
}

// Image `index` of a dataset, which must be readable (it stays alive as long as the dataset keeps it).
const Image& pixels(const Dataset& dataset, int index) {
  static std::vector<std::shared_ptr<const Image>> alive;  // photos read from disk, not kept by the dataset
  auto image = dataset.image(index);
  REQUIRE(image.is_ok());
  alive.push_back(image.value());
  return *alive.back();
}

// A CIFAR data set of `records` images, for the loader tests (fast to build and decode).
const Dataset& cifar_dataset() {
  static Dataset dataset = [] {
    const std::string folder = fresh_folder("cifar-loader");
    write_bytes(folder + "/data_batch_1.bin", cifar_batch(150));
    write_bytes(folder + "/data_batch_3.bin", cifar_batch(60, 150));
    DatasetOptions options;
    options.cifar10_folder = folder;
    options.crop = 24;
    options.seed = 11;
    tint::Result<Dataset> loaded = Dataset::load(options);
    REQUIRE(loaded.is_ok());
    return std::move(*loaded);
  }();
  return dataset;
}

BatchLoaderOptions loader_options(int threads) {
  BatchLoaderOptions options;
  options.batch_size = 8;
  options.crop.crop = 24;
  options.seed = 11;
  options.threads = threads;
  return options;
}

std::vector<tint::Batch> epoch_batches(BatchLoader& loader, int epoch, int first_step = 0) {
  REQUIRE(loader.start(epoch, first_step).is_ok());
  std::vector<tint::Batch> batches;
  for (int step = first_step; step < loader.batches_per_epoch(); ++step) {
    tint::Result<tint::Batch> batch = loader.next();
    REQUIRE(batch.is_ok());
    REQUIRE(batch->step == step);
    batches.push_back(std::move(*batch));
  }
  return batches;
}

}  // namespace

TEST_CASE("list_images walks folders recursively, sorted, skipping hidden and other files") {
  const std::string root = fresh_folder("tree");
  const std::vector<std::string> keys = make_tree(root);
  tint::Result<std::vector<tint::ImageFile>> files = tint::list_image_files({root});
  REQUIRE(files.is_ok());
  REQUIRE(files->size() == keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    CHECK((*files)[i].key == keys[i]);
    CHECK((*files)[i].path == root + "/" + keys[i]);
  }
  tint::Result<std::vector<std::string>> paths = tint::list_images({root + "/"});
  REQUIRE(paths.is_ok());
  CHECK((*paths)[0] == root + "/A_UPPER.JPEG");
  // Overlapping folders list a file once.
  tint::Result<std::vector<std::string>> overlapping = tint::list_images({root, root + "/sub"});
  REQUIRE(overlapping.is_ok());
  CHECK(overlapping->size() == keys.size());
}

TEST_CASE("list_images errors name the folder") {
  const std::string root = fresh_folder("errors");
  const std::string missing = root + "/missing";
  tint::Result<std::vector<std::string>> result = tint::list_images({missing});
  CHECK(result.message() == missing + ": no such folder");

  write_bytes(root + "/file.png", Bytes{1, 2, 3});
  result = tint::list_images({root + "/file.png"});
  CHECK(result.message() == root + "/file.png: not a folder");

  const std::string empty = root + "/empty";
  std::filesystem::create_directories(empty + "/nested");
  write_bytes(empty + "/readme.txt", Bytes{'x'});
  write_bytes(empty + "/.hidden.jpg", Bytes{'x'});
  result = tint::list_images({empty});
  CHECK(result.message() == empty + ": no JPEG, PNG or WebP images found");
  CHECK_FALSE(tint::list_images({}).is_ok());

  if (::geteuid() != 0) {  // root reads every folder, so this case only runs as a user
    const std::string locked = root + "/locked";
    write_photo(locked + "/inner/x.png", pattern_rgb(8, 8));
    std::filesystem::permissions(locked + "/inner", std::filesystem::perms::none);
    result = tint::list_images({locked});
    CHECK(result.message().find(locked + "/inner: cannot read folder") == 0);
    std::filesystem::permissions(locked + "/inner", std::filesystem::perms::owner_all);
  }
}

TEST_CASE("CIFAR-10 batches decode to the exact pixels") {
  const std::string folder = fresh_folder("cifar");
  write_bytes(folder + "/data_batch_1.bin", cifar_batch(3));
  write_bytes(folder + "/data_batch_2.bin", cifar_batch(2, 3));
  write_bytes(folder + "/test_batch.bin", cifar_batch(5));  // not training data: ignored
  std::vector<std::string> keys;
  tint::Result<std::vector<Image>> images = tint::load_cifar10(folder, &keys);
  REQUIRE(images.is_ok());
  REQUIRE(images->size() == 5);
  CHECK(keys == std::vector<std::string>{"cifar10/data_batch_1.bin#0", "cifar10/data_batch_1.bin#1",
                                         "cifar10/data_batch_1.bin#2", "cifar10/data_batch_2.bin#0",
                                         "cifar10/data_batch_2.bin#1"});
  for (size_t r = 0; r < 5; ++r) {
    const Image& image = (*images)[r];
    REQUIRE(image.width == 32);
    REQUIRE(image.height == 32);
    REQUIRE(image.channels == 3);
    REQUIRE(image.bits == 8);
    for (size_t p = 0; p < 1024; ++p) {
      for (size_t c = 0; c < 3; ++c) REQUIRE(image.data[3 * p + c] == cifar_value(r, p, c));
    }
  }
}

TEST_CASE("CIFAR-10 errors name the file") {
  const std::string folder = fresh_folder("cifar-bad");
  CHECK(tint::load_cifar10(folder).message() ==
        folder + ": no CIFAR-10 batches (data_batch_1.bin .. data_batch_5.bin) found");
  Bytes truncated = cifar_batch(2);
  truncated.resize(truncated.size() - 100);
  write_bytes(folder + "/data_batch_4.bin", truncated);
  CHECK(tint::load_cifar10(folder).message() ==
        folder +
            "/data_batch_4.bin: 6046 bytes is not a whole number of CIFAR-10 records "
            "(3073 bytes each: 1 label byte + 3072 pixel bytes)");
  CHECK(tint::load_cifar10(folder + "/nope").message() == folder + "/nope: no such folder");
}

TEST_CASE("Dataset decodes, caps, skips the corrupt and splits by file") {
  const std::string root = fresh_folder("dataset");
  make_tree(root);
  write_photo(root + "/big.png", pattern_rgb(300, 200, 9));
  write_photo(root + "/small.png", pattern_rgb(40, 300, 10));  // short side 40 < crop 48
  DatasetOptions options;
  options.photo_folders = {root};
  options.crop = 48;
  options.max_side = 150;
  options.val_fraction = 0.3;
  options.threads = 3;
  tint::Result<Dataset> dataset = Dataset::load(options);
  REQUIRE(dataset.is_ok());
  CHECK(dataset->skipped_count() == 1);
  REQUIRE(dataset->warnings().size() == 1);
  CHECK(dataset->warnings()[0].find(root + "/sub/corrupt.jpg: ") == 0);
  CHECK(dataset->too_small_count() == 1);
  CHECK(dataset->size() == 5);
  CHECK(dataset->train_count() + dataset->validation_count() == 5);
  CHECK(dataset->train_count() >= 1);
  for (int i = 0; i < dataset->size(); ++i) {
    const Image& image = pixels(*dataset, i);
    CHECK(image.channels == 3);
    CHECK(image.bits == 8);
    CHECK(std::max(image.width, image.height) <= 150);
    if (dataset->keys()[size_t(i)] == "big.png") {
      CHECK(image.width == 150);
      CHECK(image.height == 100);
    }
  }
  // The PNG and the lossless WebP come through exactly (no cap needed for them).
  const auto key_index = [&](const std::string& key) {
    return int(std::find(dataset->keys().begin(), dataset->keys().end(), key) - dataset->keys().begin());
  };
  CHECK(pixels(*dataset, key_index("b.png")).data == pattern_rgb(60, 50, 1).data);
  CHECK(pixels(*dataset, key_index("sub/deeper/d.webp")).data == pattern_rgb(64, 80, 3).data);

  // Each image is on exactly one side, as in_validation says; one decoding thread gives the same.
  std::set<int> seen;
  for (int i : dataset->train()) {
    CHECK_FALSE(
        tint::in_validation(dataset->keys()[size_t(i)], options.seed, options.val_fraction));
    seen.insert(i);
  }
  for (int i : dataset->validation()) {
    CHECK(tint::in_validation(dataset->keys()[size_t(i)], options.seed, options.val_fraction));
    CHECK(seen.insert(i).second);
  }
  CHECK(int(seen.size()) == dataset->size());
  options.threads = 1;
  tint::Result<Dataset> again = Dataset::load(options);
  REQUIRE(again.is_ok());
  CHECK(again->keys() == dataset->keys());
  CHECK(again->train() == dataset->train());
  for (int i = 0; i < dataset->size(); ++i) CHECK(pixels(*again, i).data == pixels(*dataset, i).data);
  CHECK(dataset->summary() == "5 images: " + std::to_string(dataset->train_count()) +
                                  " training, " + std::to_string(dataset->validation_count()) +
                                  " validation; 1 unreadable skipped; 1 smaller than the crop");
}

TEST_CASE("Dataset errors: nothing usable, crop too large, bad options") {
  const std::string root = fresh_folder("dataset-errors");
  write_photo(root + "/a.png", pattern_rgb(200, 300));
  write_photo(root + "/b.png", pattern_rgb(250, 120));
  DatasetOptions options;
  options.photo_folders = {root};
  options.max_side = 0;
  options.crop = 256;
  CHECK(Dataset::load(options).message() ==
        "crop 256 is larger than every image (largest short side 200)");
  options.max_side = 200;
  CHECK(Dataset::load(options).message() == "crop 256 is larger than the long-side cap 200");

  const std::string corrupt = fresh_folder("all-corrupt");
  write_bytes(corrupt + "/x.png", Bytes(100, 7));
  write_bytes(corrupt + "/y.jpg", Bytes(100, 7));
  options.photo_folders = {corrupt};
  options.crop = 16;
  options.max_side = 512;
  tint::Result<Dataset> none = Dataset::load(options);
  CHECK(none.message().find(corrupt + ": none of the 2 images could be decoded (first: " + corrupt +
                            "/x.png") == 0);

  const std::string empty = fresh_folder("empty");
  options.photo_folders = {empty};
  CHECK(Dataset::load(options).message() == empty + ": no JPEG, PNG or WebP images found");
  options.photo_folders = {empty + "/missing"};
  CHECK(Dataset::load(options).message() == empty + "/missing: no such folder");
  options.photo_folders = {root};
  options.val_fraction = 1.5;
  CHECK(Dataset::load(options).message() == "validation fraction 1.5 is not in [0, 1)");
  CHECK_FALSE(Dataset::load(DatasetOptions{}).is_ok());
}

// The ranks of a data-parallel run as threads of this process: what Dataset::load needs of a
// Collective (any, first_mismatch, all_gather), each a round in which every rank hands in bytes.
class ThreadRanks {
 public:
  explicit ThreadRanks(int size) : size_(size), slots_(size_t(size)) {}
  int size() const { return size_; }
  std::vector<Bytes> exchange(int rank, Bytes mine) {
    std::unique_lock<std::mutex> lock(mutex_);
    const long round = round_;
    slots_[size_t(rank)] = std::move(mine);
    if (++arrived_ == size_) {
      every_ = slots_;
      arrived_ = 0;
      ++round_;
      done_.notify_all();
    } else {
      done_.wait(lock, [&] { return round_ != round; });
    }
    return every_;
  }

 private:
  const int size_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<Bytes> slots_, every_;
  int arrived_ = 0;
  long round_ = 0;
};

class ThreadRank : public tint::Collective {
 public:
  ThreadRank(ThreadRanks& ranks, int rank) : ranks_(ranks), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return ranks_.size(); }
  tint::Status sum(std::vector<float>&) override { return tint::Status::error("not in this test"); }
  tint::Status sum(std::vector<double>&) override { return tint::Status::error("not in this test"); }
  tint::Result<bool> any(bool flag) override {
    for (const Bytes& bytes : ranks_.exchange(rank_, Bytes{uint8_t(flag)}))
      if (bytes[0]) return true;
    return false;
  }
  tint::Status broadcast(std::vector<uint8_t>&) override { return tint::Status::error("not in this test"); }
  tint::Result<std::vector<Bytes>> all_gather(const Bytes& mine) override { return ranks_.exchange(rank_, mine); }
  tint::Result<int> first_mismatch(uint64_t value) override {
    const std::vector<Bytes> every = ranks_.exchange(rank_, Bytes(reinterpret_cast<uint8_t*>(&value), reinterpret_cast<uint8_t*>(&value) + 8));
    for (size_t r = 1; r < every.size(); ++r)
      if (every[r] != every[0]) return int(r);
    return -1;
  }
  tint::Status barrier() override { return ranks_.exchange(rank_, {}), tint::Status::ok(); }

 private:
  ThreadRanks& ranks_;
  const int rank_;
};

// Dataset::load on `ranks` threads, rank r with its own options.
std::vector<tint::Result<Dataset>> load_as_ranks(const std::vector<DatasetOptions>& options) {
  ThreadRanks meeting(int(options.size()));
  std::vector<tint::Result<Dataset>> loaded;
  for (size_t r = 0; r < options.size(); ++r) loaded.emplace_back(tint::Status::error("not loaded"));
  std::vector<std::thread> threads;
  for (size_t r = 0; r < options.size(); ++r) {
    threads.emplace_back([&, r] {
      ThreadRank rank(meeting, int(r));
      loaded[r] = Dataset::load(options[r], &rank);
    });
  }
  for (std::thread& thread : threads) thread.join();
  return loaded;
}

TEST_CASE("Dataset shared by ranks: each decodes its share, every rank ends with one process's data") {
  const std::string root = fresh_folder("shared"), cifar = fresh_folder("shared-cifar");
  make_tree(root);  // 5 files, one corrupt
  for (int i = 0; i < 8; ++i) write_photo(root + "/more/p" + std::to_string(i) + ".png", pattern_rgb(40 + 9 * i, 70 - 3 * i, 20 + i));
  write_photo(root + "/more/thin.png", pattern_rgb(20, 90, 30));  // shorter than the crop
  write_bytes(cifar + "/data_batch_1.bin", cifar_batch(12));
  DatasetOptions options;
  options.photo_folders = {root};
  options.cifar10_folder = cifar;
  options.crop = 24;
  options.max_side = 60;
  options.val_fraction = 0.3;
  options.colour_prior = true;
  const int files = 14;
  tint::Result<Dataset> one = Dataset::load(options);
  REQUIRE(one.is_ok());
  CHECK(one->decoded_at_start() == files);
  REQUIRE(one->colour_prior().size() == size_t(tint::AbBins::gamut().count()));
  CHECK(one->held_count() == one->size());

  for (const int ranks : {2, 3}) {
    INFO(ranks << " ranks");
    std::vector<tint::Result<Dataset>> loaded = load_as_ranks(std::vector<DatasetOptions>(size_t(ranks), options));
    int decoded = 0;
    for (int r = 0; r < ranks; ++r) {
      INFO("rank " << r);
      REQUIRE(loaded[size_t(r)].is_ok());
      Dataset& share = loaded[size_t(r)].value();
      decoded += share.decoded_at_start();
      // Its own photos (and every CIFAR image) in memory, not the others'.
      CHECK(share.decoded_at_start() < files);
      CHECK(share.held_count() < one->size());
      CHECK(share.keys() == one->keys());
      CHECK(share.train() == one->train());
      CHECK(share.validation() == one->validation());
      CHECK(share.warnings() == one->warnings());
      CHECK(share.summary() == one->summary());
      CHECK(share.colour_prior() == one->colour_prior());  // the very bits
      for (int i = 0; i < one->size(); ++i) REQUIRE(pixels(share, i).data == pixels(*one, i).data);
      CHECK(share.held_count() == share.size());  // read on demand, then kept
    }
    CHECK(decoded == files);
  }

  // A budget of one byte keeps no photo (CIFAR's images stay): each is read again when needed.
  options.memory_budget = 1;
  tint::Result<Dataset> lean = Dataset::load(options);
  REQUIRE(lean.is_ok());
  CHECK(lean->held_count() == 12);
  for (int i = 0; i < one->size(); ++i) REQUIRE(pixels(*lean, i).data == pixels(*one, i).data);
  CHECK(lean->held_count() == 12);
  CHECK(lean->colour_prior() == one->colour_prior());

  // A photo changed (same size) or gone since the start is an error naming it, not other pixels.
  const auto index_of = [&](const std::string& key) {
    return int(std::find(lean->keys().begin(), lean->keys().end(), key) - lean->keys().begin());
  };
  const std::string changed = root + "/more/p3.png";
  tint::Result<Bytes> bytes = tint::read_file(changed);
  REQUIRE(bytes.is_ok());
  bytes->back() ^= 1;
  write_bytes(changed, bytes.value());
  CHECK(lean->image(index_of("more/p3.png")).message() ==
        changed + ": changed since training started, or differs from the copy another rank read then (every rank needs the same files)");
  std::filesystem::remove(root + "/more/p4.png");
  const std::string gone = lean->image(index_of("more/p4.png")).message();
  CHECK(gone.find(root + "/more/p4.png") != std::string::npos);
  CHECK(gone.find("(it was readable when training started)") != std::string::npos);
}

TEST_CASE("Dataset shared by ranks: a rank with other files, or none, stops every rank") {
  const std::string a = fresh_folder("ranks-a"), b = fresh_folder("ranks-b");
  for (int i = 0; i < 4; ++i) {
    write_photo(a + "/p" + std::to_string(i) + ".png", pattern_rgb(40, 40, i));
    write_photo(b + "/p" + std::to_string(i) + ".png", pattern_rgb(40, 40 + (i == 2), i));  // p2 one row taller
  }
  DatasetOptions first;
  first.photo_folders = {a};
  first.crop = 24;
  DatasetOptions other = first;
  other.photo_folders = {b};
  std::vector<tint::Result<Dataset>> loaded = load_as_ranks({first, other});
  const std::string differ = "rank 1 has different training photos than rank 0 (every rank needs the same files under --data, and the same --val-list)";
  CHECK(loaded[0].message() == differ);
  CHECK(loaded[1].message() == tint::kAnotherRankFailed);
  // The same photos held out differently (each rank reads --val-list itself).
  DatasetOptions held = first, other_held = first;
  held.validation_keys = {"p1.png"};
  other_held.validation_keys = {"p2.png"};
  loaded = load_as_ranks({held, other_held});
  CHECK(loaded[0].message() == differ);
  CHECK(loaded[1].message() == tint::kAnotherRankFailed);
  other.photo_folders = {b + "/missing"};
  loaded = load_as_ranks({first, first, other});
  CHECK(loaded[0].message() == tint::kAnotherRankFailed);
  CHECK(loaded[1].message() == tint::kAnotherRankFailed);
  CHECK(loaded[2].message() == b + "/missing: no such folder");
  // Errors the ranks meet alike (after the exchange) are said by rank 0 only.
  first.crop = 100;
  loaded = load_as_ranks({first, first});
  CHECK(loaded[0].message() == "crop 100 is larger than every image (largest short side 40)");
  CHECK(loaded[1].message() == tint::kAnotherRankFailed);
}

TEST_CASE("BatchLoader gives the same batches for any thread count") {
  const Dataset& dataset = cifar_dataset();
  REQUIRE(dataset.size() == 210);
  BatchLoader inline_loader(dataset, loader_options(0));
  BatchLoader one(dataset, loader_options(1));
  BatchLoader three(dataset, loader_options(3));
  REQUIRE(one.batches_per_epoch() == dataset.train_count() / 8);
  for (int epoch = 0; epoch < 2; ++epoch) {
    const std::vector<tint::Batch> reference = epoch_batches(inline_loader, epoch);
    const std::vector<tint::Batch> from_one = epoch_batches(one, epoch);
    const std::vector<tint::Batch> from_three = epoch_batches(three, epoch);
    REQUIRE(reference.size() == size_t(one.batches_per_epoch()));
    for (size_t step = 0; step < reference.size(); ++step) {
      CHECK(reference[step].lightness.shape == tint::Shape{8, 24, 24, 1});
      CHECK(reference[step].ab.shape == tint::Shape{8, 24, 24, 2});
      CHECK(reference[step].epoch == epoch);
      REQUIRE(same_batch(reference[step], from_one[step]));
      REQUIRE(same_batch(reference[step], from_three[step]));
    }
    CHECK_FALSE(same_batch(reference[0], reference[1]));
  }
  // Another epoch is another order and other crops.
  inline_loader.start(0, 0);
  const tint::Batch epoch0 = *inline_loader.next();
  inline_loader.start(1, 0);
  CHECK_FALSE(same_batch(epoch0, *inline_loader.next()));
}

TEST_CASE("BatchLoader resumes mid-epoch with the very same batches") {
  const Dataset& dataset = cifar_dataset();
  BatchLoader loader(dataset, loader_options(2));
  const std::vector<tint::Batch> whole = epoch_batches(loader, 3);
  BatchLoader resumed(dataset, loader_options(3));
  const std::vector<tint::Batch> tail = epoch_batches(resumed, 3, 7);
  REQUIRE(tail.size() == whole.size() - 7);
  for (size_t i = 0; i < tail.size(); ++i) REQUIRE(same_batch(tail[i], whole[7 + i]));
  // Restarting in the middle of a prefetch discards what was built ahead.
  REQUIRE(loader.start(3, 0).is_ok());
  (void)loader.next();
  REQUIRE(loader.start(3, 10).is_ok());
  tint::Result<tint::Batch> batch = loader.next();
  REQUIRE(batch.is_ok());
  CHECK(same_batch(*batch, whole[10]));
}

TEST_CASE("BatchLoader shares: each rank's rows are exactly those rows of the whole batch") {
  const Dataset& dataset = cifar_dataset();
  BatchLoader whole_loader(dataset, loader_options(1));
  const std::vector<tint::Batch> whole = epoch_batches(whole_loader, 2);
  for (const int ranks : {2, 3, 8}) {
    INFO(ranks << " ranks");
    int covered = 0;
    for (int rank = 0; rank < ranks; ++rank) {
      tint::BatchLoaderOptions options = loader_options(rank % 2);
      options.shard = tint::BatchShard::of(options.batch_size, rank, ranks);
      CHECK(options.shard.first == covered);
      covered += options.shard.rows;
      BatchLoader loader(dataset, options);
      const std::vector<tint::Batch> share = epoch_batches(loader, 2);
      REQUIRE(share.size() == whole.size());
      const size_t row_l = 24 * 24, row_ab = 24 * 24 * 2;
      for (size_t step = 0; step < share.size(); ++step) {
        REQUIRE(share[step].lightness.shape == tint::Shape{options.shard.rows, 24, 24, 1});
        const auto& l = whole[step].lightness.data;
        const auto& ab = whole[step].ab.data;
        REQUIRE(std::equal(share[step].lightness.data.begin(), share[step].lightness.data.end(),
                           l.begin() + std::ptrdiff_t(row_l * size_t(options.shard.first))));
        REQUIRE(std::equal(share[step].ab.data.begin(), share[step].ab.data.end(),
                           ab.begin() + std::ptrdiff_t(row_ab * size_t(options.shard.first))));
      }
    }
    CHECK(covered == 8);  // the shares tile the batch
  }
  tint::BatchLoaderOptions bad = loader_options(0);
  bad.shard = {6, 4, 8};  // past the batch's end
  BatchLoader refused(dataset, bad);
  CHECK_FALSE(refused.start(0, 0).is_ok());
}

TEST_CASE("BatchLoader validation batches are fixed across epochs and threads") {
  const Dataset& dataset = cifar_dataset();
  REQUIRE(dataset.validation_count() > 8);  // more than one batch, the last one partial
  BatchLoader loader(dataset, loader_options(2));
  BatchLoader other(dataset, loader_options(0));
  const int count = loader.validation_batches();
  CHECK(count == (dataset.validation_count() + 7) / 8);
  std::vector<tint::Batch> first;
  for (int i = 0; i < count; ++i) first.push_back(*loader.validation_batch(i));
  CHECK(first.back().lightness.shape.n == dataset.validation_count() - 8 * (count - 1));
  epoch_batches(loader, 0);
  REQUIRE(loader.start(1, 0).is_ok());
  (void)loader.next();
  for (int i = 0; i < count; ++i) {
    REQUIRE(same_batch(first[size_t(i)], *loader.validation_batch(i)));
    REQUIRE(same_batch(first[size_t(i)], *other.validation_batch(i)));
  }
  CHECK_FALSE(loader.validation_batch(count).is_ok());
  // No validation image is in the training set.
  std::set<int> train(dataset.train().begin(), dataset.train().end());
  for (int i : dataset.validation()) CHECK(train.count(i) == 0);
}

TEST_CASE("BatchLoader reports misuse and stops cleanly") {
  const Dataset& dataset = cifar_dataset();
  BatchLoader loader(dataset, loader_options(3));
  CHECK(loader.next().message() == "data loader: next() before start()");
  CHECK_FALSE(loader.start(0, loader.batches_per_epoch()).is_ok());
  CHECK_FALSE(loader.start(-1, 0).is_ok());
  epoch_batches(loader, 0);
  CHECK(loader.next().message().find("data loader: epoch 0 has only") == 0);

  BatchLoaderOptions too_big = loader_options(1);
  too_big.batch_size = 1000;
  CHECK(
      BatchLoader(dataset, too_big).start(0, 0).message().find("batch size 1000 needs at least") ==
      0);
  BatchLoaderOptions wrong_crop = loader_options(1);
  wrong_crop.crop.crop = 64;
  CHECK_FALSE(BatchLoader(dataset, wrong_crop).start(0, 0).is_ok());

  // A consumer that stops early: the destructor must not wait for batches nobody takes.
  const auto begin = std::chrono::steady_clock::now();
  for (int round = 0; round < 20; ++round) {
    BatchLoader early(dataset, loader_options(3));
    REQUIRE(early.start(round, 0).is_ok());
    if (round % 2) (void)early.next();
  }
  CHECK(std::chrono::steady_clock::now() - begin < std::chrono::seconds(20));
}
