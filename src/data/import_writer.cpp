#include "qat/data/import_writer.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "qat/core/error.h"
#include "qat/core/logging.h"
#include "qat/core/progress.h"
#include "qat/data/dataset.h"
#include "qat/data/letterbox.h"

namespace qat::data {

void check_split_name(const std::string& name) {
  QAT_CHECK(!name.empty() && name.find('/') == std::string::npos && name != "." && name != "..",
            "invalid split name '", name, "' (needs a non-empty name without '/')");
}

FittedImage fit_to_square(const at::Tensor& image, const at::Tensor& boxes, const at::Tensor& labels, int64_t size) {
  QAT_ASSERT(image.scalar_type() == at::kByte && image.dim() == 3 && image.size(0) == 3, "image must be uint8 [3,H,W]");
  const Letterbox lb = letterbox(image, size);
  FittedImage out;
  out.image = lb.image.mul(255.0f).round_().clamp_(0, 255).to(at::kByte);
  const float h = static_cast<float>(image.size(1)), w = static_cast<float>(image.size(2));
  const float s = static_cast<float>(size);
  at::Tensor b = boxes.to(at::kFloat).reshape({-1, 4}).clone();
  // Clip to the input image first (COCO boxes may overhang it by a fraction of a
  // pixel), then to the output: float rounding may put an edge a hair past S.
  b.select(1, 0).clamp_(0, w);
  b.select(1, 2).clamp_(0, w);
  b.select(1, 1).clamp_(0, h);
  b.select(1, 3).clamp_(0, h);
  b = letterbox_boxes(b, lb).clamp_(0, s);
  const at::Tensor keep = (b.select(1, 2) > b.select(1, 0)).logical_and_(b.select(1, 3) > b.select(1, 1));
  const at::Tensor rows = keep.nonzero().reshape({-1});
  out.boxes = b.index_select(0, rows);
  out.labels = labels.to(at::kLong).reshape({-1}).index_select(0, rows);
  out.dropped = b.size(0) - out.boxes.size(0);
  return out;
}

ImportWriter::ImportWriter(const std::string& path, std::vector<std::string> class_names, std::string source,
                           int64_t size)
    : path_(path),
      writer_(std::make_unique<DatasetWriter>(path, std::move(class_names), std::move(source), 0)),
      size_(size) {}

ImportWriter::~ImportWriter() = default;

void ImportWriter::begin_split(const std::string& name, int64_t images) {
  QAT_ASSERT(images > 0, "split ", name, " has no images");
  writer_->begin_split(name, images, size_, size_);
  current_ = SplitSummary{};
  current_.name = name;
  current_.images = images;
  next_ = 0;
  progress_ = std::make_unique<Progress>("import " + name + " images", images);
}

void ImportWriter::add(const at::Tensor& image, const at::Tensor& boxes, const at::Tensor& labels) {
  QAT_ASSERT(next_ < current_.images, "more images than announced for split ", current_.name);
  const FittedImage fitted = fit_to_square(image, boxes, labels, size_);
  writer_->write(next_++, fitted.image, fitted.boxes, fitted.labels);
  current_.objects += fitted.boxes.size(0);
  current_.dropped_boxes += fitted.dropped;
  progress_->update(next_);
}

void ImportWriter::add(const at::Tensor& image, const std::vector<float>& boxes, const std::vector<int64_t>& labels) {
  add(image, at::tensor(boxes, at::kFloat).reshape({-1, 4}), at::tensor(labels, at::kLong));
}

void ImportWriter::end_split() {
  QAT_ASSERT(next_ == current_.images, "split ", current_.name, " got ", next_, " of ", current_.images, " images");
  writer_->end_split();
  const SplitSummary& s = current_;
  logger().info("{}: {} images, {} objects", s.name, s.images, s.objects);
  if (s.dropped_boxes > 0) logger().warn("{}: dropped {} empty boxes (zero width or height after clipping)", s.name, s.dropped_boxes);
  if (s.crowd_skipped > 0) logger().info("{}: skipped {} crowd annotations (iscrowd = 1)", s.name, s.crowd_skipped);
  if (s.unlabeled_images > 0) logger().info("{}: {} images have no label file (no objects)", s.name, s.unlabeled_images);
  if (s.ignored_files > 0) logger().warn("{}: ignored {} files that are not .png, .jpg or .jpeg", s.name, s.ignored_files);
  done_.splits.push_back(current_);
}

ImportSummary ImportWriter::finish() {
  writer_->finish();
  logger().info("wrote {}", path_);
  return done_;
}

ImportSummary rethrow_filesystem_errors(const std::function<ImportSummary()>& import) {
  try {
    return import();
  } catch (const std::filesystem::filesystem_error& e) {
    throw IoError(e.path1().string(), "", e.code().message());
  }
}

}  // namespace qat::data
