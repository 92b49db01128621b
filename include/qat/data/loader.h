// Streaming batches from a DetectionDataset. A background thread reads and
// prepares batches (letterbox, flips) into a queue of at most `prefetch`
// batches, so memory stays bounded whatever the dataset size. Order and
// augmentation depend only on (seed, epoch, image index): runs are reproducible.
#pragma once

#include <ATen/ATen.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "qat/data/dataset.h"

namespace qat::data {

struct LoaderOptions {
  int64_t batch_size = 16;
  int64_t image_size = 160;  ///< network input side
  bool shuffle = true;
  double hflip = 0.0;        ///< probability of a horizontal flip
  uint64_t seed = 0;
  int64_t prefetch = 2;      ///< batches queued ahead
  bool drop_last = false;
  std::optional<int64_t> limit;  ///< use only the first `limit` images (unset: all)
  /// Data parallel: this rank reads positions shard_rank, shard_rank + shard_count, ... of
  /// the epoch's order (the same order on every rank). With drop_last every rank reads
  /// images / shard_count of them, so all ranks step the same number of batches.
  int64_t shard_rank = 0;
  int64_t shard_count = 1;
  /// Where batches are placed: the model's device (distributed.device). Images are
  /// decoded and letterboxed on the CPU, then copied there.
  at::Device device = at::kCPU;
};

struct Batch {
  at::Tensor images;   ///< float32 [B,3,S,S] in [0,1]
  at::Tensor targets;  ///< float32 [T,6]: batch index, label, x1, y1, x2, y2 (input pixels)
  std::vector<int64_t> indices;  ///< dataset image index of each row
};

class DataLoader {
 public:
  /// `dataset` must outlive the loader.
  DataLoader(const DetectionDataset& dataset, LoaderOptions options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t batches_per_epoch() const;
  /// The images this loader reads an epoch (its shard's).
  int64_t images() const { return images_; }
  /// Starts epoch `epoch` (stopping any unfinished one).
  void begin_epoch(int64_t epoch);
  /// The next batch of the epoch, or nullopt at its end. Rethrows a worker's error.
  std::optional<Batch> next();

  /// Builds one batch directly (no thread): what the worker does per batch.
  Batch make_batch(const std::vector<int64_t>& indices, int64_t epoch) const;
  /// The image order of `epoch` (this shard's part of it).
  std::vector<int64_t> order(int64_t epoch) const;

 private:
  void stop();
  void work(std::vector<std::vector<int64_t>> batches, int64_t epoch);

  const DetectionDataset& dataset_;
  LoaderOptions options_;
  int64_t all_images_;  ///< the whole order's
  int64_t images_;      ///< this shard's

  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> queue_;
  bool finished_ = true;
  bool stopping_ = false;
  std::exception_ptr error_;
};

}  // namespace qat::data
