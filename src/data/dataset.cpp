#include "qat/data/dataset.h"

#include <filesystem>
#include <sstream>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"

namespace qat::data {
namespace {

std::string fmt(float v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

DetectionDataset::DetectionDataset(const std::string& path, const std::string& split)
    : path_(path), split_(split), file_(std::make_shared<h5::File>(h5::File::open(path))) {
  const h5::File& f = *file_;
  const std::string g = "/" + split;
  if (!h5::exists(f, g)) {
    const auto splits = h5::groups(f, "/");
    std::string list;
    for (const auto& s : splits) list += (list.empty() ? "" : ", ") + s;
    throw IoError(path, g, "split not found (splits: " + (list.empty() ? std::string("none") : list) + ")");
  }
  if (!h5::has_attribute(f, "/", "class_names")) throw IoError(path, "/", "attribute 'class_names' is missing");
  class_names_ = h5::strings_attribute(f, "/", "class_names");
  if (class_names_.empty()) throw IoError(path, "/", "attribute 'class_names' is empty");

  const auto images = h5::info(f, g + "/images");
  if (images.dtype != at::kByte || images.shape.size() != 4 || images.shape[1] != 3) {
    throw IoError(path, g + "/images", "expected uint8 [N,3,H,W], got " + h5::describe(images));
  }
  size_ = images.shape[0];
  height_ = images.shape[2];
  width_ = images.shape[3];

  const auto boxes = h5::info(f, g + "/boxes");
  if (boxes.dtype != at::kFloat || boxes.shape.size() != 2 || boxes.shape[1] != 4) {
    throw IoError(path, g + "/boxes", "expected float32 [M,4], got " + h5::describe(boxes));
  }
  const int64_t m = boxes.shape[0];
  const auto labels = h5::info(f, g + "/labels");
  if (labels.dtype != at::kInt || labels.shape != std::vector<int64_t>{m}) {
    throw IoError(path, g + "/labels", "expected int32 [" + std::to_string(m) + "] (one per box), got " +
                                           h5::describe(labels));
  }
  const auto offsets = h5::info(f, g + "/offsets");
  if (offsets.dtype != at::kLong || offsets.shape != std::vector<int64_t>{size_ + 1}) {
    throw IoError(path, g + "/offsets", "expected int64 [" + std::to_string(size_ + 1) + "] (images + 1), got " +
                                            h5::describe(offsets));
  }

  offsets_ = h5::read_tensor(f, g + "/offsets");
  const int64_t* off = offsets_.data_ptr<int64_t>();
  if (off[0] != 0) throw IoError(path, g + "/offsets", "offsets[0] is " + std::to_string(off[0]) + ", expected 0");
  for (int64_t i = 1; i <= size_; ++i) {
    if (off[i] < off[i - 1]) {
      throw IoError(path, g + "/offsets", "offsets decrease at image " + std::to_string(i - 1) + " (" +
                                              std::to_string(off[i - 1]) + " then " + std::to_string(off[i]) + ")");
    }
  }
  if (off[size_] != m) {
    throw IoError(path, g + "/offsets", "last offset " + std::to_string(off[size_]) +
                                            " differs from the number of boxes (" + std::to_string(m) + ")");
  }

  labels_ = h5::read_tensor(f, g + "/labels").to(at::kLong);
  const int64_t* lab = labels_.data_ptr<int64_t>();
  for (int64_t r = 0; r < m; ++r) {
    if (lab[r] < 0 || lab[r] >= num_classes()) {
      throw IoError(path, g + "/labels", "label " + std::to_string(lab[r]) + " at row " + std::to_string(r) +
                                             " is outside [0, " + std::to_string(num_classes()) + ") (" +
                                             std::to_string(num_classes()) + " classes)");
    }
  }

  boxes_ = h5::read_tensor(f, g + "/boxes");
  const float* b = boxes_.data_ptr<float>();
  int64_t image = 0;
  for (int64_t r = 0; r < m; ++r) {
    while (off[image + 1] <= r) ++image;
    const float x1 = b[4 * r], y1 = b[4 * r + 1], x2 = b[4 * r + 2], y2 = b[4 * r + 3];
    const std::string where = "box " + std::to_string(r) + " (image " + std::to_string(image) + ") [" + fmt(x1) +
                              " " + fmt(y1) + " " + fmt(x2) + " " + fmt(y2) + "]";
    if (!(x2 > x1 && y2 > y1)) throw IoError(path, g + "/boxes", where + " is empty (needs x2 > x1 and y2 > y1)");
    if (x1 < 0 || y1 < 0 || x2 > width_ || y2 > height_) {
      throw IoError(path, g + "/boxes", where + " lies outside the " + std::to_string(width_) + "x" +
                                            std::to_string(height_) + " image");
    }
  }
}

at::Tensor DetectionDataset::image(int64_t index) const {
  QAT_ASSERT(index >= 0 && index < size_, "image index ", index, " out of range");
  return h5::read_rows(*file_, "/" + split_ + "/images", index, 1)[0];
}

at::Tensor DetectionDataset::boxes(int64_t index) const {
  const int64_t a = offsets_[index].item<int64_t>(), b = offsets_[index + 1].item<int64_t>();
  return boxes_.slice(0, a, b);
}

at::Tensor DetectionDataset::labels(int64_t index) const {
  const int64_t a = offsets_[index].item<int64_t>(), b = offsets_[index + 1].item<int64_t>();
  return labels_.slice(0, a, b);
}

std::vector<int64_t> DetectionDataset::class_counts() const {
  std::vector<int64_t> counts(class_names_.size(), 0);
  const int64_t* lab = labels_.data_ptr<int64_t>();
  for (int64_t r = 0; r < labels_.size(0); ++r) ++counts[lab[r]];
  return counts;
}

struct DatasetWriter::State {
  std::unique_ptr<AtomicFile> target;
  std::unique_ptr<h5::File> file;
  std::string split;
  int64_t images = 0, height = 0, width = 0;
  std::vector<at::Tensor> boxes, labels;
  std::vector<int64_t> counts;
};

DatasetWriter::DatasetWriter(const std::string& path, std::vector<std::string> class_names, std::string source,
                             int64_t seed)
    : state_(std::make_unique<State>()) {
  QAT_CHECK(!class_names.empty(), "a dataset needs at least one class");
  state_->target = std::make_unique<AtomicFile>(path);
  state_->file = std::make_unique<h5::File>(h5::File::create(state_->target->temp_path().string()));
  h5::File& f = *state_->file;
  h5::set_attribute(f, "/", "class_names", class_names);
  h5::set_attribute(f, "/", "format", std::string(kDatasetFormat));
  h5::set_attribute(f, "/", "format_version", kDatasetFormatVersion);
  h5::set_attribute(f, "/", "source", source);
  h5::set_attribute(f, "/", "seed", seed);
}

DatasetWriter::~DatasetWriter() = default;

void DatasetWriter::begin_split(const std::string& name, int64_t images, int64_t height, int64_t width) {
  QAT_ASSERT(state_->split.empty(), "split ", state_->split, " was not ended");
  state_->split = name;
  state_->images = images;
  state_->height = height;
  state_->width = width;
  state_->boxes.assign(images, at::Tensor());
  state_->labels.assign(images, at::Tensor());
  h5::create_dataset(*state_->file, "/" + name + "/images", at::kByte, {images, 3, height, width},
                     h5::Storage{{1, 3, height, width}, 4, true});
}

void DatasetWriter::write(int64_t index, const at::Tensor& image, const at::Tensor& boxes, const at::Tensor& labels) {
  QAT_ASSERT(index >= 0 && index < state_->images, "image index out of range");
  QAT_ASSERT(image.scalar_type() == at::kByte && image.sizes() == at::IntArrayRef({3, state_->height, state_->width}),
             "image must be uint8 [3,H,W]");
  try {
    h5::write_rows(*state_->file, "/" + state_->split + "/images", index, image.unsqueeze(0));
  } catch (Error& e) {
    e.add_context("writing the dataset " + state_->target->target().string());
    throw;
  }
  state_->boxes[index] = boxes.to(at::kFloat).reshape({-1, 4});
  state_->labels[index] = labels.to(at::kInt).reshape({-1});
}

void DatasetWriter::end_split() {
  std::vector<int64_t> offsets = {0};
  for (int64_t i = 0; i < state_->images; ++i) {
    QAT_ASSERT(state_->boxes[i].defined(), "image ", i, " of split ", state_->split, " was never written");
    offsets.push_back(offsets.back() + state_->boxes[i].size(0));
  }
  const std::string g = "/" + state_->split;
  try {
    h5::write_tensor(*state_->file, g + "/boxes", at::cat(state_->boxes, 0));
    h5::write_tensor(*state_->file, g + "/labels", at::cat(state_->labels, 0));
    h5::write_tensor(*state_->file, g + "/offsets", at::tensor(offsets, at::kLong));
  } catch (Error& e) {
    e.add_context("writing the dataset " + state_->target->target().string());
    throw;
  }
  state_->split.clear();
}

void DatasetWriter::finish() {
  QAT_ASSERT(state_->split.empty(), "split ", state_->split, " was not ended");
  try {
    state_->file->close();  // before renaming; a full disk shows here and leaves the target untouched
  } catch (Error& e) {
    e.add_context("writing the dataset " + state_->target->target().string());
    throw;
  }
  state_->file.reset();
  state_->target->commit();
}

std::string describe_dataset(const std::string& path) {
  std::ostringstream out;
  std::vector<std::string> splits;
  {
    const h5::File f = h5::File::open(path);
    splits = h5::groups(f, "/");
    out << path << ": " << kDatasetFormat << " v"
        << (h5::has_attribute(f, "/", "format_version") ? h5::int_attribute(f, "/", "format_version") : 0) << "\n";
    if (h5::has_attribute(f, "/", "source")) out << "  source: " << h5::string_attribute(f, "/", "source") << "\n";
  }
  for (const auto& s : splits) {
    const DetectionDataset ds(path, s);
    out << "  " << s << ": " << ds.size() << " images " << ds.width() << "x" << ds.height() << ", "
        << ds.num_objects() << " objects\n";
    const auto counts = ds.class_counts();
    for (size_t c = 0; c < counts.size(); ++c) {
      out << "    " << c << " " << ds.class_names()[c] << ": " << counts[c] << "\n";
    }
  }
  return out.str();
}

}  // namespace qat::data
