// Training data from disk for `tint train` (docs/design.md, "Data"): folders of photos and CIFAR-10
// binary batches, decoded and kept in memory as far as a budget allows (decoded again from disk
// when needed otherwise), split into training and validation by file, and served as batches of
// random crops by a small pool of threads that runs ahead of the trainer. In a data-parallel run
// each rank decodes only its share of the photos at the start and later only those its rows need.
// The crops themselves are src/core/data: every batch is a pure function of (seed, epoch, step),
// so neither the number of threads nor their timing changes a single value, and a run resumed at
// (epoch, step) sees exactly the batches it would have seen.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collective.h"
#include "data.h"
#include "image.h"
#include "status.h"

namespace tint {

struct ImageFile {
  std::string path;  // as opened: the data folder joined with `key`
  std::string key;   // relative to the data folder it came from, '/'-separated: the split key
};

// Every JPEG/PNG/WebP (by extension .jpg .jpeg .png .webp, any case) under each folder,
// recursively, sorted by path. Hidden files and folders (names starting with '.') are skipped,
// and symlinked folders are not entered (no loops); a file reached twice (overlapping folders) is
// listed once. Errors name the folder: missing, not a folder, unreadable, or holding no images
// ("data/train: no JPEG, PNG or WebP images found").
Result<std::vector<ImageFile>> list_image_files(const std::vector<std::string>& folders);
// The same list as paths only.
Result<std::vector<std::string>> list_images(const std::vector<std::string>& folders);

// CIFAR-10's binary batches data_batch_1.bin .. data_batch_5.bin, those that exist (at least one):
// records of 1 label byte + 1024 R + 1024 G + 1024 B bytes (32x32, row-major planes), returned
// as 32x32 8-bit RGB images in file and record order. A file whose size is not a multiple of 3073
// is an error naming it. `keys`, if given, receives "cifar10/data_batch_N.bin#<record>" per image.
Result<std::vector<Image>> load_cifar10(const std::string& folder,
                                        std::vector<std::string>* keys = nullptr);
// One batch file's bytes (`path` for messages, `name` for the keys), appended to `images`.
Status parse_cifar10_batch(const uint8_t* bytes, size_t size, const std::string& path, const std::string& name,
                           std::vector<Image>& images, std::vector<std::string>* keys = nullptr);

struct DatasetOptions {
  std::vector<std::string> photo_folders;  // any number, searched recursively
  std::string cifar10_folder;              // empty: none
  double val_fraction = 0.1;               // share of files held out, in [0, 1)
  // When not empty, exactly the files with these keys are held out and val_fraction is ignored
  // (a fixed split: e.g. a run's validation.txt, or photos chosen to resemble the eval set).
  std::vector<std::string> validation_keys;
  uint64_t seed = 0;                       // decides the split (with each file's key)
  int max_side = 512;  // long-side cap, so one 24 MP photo does not dominate; <= 0: none
  int crop = 128;      // images whose short side (after the cap) is smaller are dropped
  int threads = 2;     // decoding threads
  uint64_t max_pixels = default_max_pixels;  // larger photos are skipped with a warning
  // Decoded photos kept in memory, in bytes (0: all). Past it a photo is decoded from its file
  // each time a batch needs it. CIFAR-10 images are always kept (3 KB each).
  size_t memory_budget = 0;
  bool colour_prior = false;  // count the training photos' ab bins (colour_prior())
};

// Every usable image, split by key; the pixels of photos decoded at the start or on demand.
//
// Loading with a collective (a data-parallel run; every rank calls load with the same options):
// every rank lists the files, the ranks check that their lists agree (keys and byte sizes), rank
// r of N decodes only files [r*F/N, (r+1)*F/N) — checking that they decode, measuring them,
// hashing their bytes and counting their colours — and the ranks exchange what they found. So
// every rank ends with the same images, split and prior as one process would have, while each
// decoded 1/N of the photos; a photo another rank decoded is read when this rank first needs it,
// and its bytes must hash as they did at the start (a file changed since, or a rank whose copy
// differs, is an error naming it).
class Dataset {
 public:
  Dataset();
  ~Dataset();
  Dataset(Dataset&&) noexcept;
  Dataset& operator=(Dataset&&) noexcept;
  // Unreadable or undecodable photos become warnings and are skipped; it is an error only when
  // nothing usable remains, when every image is smaller than the crop ("crop 256 is larger than
  // every image (largest short side 200)"), or when no image is left for training.
  static Result<Dataset> load(const DatasetOptions& options, Collective* collective = nullptr);

  int crop() const { return crop_; }
  int size() const { return int(sources_.size()); }  // images, training and validation
  // Image `index` as 8-bit RGB, capped: from memory, or decoded from its file now (and kept if
  // the memory budget allows). Thread-safe. Fails only if the file went missing or changed.
  Result<std::shared_ptr<const Image>> image(int index) const;
  const std::vector<std::string>& keys() const { return keys_; }  // one per image
  const std::vector<int>& train() const { return train_; }        // indices into image()
  const std::vector<int>& validation() const { return validation_; }
  int train_count() const { return int(train_.size()); }
  int validation_count() const { return int(validation_.size()); }
  int skipped_count() const { return skipped_; }      // unreadable or undecodable files
  int too_small_count() const { return too_small_; }  // short side below the crop
  // One line per skipped file ("data/x.jpg: truncated JPEG data"), in file order.
  const std::vector<std::string>& warnings() const { return warnings_; }
  // "314 images: 283 training, 31 validation; 2 unreadable skipped; 1 smaller than the crop"
  std::string summary() const;
  // The training images' ab-bin frequencies (ab_prior_from_counts over AbBins::gamut()) when
  // options.colour_prior was set, else empty. The same bits for any number of ranks.
  const std::vector<double>& colour_prior() const { return colour_prior_; }
  int decoded_at_start() const { return decoded_at_start_; }  // photo files this process decoded in load()
  int held_count() const;                                      // images in this process's memory now

 private:
  struct Source {                 // where an image comes from when it is not in memory
    std::string path;             // empty: always held (CIFAR-10)
    uint64_t content_hash = 0;    // of the file's bytes, as read at the start
  };
  struct Store;                   // the images in memory, behind a mutex
  int crop_ = 0;
  std::vector<Source> sources_;
  std::vector<std::string> keys_;
  std::vector<int> train_, validation_;
  int skipped_ = 0, too_small_ = 0, decoded_at_start_ = 0;
  std::vector<std::string> warnings_;
  std::vector<double> colour_prior_;
  int max_side_ = 0;
  uint64_t max_pixels_ = 0;
  std::unique_ptr<Store> store_;
};

struct BatchLoaderOptions {
  int batch_size = 16;
  CropOptions crop;   // crop.crop must not exceed the dataset's crop
  uint64_t seed = 0;  // the crops' and the order's seed
  int threads = 2;    // prefetch workers; 0 builds each batch inside next() on the caller's thread
  int prefetch = 3;   // batches built or being built ahead of the consumer
  // A data-parallel rank's rows of each batch (batch_size = shard.total); total 0: all rows. Only
  // these rows' photos are read and cropped, exactly as they are in the whole batch.
  BatchShard shard;
};

// Training batches in epoch order, built ahead by worker threads; validation batches on demand.
// The Dataset must outlive the loader. Not itself thread-safe: one consumer thread.
class BatchLoader {
 public:
  BatchLoader(const Dataset& dataset, const BatchLoaderOptions& options);
  ~BatchLoader();  // stops the workers; never waits for batches nobody will take
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // Full batches per epoch: the last incomplete one is dropped (its images come first in another
  // epoch's shuffle).
  int batches_per_epoch() const;
  // Begins (or resumes) `epoch` at `first_step`: the epoch's order is a shuffle seeded by
  // (seed, epoch) and sample i of the epoch crops with sample_random(seed, epoch, i), so resuming
  // gives the very batches an uninterrupted run would have had. Discards anything prefetched.
  Status start(int epoch, int first_step = 0);
  // The next batch of the started epoch, in step order; an error past the epoch's end.
  Result<Batch> next();

  // Every validation image once, in dataset order, batch_size per batch (the last may be
  // smaller). Each image has one fixed crop, seeded by its key, without flips: the same batches
  // every epoch and in every run. Built on the calling thread and the loader's workers count.
  int validation_batches() const;
  Result<Batch> validation_batch(int index) const;

 private:
  Status build_batch(int epoch, int step, Batch& batch) const;
  void worker_loop();
  void stop_workers();

  const Dataset& dataset_;
  BatchLoaderOptions options_;
  Status options_status_;

  // Set by start() while no worker runs; read-only for the workers afterwards.
  int epoch_ = 0;
  std::vector<int> order_;
  bool started_ = false;

  std::mutex mutex_;
  std::condition_variable may_build_;  // a worker may take the next step (or stop)
  std::condition_variable built_;      // a batch landed in ready_
  int next_to_build_ = 0;              // guarded by mutex_
  int next_to_take_ = 0;               // guarded by mutex_
  std::map<int, Result<Batch>> ready_;  // step -> batch (or why it failed), guarded by mutex_
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> workers_;
};

}  // namespace tint
