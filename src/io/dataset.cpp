#include "dataset.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include "file_io.h"
#include "image_io.h"
#include "parallel.h"

namespace tint {

namespace fs = std::filesystem;

namespace {

constexpr int cifar_side = 32;
constexpr size_t cifar_plane = size_t(cifar_side) * cifar_side;
constexpr size_t cifar_record = 1 + 3 * cifar_plane;  // label byte + R, G, B planes

// "0.1", "1.5": numbers in messages without std::to_string's six decimals.
std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

bool is_image_name(const std::string& name) {
  const size_t dot = name.find_last_of('.');
  if (dot == std::string::npos) return false;
  std::string extension = name.substr(dot + 1);
  for (char& c : extension) c = char(std::tolower(static_cast<unsigned char>(c)));
  return extension == "jpg" || extension == "jpeg" || extension == "png" || extension == "webp";
}

// The folder must exist and be a folder; the message names it as the user typed it.
Status check_folder(const std::string& folder) {
  std::error_code error;
  const fs::file_status status = fs::status(folder, error);
  if (status.type() == fs::file_type::not_found) return Status::error(folder + ": no such folder");
  if (error) return Status::error(folder + ": cannot read folder (" + error.message() + ")");
  if (!fs::is_directory(status)) return Status::error(folder + ": not a folder");
  return Status::ok();
}

// Depth-first walk by hand rather than recursive_directory_iterator, so an unreadable subfolder
// is reported by its own name. Symlinked folders are not entered: a link to an ancestor would
// loop forever, and photo folders rarely need them.
Status walk(const fs::path& folder, const std::string& relative, std::vector<ImageFile>& out) {
  const fs::path directory = relative.empty() ? folder : folder / relative;
  std::error_code error;
  fs::directory_iterator it(directory, error);
  if (error) {
    return Status::error(directory.generic_string() + ": cannot read folder (" + error.message() +
                         ")");
  }
  std::vector<std::string> subfolders;
  for (; it != fs::directory_iterator(); it.increment(error)) {
    if (error) break;
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // hidden, and editors' temp files
    const std::string child = relative.empty() ? name : relative + "/" + name;
    std::error_code type_error;
    if (it->is_directory(type_error) && !it->is_symlink(type_error)) {
      subfolders.push_back(child);
    } else if (is_image_name(name) && it->is_regular_file(type_error)) {
      out.push_back({(folder / child).generic_string(), child});
    }
  }
  if (error) {
    return Status::error(directory.generic_string() + ": cannot read folder (" + error.message() +
                         ")");
  }
  for (const std::string& subfolder : subfolders)
    TINT_RETURN_IF_ERROR(walk(folder, subfolder, out));
  return Status::ok();
}

}  // namespace

Result<std::vector<ImageFile>> list_image_files(const std::vector<std::string>& folders) {
  if (folders.empty()) return Status::error("no data folders given");
  std::vector<ImageFile> files;
  std::set<std::string> seen;  // canonical paths, so overlapping folders do not list a file twice
  for (const std::string& folder : folders) {
    TINT_RETURN_IF_ERROR(check_folder(folder));
    std::vector<ImageFile> found;
    TINT_RETURN_IF_ERROR(walk(fs::path(folder), "", found));
    if (found.empty()) return Status::error(folder + ": no JPEG, PNG or WebP images found");
    for (ImageFile& file : found) {
      std::error_code error;
      const fs::path canonical = fs::weakly_canonical(file.path, error);
      if (seen.insert(error ? file.path : canonical.string()).second)
        files.push_back(std::move(file));
    }
  }
  // Byte order of the paths: the same on every file system, whatever order readdir gives.
  std::sort(files.begin(), files.end(),
            [](const ImageFile& a, const ImageFile& b) { return a.path < b.path; });
  return files;
}

Result<std::vector<std::string>> list_images(const std::vector<std::string>& folders) {
  Result<std::vector<ImageFile>> files = list_image_files(folders);
  if (!files.is_ok()) return files.status();
  std::vector<std::string> paths;
  paths.reserve(files->size());
  for (const ImageFile& file : *files) paths.push_back(file.path);
  return paths;
}

Status parse_cifar10_batch(const uint8_t* bytes, size_t size, const std::string& path, const std::string& name,
                           std::vector<Image>& images, std::vector<std::string>* keys) {
  if (size % cifar_record != 0) {
    return Status::error(path + ": " + std::to_string(size) +
                         " bytes is not a whole number of CIFAR-10 records (3073 bytes each: "
                         "1 label byte + 3072 pixel bytes)");
  }
  const size_t records = size / cifar_record;
  for (size_t r = 0; r < records; ++r) {
    // Skip the label: colourising needs no class. Planes R, G, B -> interleaved RGB.
    const uint8_t* planes = bytes + r * cifar_record + 1;
    Image image(cifar_side, cifar_side, 3, 8);
    for (size_t p = 0; p < cifar_plane; ++p) {
      for (size_t c = 0; c < 3; ++c) image.data[3 * p + c] = planes[c * cifar_plane + p];
    }
    images.push_back(std::move(image));
    if (keys) keys->push_back("cifar10/" + name + "#" + std::to_string(r));
  }
  return Status::ok();
}

Result<std::vector<Image>> load_cifar10(const std::string& folder, std::vector<std::string>* keys) {
  TINT_RETURN_IF_ERROR(check_folder(folder));
  std::vector<Image> images;
  int files_found = 0;
  for (int batch = 1; batch <= 5; ++batch) {
    const std::string name = "data_batch_" + std::to_string(batch) + ".bin";
    const std::string path = (fs::path(folder) / name).generic_string();
    std::error_code error;
    if (!fs::exists(path, error)) continue;
    ++files_found;
    Result<std::vector<uint8_t>> bytes = read_file(path);
    if (!bytes.is_ok()) return bytes.status();
    TINT_RETURN_IF_ERROR(parse_cifar10_batch(bytes->data(), bytes->size(), path, name, images, keys));
  }
  if (files_found == 0) {
    return Status::error(folder +
                         ": no CIFAR-10 batches (data_batch_1.bin .. data_batch_5.bin) found");
  }
  return images;
}

Result<Dataset> Dataset::load(const DatasetOptions& options) {
  if (options.photo_folders.empty() && options.cifar10_folder.empty()) {
    return Status::error("no training data given: name photo folders or a CIFAR-10 folder");
  }
  if (options.crop < 1)
    return Status::error("crop " + std::to_string(options.crop) + " must be at least 1");
  if (!(options.val_fraction >= 0.0 && options.val_fraction < 1.0)) {
    return Status::error("validation fraction " + number_text(options.val_fraction) +
                         " is not in [0, 1)");
  }
  if (options.max_side > 0 && options.max_side < options.crop) {
    return Status::error("crop " + std::to_string(options.crop) +
                         " is larger than the long-side cap " + std::to_string(options.max_side));
  }

  std::vector<Image> images;
  std::vector<std::string> keys;
  std::vector<std::string> warnings;
  int skipped = 0, photo_count = 0;
  if (!options.photo_folders.empty()) {
    Result<std::vector<ImageFile>> files = list_image_files(options.photo_folders);
    if (!files.is_ok()) return files.status();
    photo_count = int(files->size());
    // Each file decodes into its own slot, so the result (and the warnings' order) does not
    // depend on which thread took which file. A slot holds the capped image, never the full one.
    std::vector<Image> decoded(files->size());
    std::vector<std::string> problems(files->size());
    DecodeOptions decode_options;
    decode_options.max_pixels = options.max_pixels;
    std::atomic<size_t> next_file{0};
    parallel_for(std::max(1, options.threads), std::max(1, options.threads), [&](int, int) {
      for (size_t i = next_file++; i < files->size(); i = next_file++) {
        Result<Image> image = read_image((*files)[i].path, decode_options);
        if (image.is_ok()) {
          decoded[i] = cap_long_side(*image, options.max_side);
        } else {
          problems[i] = image.message();
        }
      }
    });
    for (size_t i = 0; i < files->size(); ++i) {
      if (!problems[i].empty()) {
        warnings.push_back(problems[i]);
        ++skipped;
        continue;
      }
      images.push_back(std::move(decoded[i]));
      keys.push_back((*files)[i].key);
    }
  }
  if (!options.cifar10_folder.empty()) {
    Result<std::vector<Image>> cifar = load_cifar10(options.cifar10_folder, &keys);
    if (!cifar.is_ok()) return cifar.status();
    for (Image& image : *cifar) {
      images.push_back(options.max_side > 0 && options.max_side < cifar_side
                           ? cap_long_side(image, options.max_side)
                           : std::move(image));
    }
  }
  if (images.empty()) {
    std::string folders;
    for (const std::string& folder : options.photo_folders)
      folders += (folders.empty() ? "" : ", ") + folder;
    return Status::error(folders + ": none of the " + std::to_string(photo_count) +
                         " images could be decoded" +
                         (warnings.empty() ? std::string() : " (first: " + warnings.front() + ")"));
  }

  Dataset dataset;
  dataset.crop_ = options.crop;
  dataset.skipped_ = skipped;
  dataset.warnings_ = std::move(warnings);
  int largest_short_side = 0;
  const std::set<std::string> held_out(options.validation_keys.begin(), options.validation_keys.end());
  size_t listed_found = 0;
  for (const std::string& key : keys) listed_found += held_out.count(key);
  if (listed_found < held_out.size()) {
    dataset.warnings_.push_back(std::to_string(held_out.size() - listed_found) + " of the " +
                                std::to_string(held_out.size()) + " listed validation photos are not in the data");
  }
  for (size_t i = 0; i < images.size(); ++i) {
    const int short_side = std::min(images[i].width, images[i].height);
    largest_short_side = std::max(largest_short_side, short_side);
    if (short_side < options.crop) {
      ++dataset.too_small_;
      continue;
    }
    const int index = int(dataset.images_.size());
    const bool validation = held_out.empty() ? in_validation(keys[i], options.seed, options.val_fraction)
                                             : held_out.count(keys[i]) > 0;
    (validation ? dataset.validation_ : dataset.train_).push_back(index);
    dataset.images_.push_back(std::move(images[i]));
    dataset.keys_.push_back(std::move(keys[i]));
  }
  if (dataset.images_.empty()) {
    return Status::error("crop " + std::to_string(options.crop) +
                         " is larger than every image (largest short side " +
                         std::to_string(largest_short_side) + ")");
  }
  if (dataset.train_.empty()) {
    return Status::error("no training images: all " + std::to_string(dataset.images_.size()) +
                         " usable images fell in the validation split (fraction " +
                         number_text(options.val_fraction) + ", seed " +
                         std::to_string(options.seed) + ")");
  }
  return dataset;
}

uint64_t Dataset::fingerprint() const {
  uint64_t hash = mix_hash(uint64_t(images_.size()), uint64_t(train_.size()));
  for (size_t i = 0; i < images_.size(); ++i) {
    const Image& image = images_[i];
    hash = mix_hash(hash, hash_bytes(keys_[i]));
    hash = mix_hash(hash, (uint64_t(image.width) << 32) ^ uint64_t(image.height) ^ (uint64_t(image.channels) << 60));
    const size_t bytes = image.data.size(), words = bytes / 8;
    for (size_t w = 0; w < words; ++w) {
      uint64_t word;
      std::memcpy(&word, image.data.data() + 8 * w, 8);
      hash = mix_hash(hash, word);
    }
    for (size_t b = 8 * words; b < bytes; ++b) hash = mix_hash(hash, image.data[b]);
  }
  for (const int index : validation_) hash = mix_hash(hash, uint64_t(index));
  return hash;
}

std::string Dataset::summary() const {
  std::string text = std::to_string(images_.size()) + " images: " + std::to_string(train_.size()) +
                     " training, " + std::to_string(validation_.size()) + " validation";
  if (skipped_ > 0) text += "; " + std::to_string(skipped_) + " unreadable skipped";
  if (too_small_ > 0) text += "; " + std::to_string(too_small_) + " smaller than the crop";
  return text;
}

// ---- BatchLoader ------------------------------------------------------------------------------
// Workers take steps in order from a shared counter, build them without the lock, and file them
// under their step number; next() hands them out in step order. At most `prefetch` steps are
// taken beyond the consumer, so memory stays bounded however fast the workers are. Each batch is
// a pure function of (seed, epoch, step), so which worker built it cannot change it.

BatchLoader::BatchLoader(const Dataset& dataset, const BatchLoaderOptions& options)
    : dataset_(dataset), options_(options) {
  if (options_.batch_size < 1) {
    options_status_ =
        Status::error("batch size " + std::to_string(options_.batch_size) + " must be at least 1");
  } else if (options_.crop.crop < 1 || options_.crop.crop > dataset_.crop()) {
    options_status_ =
        Status::error("crop " + std::to_string(options_.crop.crop) + " must be in [1, " +
                      std::to_string(dataset_.crop()) + "], the crop the data was filtered for");
  } else if (options_.shard.total > 0 &&
             (options_.shard.total != options_.batch_size || options_.shard.rows < 1 || options_.shard.first < 0 ||
              options_.shard.first + options_.shard.rows > options_.batch_size)) {
    options_status_ = Status::error("a batch share must be rows within the batch of " + std::to_string(options_.batch_size));
  } else if (options_.threads < 0 || options_.prefetch < 1) {
    options_status_ = Status::error("data loading needs threads >= 0 and prefetch >= 1 (got " +
                                    std::to_string(options_.threads) + " and " +
                                    std::to_string(options_.prefetch) + ")");
  }
}

BatchLoader::~BatchLoader() { stop_workers(); }

int BatchLoader::batches_per_epoch() const {
  return options_.batch_size < 1 ? 0 : dataset_.train_count() / options_.batch_size;
}

void BatchLoader::build_batch(int epoch, int step, Batch& batch) const {
  const int size = options_.crop.crop, batch_size = options_.batch_size;
  const bool share = options_.shard.total > 0;
  const int first = share ? options_.shard.first : 0, rows = share ? options_.shard.rows : batch_size;
  batch.lightness.resize({rows, size, size, 1});
  batch.ab.resize({rows, size, size, 2});
  batch.epoch = epoch;
  batch.step = step;
  for (int row = 0; row < rows && !stopping_.load(std::memory_order_relaxed); ++row) {
    const int64_t position = int64_t(step) * batch_size + first + row;
    const int image = dataset_.train()[size_t(order_[size_t(position)])];
    Random rng = sample_random(options_.seed, epoch, position);
    fill_batch_row(batch, row, dataset_.images()[size_t(image)], options_.crop, rng);
  }
}

void BatchLoader::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  const int end = batches_per_epoch();
  for (;;) {
    may_build_.wait(lock, [&] {
      return stopping_.load() || next_to_build_ >= end ||
             next_to_build_ < next_to_take_ + options_.prefetch;
    });
    if (stopping_.load() || next_to_build_ >= end) return;
    const int step = next_to_build_++;
    lock.unlock();
    Batch batch;
    build_batch(epoch_, step, batch);
    lock.lock();
    if (stopping_.load()) return;  // possibly half built: never filed
    ready_.emplace(step, std::move(batch));
    built_.notify_all();
  }
}

void BatchLoader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  may_build_.notify_all();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
  ready_.clear();
  stopping_.store(false);
}

Status BatchLoader::start(int epoch, int first_step) {
  TINT_RETURN_IF_ERROR(options_status_);
  const int steps = batches_per_epoch();
  if (steps == 0) {
    return Status::error("batch size " + std::to_string(options_.batch_size) +
                         " needs at least that many training images; the data has " +
                         std::to_string(dataset_.train_count()));
  }
  if (epoch < 0 || first_step < 0 || first_step >= steps) {
    return Status::error("cannot start at epoch " + std::to_string(epoch) + ", step " +
                         std::to_string(first_step) + " (an epoch has steps 0.." +
                         std::to_string(steps - 1) + ")");
  }
  stop_workers();
  epoch_ = epoch;
  order_ = epoch_order(dataset_.train_count(), options_.seed, epoch);
  next_to_build_ = next_to_take_ = first_step;
  started_ = true;
  try {
    for (int t = 0; t < options_.threads; ++t) workers_.emplace_back([this] { worker_loop(); });
  } catch (const std::system_error& error) {  // out of threads: report, do not terminate
    stop_workers();
    started_ = false;
    return Status::error(std::string("cannot start data loading threads: ") + error.what());
  }
  return Status::ok();
}

Result<Batch> BatchLoader::next() {
  if (!started_) return Status::error("data loader: next() before start()");
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_to_take_ >= batches_per_epoch()) {
    return Status::error("data loader: epoch " + std::to_string(epoch_) + " has only " +
                         std::to_string(batches_per_epoch()) + " batches; start() the next epoch");
  }
  const int step = next_to_take_++;
  if (options_.threads == 0) {
    lock.unlock();
    Batch batch;
    build_batch(epoch_, step, batch);
    return batch;
  }
  built_.wait(lock, [&] { return ready_.count(step) > 0; });
  Batch batch = std::move(ready_[step]);
  ready_.erase(step);
  lock.unlock();
  may_build_.notify_all();  // room for one more step ahead
  return batch;
}

int BatchLoader::validation_batches() const {
  const int size = options_.batch_size;
  return size < 1 ? 0 : (dataset_.validation_count() + size - 1) / size;
}

Result<Batch> BatchLoader::validation_batch(int index) const {
  TINT_RETURN_IF_ERROR(options_status_);
  if (index < 0 || index >= validation_batches()) {
    return Status::error("validation batch " + std::to_string(index) + " out of range (there are " +
                         std::to_string(validation_batches()) + ")");
  }
  const int first = index * options_.batch_size;
  const int rows = std::min(options_.batch_size, dataset_.validation_count() - first);
  const int size = options_.crop.crop;
  CropOptions crop = options_.crop;
  crop.flips = false;
  Batch batch;
  batch.lightness.resize({rows, size, size, 1});
  batch.ab.resize({rows, size, size, 2});
  batch.epoch = -1;
  batch.step = index;
  // Rows are independent, so splitting them over threads cannot change a value.
  parallel_for(rows, std::max(1, options_.threads), [&](int begin, int end) {
    for (int row = begin; row < end; ++row) {
      const int image = dataset_.validation()[size_t(first + row)];
      Random rng = validation_random(options_.seed, dataset_.keys()[size_t(image)]);
      fill_batch_row(batch, row, dataset_.images()[size_t(image)], crop, rng);
    }
  });
  return batch;
}

}  // namespace tint
