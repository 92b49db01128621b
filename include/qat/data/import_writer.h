// What the COCO and YOLO importers share: fitting each image and its boxes to the
// square dataset size (letterbox) and writing the splits, with counts of what was
// dropped so nothing disappears silently.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace qat { class Progress; }

namespace qat::data {

class DatasetWriter;

/// What an import did to one split; logged, and returned for callers and tests.
struct SplitSummary {
  std::string name;
  int64_t images = 0;
  int64_t objects = 0;           ///< boxes written
  int64_t dropped_boxes = 0;     ///< empty after clipping to the image (zero width or height)
  int64_t crowd_skipped = 0;     ///< COCO annotations with iscrowd = 1
  int64_t unlabeled_images = 0;  ///< YOLO images without a label file (written with no objects)
  int64_t ignored_files = 0;     ///< YOLO files in images/<split> that are not PNG or JPEG
};

struct ImportSummary {
  std::vector<SplitSummary> splits;
};

/// Throws qat::Error unless `name` can name a split (an HDF5 group under the root):
/// non-empty, without '/' and not "." or "..".
void check_split_name(const std::string& name);

/// One image fitted to the dataset's square size.
struct FittedImage {
  at::Tensor image;   ///< uint8 [3,S,S]
  at::Tensor boxes;   ///< float32 [K,4] xyxy in output pixels, every box non-empty
  at::Tensor labels;  ///< int64 [K]
  int64_t dropped = 0;  ///< input boxes that were empty after clipping
};

/// Letterboxes uint8 `image` [3,H,W] to SxS (letterbox(): scale min(S/H, S/W),
/// bilinear, centred on gray 114, rounded back to uint8). `boxes` [K,4] xyxy in
/// input pixels are clipped to the image, mapped with letterbox_boxes() and clipped
/// to the output; boxes with zero width or height are dropped and counted.
FittedImage fit_to_square(const at::Tensor& image, const at::Tensor& boxes, const at::Tensor& labels, int64_t size);

/// Writes an imported dataset split by split through DatasetWriter, fitting each
/// image with fit_to_square; the file appears only when finish() succeeds.
class ImportWriter {
 public:
  ImportWriter(const std::string& path, std::vector<std::string> class_names, std::string source, int64_t size);
  ~ImportWriter();
  ImportWriter(const ImportWriter&) = delete;
  ImportWriter& operator=(const ImportWriter&) = delete;

  /// Starts split `name` holding `images` images (at least one).
  void begin_split(const std::string& name, int64_t images);
  /// Adds the next image of the split with its boxes [K,4] (input pixels) and labels [K].
  void add(const at::Tensor& image, const at::Tensor& boxes, const at::Tensor& labels);
  /// The same with the boxes as 4K floats (x1, y1, x2, y2 each) and the labels as K ints.
  void add(const at::Tensor& image, const std::vector<float>& boxes, const std::vector<int64_t>& labels);
  /// The split's summary to fill in further (crowd, unlabeled, ignored counts).
  SplitSummary& summary() { return current_; }
  /// Ends the split and logs its summary.
  void end_split();
  /// Renames the file into place and logs it; returns every split's summary.
  ImportSummary finish();

 private:
  std::string path_;
  std::unique_ptr<DatasetWriter> writer_;
  std::unique_ptr<Progress> progress_;  ///< of the current split
  int64_t size_;
  int64_t next_ = 0;
  SplitSummary current_;
  ImportSummary done_;
};

/// Runs an importer; a filesystem error its checks did not foresee (permissions, a loop
/// in an images folder, a folder replaced meanwhile) is bad input, not a bug: it becomes
/// an IoError naming the path.
ImportSummary rethrow_filesystem_errors(const std::function<ImportSummary()>& import);

}  // namespace qat::data
