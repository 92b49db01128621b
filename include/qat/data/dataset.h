// The HDF5 detection dataset (docs/dataset-format.md): one group per split with
// images uint8 [N,3,H,W], boxes float32 [M,4] xyxy pixels, labels int32 [M] and
// offsets int64 [N+1]; class names and provenance as root attributes.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "qat/data/h5.h"

namespace qat::data {

constexpr const char* kDatasetFormat = "qat-detection";
constexpr int64_t kDatasetFormatVersion = 1;

/// One split of a dataset file, validated when opened. Boxes and labels are held
/// in memory (small); images are read from the file on each access.
class DetectionDataset {
 public:
  /// Opens `split` of `path`; throws IoError naming the file and the HDF5 object
  /// for a missing file or split, wrong shapes or types, labels out of range or
  /// boxes outside their image.
  DetectionDataset(const std::string& path, const std::string& split);

  int64_t size() const { return size_; }
  int64_t height() const { return height_; }
  int64_t width() const { return width_; }
  int64_t num_classes() const { return static_cast<int64_t>(class_names_.size()); }
  const std::vector<std::string>& class_names() const { return class_names_; }
  const std::string& path() const { return path_; }
  const std::string& split() const { return split_; }
  int64_t num_objects() const { return boxes_.size(0); }

  /// uint8 [3,H,W]. Thread-safe.
  at::Tensor image(int64_t index) const;
  /// float32 [K,4] xyxy pixels of image `index`.
  at::Tensor boxes(int64_t index) const;
  /// int64 [K].
  at::Tensor labels(int64_t index) const;
  /// Objects per class over the split.
  std::vector<int64_t> class_counts() const;

 private:
  std::string path_, split_;
  std::shared_ptr<h5::File> file_;
  int64_t size_ = 0, height_ = 0, width_ = 0;
  std::vector<std::string> class_names_;
  at::Tensor boxes_, labels_, offsets_;
};

/// Writes a dataset file split by split; the file appears at `path` only when
/// finish() succeeds (written to a temporary file, then renamed).
class DatasetWriter {
 public:
  DatasetWriter(const std::string& path, std::vector<std::string> class_names, std::string source, int64_t seed);
  ~DatasetWriter();
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  /// Starts split `name` of `images` images of height x width.
  void begin_split(const std::string& name, int64_t images, int64_t height, int64_t width);
  /// Image `index` of the current split: uint8 [3,H,W], boxes [K,4], labels [K].
  void write(int64_t index, const at::Tensor& image, const at::Tensor& boxes, const at::Tensor& labels);
  void end_split();
  void finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// A text summary of every split of `path` (images, objects, per-class counts),
/// after validating each split; what `qat data inspect` prints.
std::string describe_dataset(const std::string& path);

}  // namespace qat::data
