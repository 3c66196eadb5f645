#include "dataset.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <system_error>

#include "ab_bins.h"
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

// ---- Dataset ----------------------------------------------------------------------------------

namespace {

// A hash of a file's bytes (or of pixels), checked whenever a photo is read again.
uint64_t hash_content(const std::vector<uint8_t>& bytes) { return hash_memory(bytes.data(), bytes.size()); }

// What the start learnt about one photo file: its problem, or its capped size and content hash.
struct FileFacts {
  std::string problem;  // empty: it decoded
  int width = 0, height = 0;
  uint64_t content_hash = 0;
};

// The facts of a rank's share of the files and its colour counts, as bytes for the exchange.
std::vector<uint8_t> pack(const std::vector<FileFacts>& facts, const std::vector<double>& counts) {
  std::vector<uint8_t> bytes;
  const auto put = [&](const void* data, size_t size) {
    bytes.insert(bytes.end(), static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
  };
  for (const FileFacts& fact : facts) {
    const uint64_t words[4] = {uint64_t(fact.problem.size()), uint64_t(fact.width), uint64_t(fact.height),
                               fact.content_hash};
    put(words, sizeof words);
    put(fact.problem.data(), fact.problem.size());
  }
  put(counts.data(), counts.size() * sizeof(double));
  return bytes;
}

// The inverse, given how many files and counts the rank had; false if the bytes do not fit.
bool unpack(const std::vector<uint8_t>& bytes, size_t files, size_t count_size, std::vector<FileFacts>& facts,
            std::vector<double>& counts) {
  size_t at = 0;
  const auto take = [&](void* data, size_t size) {
    if (size > bytes.size() - at) return false;
    if (size > 0) std::memcpy(data, bytes.data() + at, size);  // an empty vector's data() may be null
    at += size;
    return true;
  };
  for (size_t f = 0; f < files; ++f) {
    uint64_t words[4];
    if (!take(words, sizeof words) || words[0] > bytes.size() - at) return false;
    FileFacts fact;
    fact.problem.assign(reinterpret_cast<const char*>(bytes.data() + at), size_t(words[0]));
    at += size_t(words[0]);
    fact.width = int(words[1]), fact.height = int(words[2]), fact.content_hash = words[3];
    facts.push_back(std::move(fact));
  }
  counts.assign(count_size, 0.0);
  return take(counts.data(), count_size * sizeof(double)) && at == bytes.size();
}

// Keys and byte sizes of the photo files, the CIFAR-10 pixels and the held-out keys (each rank
// reads --val-list itself): equal on two ranks only when they list the same files and split them
// alike (a changed file of the same size is caught when it is read).
uint64_t listing_hash(const std::vector<ImageFile>& files, const std::vector<Image>& cifar,
                      const std::set<std::string>& held_out) {
  uint64_t hash = mix_hash(uint64_t(files.size()), uint64_t(cifar.size()));
  for (const std::string& key : held_out) hash = mix_hash(hash, hash_bytes(key));
  for (const ImageFile& file : files) {
    std::error_code error;
    const uintmax_t size = fs::file_size(file.path, error);
    hash = mix_hash(mix_hash(hash, hash_bytes(file.key)), error ? ~uint64_t(0) : uint64_t(size));
  }
  for (const Image& image : cifar) hash = mix_hash(hash, hash_content(image.data));
  return hash;
}

}  // namespace

// The images in memory. Shared pointers, so that a batch being built keeps its photo alive.
struct Dataset::Store {
  mutable std::mutex mutex;
  std::vector<std::shared_ptr<const Image>> held;  // one per image; null: not in memory
  size_t held_bytes = 0;
  size_t budget = 0;  // 0: no limit

  // Keeps `image` as number `index` if the budget allows (always when `always`).
  void keep(size_t index, std::shared_ptr<const Image> image, bool always = false) {
    std::lock_guard<std::mutex> lock(mutex);
    if (held[index]) return;
    const size_t bytes = image->data.size();
    if (!always && budget > 0 && held_bytes + bytes > budget) return;
    held_bytes += bytes;
    held[index] = std::move(image);
  }
};

Dataset::Dataset() = default;
Dataset::~Dataset() = default;
Dataset::Dataset(Dataset&&) noexcept = default;
Dataset& Dataset::operator=(Dataset&&) noexcept = default;

Result<Dataset> Dataset::load(const DatasetOptions& options, Collective* collective) {
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
  const bool parallel = collective && collective->size() > 1;
  const int rank = parallel ? collective->rank() : 0, ranks = parallel ? collective->size() : 1;
  // Errors past the exchange are the same on every rank: rank 0 says them (reported_by_root).

  // Every rank lists the photo files and reads the CIFAR-10 batches (small: held whole everywhere).
  std::vector<ImageFile> files;
  std::vector<Image> cifar;
  std::vector<std::string> cifar_keys;
  Status listed = Status::ok();
  if (!options.photo_folders.empty()) {
    Result<std::vector<ImageFile>> found = list_image_files(options.photo_folders);
    if (found) files = std::move(found.value());
    listed = found.status();
  }
  if (listed.is_ok() && !options.cifar10_folder.empty()) {
    Result<std::vector<Image>> found = load_cifar10(options.cifar10_folder, &cifar_keys);
    if (found) cifar = std::move(found.value());
    listed = found.status();
  }
  TINT_RETURN_IF_ERROR(agree(collective, listed));
  const std::set<std::string> held_out(options.validation_keys.begin(), options.validation_keys.end());
  if (parallel) {
    TINT_RETURN_IF_ERROR(check_same_on_every_rank(*collective, listing_hash(files, cifar, held_out),
                                                  "has different training photos than rank 0 (every rank needs the "
                                                  "same files under --data, and the same --val-list)"));
  }
  for (Image& image : cifar)
    if (options.max_side > 0 && options.max_side < cifar_side) image = cap_long_side(image, options.max_side);

  const auto is_validation = [&](const std::string& key) {
    return held_out.empty() ? in_validation(key, options.seed, options.val_fraction) : held_out.count(key) > 0;
  };
  const auto trains_on = [&](const Image& image, const std::string& key) {
    return std::min(image.width, image.height) >= options.crop && !is_validation(key);
  };

  // This rank's share of the photo files [rF/N, (r+1)F/N): it decodes them (each into its own
  // slot, so neither results nor warnings depend on which thread took which file) and counts the
  // colours of the training images among them; and its share of the CIFAR-10 images, only counted.
  const size_t photo_count = files.size(), total = photo_count + cifar.size();
  const auto share = [&](size_t count, int r) { return size_t(chunk_begin(int(count), ranks, r)); };
  const size_t begin = share(photo_count, rank), photo_end = share(photo_count, rank + 1), my_photos = photo_end - begin;
  auto store = std::make_unique<Store>();
  store->budget = options.memory_budget;
  store->held.resize(total);
  std::vector<FileFacts> my_facts(my_photos);
  const int threads = std::max(1, options.threads);
  std::vector<std::vector<double>> thread_counts{size_t(threads)};
  DecodeOptions decode_options;
  decode_options.max_pixels = options.max_pixels;
  std::atomic<size_t> next_file{begin};
  parallel_for(threads, threads, [&](int thread, int) {
    for (size_t i = next_file++; i < photo_end; i = next_file++) {
      FileFacts& fact = my_facts[i - begin];
      Result<std::vector<uint8_t>> bytes = read_file(files[i].path);
      if (!bytes) {
        fact.problem = bytes.message();
        continue;
      }
      Result<Image> decoded = decode_image(bytes->data(), bytes->size(), files[i].path, decode_options);
      if (!decoded) {
        fact.problem = decoded.message();
        continue;
      }
      auto image = std::make_shared<const Image>(cap_long_side(*decoded, options.max_side));
      fact.width = image->width, fact.height = image->height;
      fact.content_hash = hash_content(*bytes);
      if (options.colour_prior && trains_on(*image, files[i].key))
        add_ab_counts(*image, AbBins::gamut(), thread_counts[size_t(thread)]);
      store->keep(i, std::move(image));
    }
  });
  std::vector<double> counts(options.colour_prior ? size_t(AbBins::gamut().count()) : 0, 0.0);
  for (size_t c = share(cifar.size(), rank); c < share(cifar.size(), rank + 1) && options.colour_prior; ++c)
    if (trains_on(cifar[c], cifar_keys[c])) add_ab_counts(cifar[c], AbBins::gamut(), counts);
  for (const auto& part : thread_counts)
    for (size_t k = 0; k < part.size(); ++k) counts[k] += part[k];  // whole numbers: exact in any order

  // The exchange: every rank learns every share's facts and adds the counts in rank order.
  std::vector<FileFacts> facts;
  std::vector<std::vector<uint8_t>> shares;
  if (parallel) {
    auto gathered = collective->all_gather(pack(my_facts, counts));
    if (!gathered) return gathered.status();
    shares = std::move(gathered.value());
    std::fill(counts.begin(), counts.end(), 0.0);
    for (int r = 0; r < ranks; ++r) {
      std::vector<double> share_counts;
      if (!unpack(shares[size_t(r)], share(photo_count, r + 1) - share(photo_count, r), counts.size(), facts, share_counts)) {
        return Status::error("rank " + std::to_string(r) + " sent facts about its photos that do not fit its share");
      }
      for (size_t k = 0; k < counts.size(); ++k) counts[k] += share_counts[k];
    }
  } else {
    facts = std::move(my_facts);
  }

  // Every rank now knows every file: the same images, in file order, on each.
  Dataset dataset;
  dataset.crop_ = options.crop;
  dataset.max_side_ = options.max_side;
  dataset.max_pixels_ = options.max_pixels;
  dataset.decoded_at_start_ = int(my_photos);
  if (options.colour_prior) dataset.colour_prior_ = ab_prior_from_counts(std::move(counts));
  struct Usable {
    size_t slot;  // in the listing: photos, then CIFAR-10
    int width, height;
  };
  std::vector<Usable> usable;
  std::vector<std::string> keys;
  for (size_t i = 0; i < photo_count; ++i) {
    if (!facts[i].problem.empty()) {
      dataset.warnings_.push_back(facts[i].problem);
      ++dataset.skipped_;
      continue;
    }
    usable.push_back({i, facts[i].width, facts[i].height});
    keys.push_back(files[i].key);
  }
  for (size_t c = 0; c < cifar.size(); ++c) {
    usable.push_back({photo_count + c, cifar[c].width, cifar[c].height});
    keys.push_back(cifar_keys[c]);
  }
  if (usable.empty()) {
    std::string folders;
    for (const std::string& folder : options.photo_folders)
      folders += (folders.empty() ? "" : ", ") + folder;
    return reported_by_root(collective, Status::error(
        folders + ": none of the " + std::to_string(photo_count) + " images could be decoded" +
        (dataset.warnings_.empty() ? std::string() : " (first: " + dataset.warnings_.front() + ")")));
  }

  int largest_short_side = 0;
  size_t listed_found = 0;
  for (const std::string& key : keys) listed_found += held_out.count(key);
  if (listed_found < held_out.size()) {
    dataset.warnings_.push_back(std::to_string(held_out.size() - listed_found) + " of the " +
                                std::to_string(held_out.size()) + " listed validation photos are not in the data");
  }
  auto kept = std::make_unique<Store>();
  kept->budget = options.memory_budget;
  for (size_t u = 0; u < usable.size(); ++u) {
    const int short_side = std::min(usable[u].width, usable[u].height);
    largest_short_side = std::max(largest_short_side, short_side);
    if (short_side < options.crop) {
      ++dataset.too_small_;
      continue;
    }
    const int index = int(dataset.sources_.size());
    (is_validation(keys[u]) ? dataset.validation_ : dataset.train_).push_back(index);
    const size_t slot = usable[u].slot;
    const bool photo = slot < photo_count;
    dataset.sources_.push_back({photo ? files[slot].path : std::string(), photo ? facts[slot].content_hash : 0});
    dataset.keys_.push_back(std::move(keys[u]));
    kept->held.emplace_back();
    if (!photo) {
      kept->keep(size_t(index), std::make_shared<const Image>(std::move(cifar[slot - photo_count])), true);
    } else if (store->held[slot]) {
      kept->keep(size_t(index), std::move(store->held[slot]));
    }
  }
  if (dataset.sources_.empty()) {
    return reported_by_root(collective, Status::error("crop " + std::to_string(options.crop) + " is larger than every image (largest short side " +
                                        std::to_string(largest_short_side) + ")"));
  }
  if (dataset.train_.empty()) {
    return reported_by_root(collective, Status::error("no training images: all " + std::to_string(dataset.sources_.size()) +
                                        " usable images fell in the validation split (fraction " +
                                        number_text(options.val_fraction) + ", seed " + std::to_string(options.seed) +
                                        ")"));
  }
  dataset.store_ = std::move(kept);
  return dataset;
}

Result<std::shared_ptr<const Image>> Dataset::image(int index) const {
  if (index < 0 || index >= size()) {
    return Status::error("image " + std::to_string(index) + " out of range (the data has " + std::to_string(size()) + ")");
  }
  {
    std::lock_guard<std::mutex> lock(store_->mutex);
    if (store_->held[size_t(index)]) return store_->held[size_t(index)];
  }
  const Source& source = sources_[size_t(index)];
  Result<std::vector<uint8_t>> bytes = read_file(source.path);
  if (!bytes) return Status::error(bytes.message() + " (it was readable when training started)");
  if (hash_content(bytes.value()) != source.content_hash) {
    return Status::error(source.path + ": changed since training started, or differs from the copy another rank "
                         "read then (every rank needs the same files)");
  }
  DecodeOptions decode_options;
  decode_options.max_pixels = max_pixels_;
  Result<Image> decoded = decode_image(bytes->data(), bytes->size(), source.path, decode_options);
  if (!decoded) return decoded.status();
  auto image = std::make_shared<const Image>(cap_long_side(*decoded, max_side_));
  store_->keep(size_t(index), image);
  return image;
}

int Dataset::held_count() const {
  if (!store_) return 0;
  std::lock_guard<std::mutex> lock(store_->mutex);
  int count = 0;
  for (const auto& image : store_->held) count += image != nullptr;
  return count;
}

std::string Dataset::summary() const {
  std::string text = std::to_string(sources_.size()) + " images: " + std::to_string(train_.size()) +
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

Status BatchLoader::build_batch(int epoch, int step, Batch& batch) const {
  const int size = options_.crop.crop, batch_size = options_.batch_size;
  const bool share = options_.shard.total > 0;
  const int first = share ? options_.shard.first : 0, rows = share ? options_.shard.rows : batch_size;
  batch.lightness.resize({rows, size, size, 1});
  batch.ab.resize({rows, size, size, 2});
  batch.epoch = epoch;
  batch.step = step;
  for (int row = 0; row < rows && !stopping_.load(std::memory_order_relaxed); ++row) {
    const int64_t position = int64_t(step) * batch_size + first + row;
    auto photo = dataset_.image(dataset_.train()[size_t(order_[size_t(position)])]);
    if (!photo) return photo.status();
    Random rng = sample_random(options_.seed, epoch, position);
    fill_batch_row(batch, row, *photo.value(), options_.crop, rng);
  }
  return Status::ok();
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
    const Status built = build_batch(epoch_, step, batch);
    lock.lock();
    if (stopping_.load()) return;  // possibly half built: never filed
    ready_.emplace(step, built.is_ok() ? Result<Batch>(std::move(batch)) : Result<Batch>(built));
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
    TINT_RETURN_IF_ERROR(build_batch(epoch_, step, batch));
    return batch;
  }
  built_.wait(lock, [&] { return ready_.count(step) > 0; });
  const auto found = ready_.find(step);
  Result<Batch> batch = std::move(found->second);
  ready_.erase(found);
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
  std::vector<Status> problems(size_t(rows), Status::ok());
  parallel_for(rows, std::max(1, options_.threads), [&](int begin, int end) {
    for (int row = begin; row < end; ++row) {
      const int image = dataset_.validation()[size_t(first + row)];
      auto photo = dataset_.image(image);
      if (!photo) {
        problems[size_t(row)] = photo.status();
        continue;
      }
      Random rng = validation_random(options_.seed, dataset_.keys()[size_t(image)]);
      fill_batch_row(batch, row, *photo.value(), crop, rng);
    }
  });
  for (const Status& problem : problems) TINT_RETURN_IF_ERROR(problem);
  return batch;
}

}  // namespace tint
