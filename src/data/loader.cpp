#include "qat/data/loader.h"

#include <algorithm>
#include <numeric>

#include "qat/core/error.h"
#include "qat/data/letterbox.h"
#include "qat/data/scene_composer.h"

namespace qat::data {
namespace {

// Mixes seed, epoch and index into one 64-bit value (splitmix64), so per-image
// randomness does not depend on which thread or batch handles the image.
uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t z = a + 0x9e3779b97f4a7c15ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

DataLoader::DataLoader(const DetectionDataset& dataset, LoaderOptions options)
    : dataset_(dataset), options_(options) {
  QAT_CHECK(options_.batch_size >= 1, "batch size must be at least 1");
  QAT_CHECK(options_.prefetch >= 1, "prefetch must be at least 1");
  QAT_CHECK(options_.shard_count >= 1 && options_.shard_rank >= 0 && options_.shard_rank < options_.shard_count,
            "shard ", options_.shard_rank, " of ", options_.shard_count, " does not exist");
  QAT_CHECK(!options_.limit || *options_.limit >= 0, "limit must not be negative, got ", options_.limit.value_or(0));
  all_images_ = options_.limit ? std::min(*options_.limit, dataset.size()) : dataset.size();
  const int64_t r = options_.shard_rank, w = options_.shard_count;
  images_ = options_.drop_last ? all_images_ / w : (all_images_ - r + w - 1) / w;
}

DataLoader::~DataLoader() { stop(); }

int64_t DataLoader::batches_per_epoch() const {
  return options_.drop_last ? images_ / options_.batch_size
                            : (images_ + options_.batch_size - 1) / options_.batch_size;
}

std::vector<int64_t> DataLoader::order(int64_t epoch) const {
  std::vector<int64_t> idx(static_cast<size_t>(all_images_));
  std::iota(idx.begin(), idx.end(), 0);
  if (options_.shuffle) {
    SceneRng rng(mix(options_.seed, static_cast<uint64_t>(epoch)));
    for (size_t i = idx.size(); i > 1; --i) {  // Fisher-Yates with our portable generator
      std::swap(idx[i - 1], idx[static_cast<size_t>(rng.integer(0, static_cast<int64_t>(i) - 1))]);
    }
  }
  if (options_.shard_count == 1) return idx;
  std::vector<int64_t> shard(static_cast<size_t>(images_));
  for (int64_t k = 0; k < images_; ++k) {
    shard[static_cast<size_t>(k)] = idx[static_cast<size_t>(options_.shard_rank + k * options_.shard_count)];
  }
  return shard;
}

Batch DataLoader::make_batch(const std::vector<int64_t>& indices, int64_t epoch) const {
  std::vector<at::Tensor> images, targets;
  for (size_t row = 0; row < indices.size(); ++row) {
    const int64_t index = indices[row];
    const Letterbox lb = letterbox(dataset_.image(index), options_.image_size);
    at::Tensor image = lb.image;
    at::Tensor boxes = letterbox_boxes(dataset_.boxes(index), lb);
    if (options_.hflip > 0) {
      SceneRng rng(mix(mix(options_.seed, static_cast<uint64_t>(epoch)), static_cast<uint64_t>(index)));
      if (rng.uniform() < options_.hflip) hflip(image, boxes);
    }
    images.push_back(image);
    const at::Tensor labels = dataset_.labels(index).to(at::kFloat).unsqueeze(1);
    targets.push_back(at::cat({at::full({labels.size(0), 1}, static_cast<float>(row)), labels, boxes}, 1));
  }
  return Batch{at::stack(images).to(options_.device), at::cat(targets, 0).to(options_.device), indices};
}

void DataLoader::begin_epoch(int64_t epoch) {
  stop();
  const auto idx = order(epoch);
  std::vector<std::vector<int64_t>> batches;
  for (int64_t b = 0; b < batches_per_epoch(); ++b) {
    const auto first = idx.begin() + b * options_.batch_size;
    const auto last = idx.begin() + std::min<int64_t>(images_, (b + 1) * options_.batch_size);
    batches.emplace_back(first, last);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.clear();
    finished_ = false;
    stopping_ = false;
    error_ = nullptr;
  }
  worker_ = std::thread(&DataLoader::work, this, std::move(batches), epoch);
}

void DataLoader::work(std::vector<std::vector<int64_t>> batches, int64_t epoch) {
  try {
    for (const auto& indices : batches) {
      Batch batch = make_batch(indices, epoch);
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || static_cast<int64_t>(queue_.size()) < options_.prefetch; });
      if (stopping_) break;
      queue_.push_back(std::move(batch));
      changed_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  finished_ = true;
  changed_.notify_all();
}

std::optional<Batch> DataLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !queue_.empty() || finished_; });
  if (!queue_.empty()) {
    Batch b = std::move(queue_.front());
    queue_.pop_front();
    changed_.notify_all();
    return b;
  }
  if (error_) {
    auto e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
  return std::nullopt;
}

void DataLoader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.clear();
  finished_ = true;
}

}  // namespace qat::data
