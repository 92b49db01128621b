#include "qat/data/yolo_import.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/excerpt.h"
#include "qat/core/logging.h"
#include "qat/data/contained_path.h"
#include "qat/data/image_file.h"

namespace qat::data {

namespace fs = std::filesystem;

void YoloImportOptions::validate() const {
  QAT_CHECK(!root.empty(), "yolo import: no dataset folder given");
  std::set<std::string> names;
  for (const auto& s : splits) {
    check_split_name(s);
    QAT_CHECK(names.insert(s).second, "yolo import: split '", s, "' is given twice");
  }
  QAT_CHECK(size >= 1, "yolo import: --size must be at least 1, got ", size);
  QAT_CHECK(!out.empty(), "yolo import: no output file (--out)");
}

std::string YoloImportOptions::describe(const std::vector<std::string>& used) const {
  std::string list;
  for (const auto& s : used) list += (list.empty() ? "" : ",") + s;
  return "yolo root=" + root + " size=" + std::to_string(size) + " splits=" + list;
}

namespace {

// Line-located errors read like a compiler's: "labels/train/a.txt:3: reason".
[[noreturn]] void fail_at(const std::string& file, size_t line, const std::string& what) {
  throw IoError(file + ":" + std::to_string(line), "", what);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // files written on Windows
    lines.push_back(line);
  }
  return lines;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> read_class_names(const std::string& path) {
  if (!fs::is_regular_file(path)) throw IoError(path, "", "not found (one class name per line)");
  std::vector<std::string> lines = lines_of(read_file(path));
  while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
  std::vector<std::string> names;
  for (size_t i = 0; i < lines.size(); ++i) {
    names.push_back(trim(lines[i]));
    if (names.back().empty()) fail_at(path, i + 1, "empty class name");
  }
  if (names.empty()) throw IoError(path, "", "no class names");
  return names;
}

bool is_image(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

struct YoloImage {
  std::string file;
  std::vector<double> boxes;  // xyxy, normalised (scaled to pixels once the image is decoded)
  std::vector<int64_t> labels;
};

struct YoloSplit {
  std::string name;
  std::vector<YoloImage> images;
  int64_t unlabeled = 0, ignored = 0;
};

bool parse_number(const std::string& token, double& value) {
  const char* end = token.data() + token.size();
  const auto r = std::from_chars(token.data(), end, value);
  return r.ec == std::errc() && r.ptr == end;
}

void read_label_file(const std::string& path, size_t num_classes, const std::string& classes_file, YoloImage& image) {
  const std::vector<std::string> lines = lines_of(read_file(path));
  for (size_t i = 0; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::vector<std::string> tokens;
    for (std::string t; in >> t;) tokens.push_back(t);
    if (tokens.empty()) continue;  // blank lines (a trailing newline)
    if (tokens.size() != 5) {
      fail_at(path, i + 1, "expected 5 numbers, got " + std::to_string(tokens.size()));
    }
    double v[5];
    for (int k = 0; k < 5; ++k) {
      if (!parse_number(tokens[k], v[k])) fail_at(path, i + 1, "'" + excerpt(tokens[k]) + "' is not a number");
    }
    int64_t cls = 0;
    const auto r = std::from_chars(tokens[0].data(), tokens[0].data() + tokens[0].size(), cls);
    if (r.ec != std::errc() || r.ptr != tokens[0].data() + tokens[0].size()) {
      fail_at(path, i + 1, "class '" + excerpt(tokens[0]) + "' is not an integer");
    }
    if (cls < 0 || cls >= static_cast<int64_t>(num_classes)) {
      fail_at(path, i + 1, "class " + tokens[0] + " is outside [0, " + std::to_string(num_classes) + ") (" +
                               std::to_string(num_classes) + " names in " + classes_file + ")");
    }
    static const char* const kNames[5] = {"class", "cx", "cy", "w", "h"};
    for (int k = 1; k < 5; ++k) {
      if (!(v[k] >= 0 && v[k] <= 1)) fail_at(path, i + 1, std::string(kNames[k]) + " " + tokens[k] + " is outside [0, 1]");
    }
    const double cx = v[1], cy = v[2], w = v[3], h = v[4];
    for (const double e : {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2}) image.boxes.push_back(e);
    image.labels.push_back(cls);
  }
}

// `folder / file` once checked to stay inside `folder` (symbolic links followed);
// a link loop or a link leading out is an IoError naming the entry.
std::string checked(const fs::path& folder, const std::string& file, bool allow_outside) {
  return contained_path(folder.string(), file, allow_outside, {(folder / file).string(), ""});
}

YoloSplit read_yolo_split(const fs::path& root, const std::string& name, size_t num_classes,
                          const std::string& classes_file, bool allow_outside) {
  YoloSplit split;
  split.name = name;
  const fs::path images_dir = root / "images" / name, labels_dir = root / "labels" / name;
  if (!fs::is_directory(images_dir)) throw IoError(images_dir.string(), "", "not a directory");

  std::map<std::string, std::string> by_stem;  // stem -> image file name, sorted by stem
  std::vector<std::string> files;
  std::vector<std::string> entries;
  for (const auto& entry : fs::directory_iterator(images_dir)) entries.push_back(entry.path().filename().string());
  std::sort(entries.begin(), entries.end());  // directory order is not deterministic, nor would the first error be
  for (const auto& name : entries) {
    std::error_code ec;
    if (is_image(name)) {
      // Resolved before it is looked at: a link out or a loop is refused, naming the entry.
      if (fs::is_regular_file(checked(images_dir, name, allow_outside), ec)) files.push_back(name);
      continue;
    }
    if (fs::is_regular_file(images_dir / name, ec)) ++split.ignored;
  }
  std::sort(files.begin(), files.end());  // directory order is not deterministic
  if (files.empty()) throw IoError(images_dir.string(), "", "no .png, .jpg or .jpeg images");
  for (const auto& f : files) {
    const std::string stem = fs::path(f).stem().string();
    const auto [it, fresh] = by_stem.emplace(stem, f);
    if (!fresh) {
      throw IoError((images_dir / f).string(), "", "shares the label file " + stem + ".txt with " + it->second);
    }
  }

  if (fs::is_directory(labels_dir)) {
    std::vector<std::string> labels;
    std::vector<std::string> entries;
    for (const auto& entry : fs::directory_iterator(labels_dir)) {
      if (entry.path().extension() == ".txt") entries.push_back(entry.path().filename().string());
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& name : entries) {
      std::error_code ec;
      if (fs::is_regular_file(checked(labels_dir, name, allow_outside), ec)) labels.push_back(name);
    }
    for (const auto& l : labels) {
      if (!by_stem.count(fs::path(l).stem().string())) {
        throw IoError((labels_dir / l).string(), "", "no image " + fs::path(l).stem().string() +
                                                         ".png, .jpg or .jpeg in " + images_dir.string());
      }
    }
  }

  for (const auto& f : files) {
    YoloImage image;
    image.file = (images_dir / f).string();
    const fs::path label = labels_dir / (fs::path(f).stem().string() + ".txt");
    std::error_code ec;
    if (fs::exists(fs::symlink_status(label, ec))) checked(labels_dir, label.filename().string(), allow_outside);
    if (fs::is_regular_file(label, ec)) {
      read_label_file(label.string(), num_classes, classes_file, image);
    } else {
      ++split.unlabeled;
    }
    split.images.push_back(std::move(image));
  }
  return split;
}

}  // namespace

namespace {

ImportSummary import_yolo_checked(const YoloImportOptions& options) {
  options.validate();
  const fs::path root(options.root);
  if (!fs::is_directory(root)) throw IoError(options.root, "", "not a directory");
  const std::string classes_file = (root / "classes.txt").string();
  const std::vector<std::string> class_names = read_class_names(classes_file);

  std::vector<std::string> names = options.splits;
  if (names.empty()) {
    const fs::path images = root / "images";
    if (!fs::is_directory(images)) throw IoError(images.string(), "", "not a directory");
    for (const auto& entry : fs::directory_iterator(images)) {
      std::error_code ec;
      if (fs::is_directory(entry.path(), ec)) names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    if (names.empty()) throw IoError(images.string(), "", "no split folders (e.g. images/train)");
  }

  std::vector<YoloSplit> splits;
  for (const auto& name : names) splits.push_back(read_yolo_split(root, name, class_names.size(), classes_file, options.allow_outside));

  ImportWriter writer(options.out, class_names, options.describe(names), options.size);
  for (const YoloSplit& split : splits) {
    writer.begin_split(split.name, static_cast<int64_t>(split.images.size()));
    writer.summary().unlabeled_images = split.unlabeled;
    writer.summary().ignored_files = split.ignored;
    for (const YoloImage& image : split.images) {
      const at::Tensor pixels = read_image(image.file);
      // Normalised xyxy -> pixels of this image (in double, then float32 as stored).
      const double w = static_cast<double>(pixels.size(2)), h = static_cast<double>(pixels.size(1));
      std::vector<float> pixel_boxes(image.boxes.size());
      for (size_t k = 0; k < image.boxes.size(); ++k) pixel_boxes[k] = static_cast<float>(image.boxes[k] * (k % 2 == 0 ? w : h));
      writer.add(pixels, pixel_boxes, image.labels);
    }
    writer.end_split();
  }
  return writer.finish();
}

}  // namespace

ImportSummary import_yolo(const YoloImportOptions& options) {
  return rethrow_filesystem_errors([&] { return import_yolo_checked(options); });
}

}  // namespace qat::data
