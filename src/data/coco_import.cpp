#include "qat/data/coco_import.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/logging.h"
#include "qat/core/excerpt.h"
#include "qat/data/contained_path.h"
#include "qat/data/image_file.h"

namespace qat::data {

using nlohmann::json;
namespace fs = std::filesystem;

CocoSplitSource CocoSplitSource::parse(const std::string& spec) {
  const auto eq = spec.find('=');
  const auto colon = spec.rfind(':');
  QAT_CHECK(eq != std::string::npos && colon != std::string::npos && colon > eq + 1 && colon + 1 < spec.size() &&
                eq > 0,
            "--split: expected NAME=JSON:IMAGES_DIR, got '", spec, "'");
  CocoSplitSource s{spec.substr(0, eq), spec.substr(eq + 1, colon - eq - 1), spec.substr(colon + 1)};
  check_split_name(s.name);
  return s;
}

void CocoImportOptions::validate() const {
  QAT_CHECK(!splits.empty(), "coco import: give at least one --split NAME=JSON:IMAGES_DIR");
  std::set<std::string> names;
  for (const auto& s : splits) {
    check_split_name(s.name);
    QAT_CHECK(names.insert(s.name).second, "coco import: split '", s.name, "' is given twice");
  }
  QAT_CHECK(size >= 1, "coco import: --size must be at least 1, got ", size);
  QAT_CHECK(!out.empty(), "coco import: no output file (--out)");
}

std::string CocoImportOptions::describe() const {
  std::string out = "coco size=" + std::to_string(size);
  for (const auto& s : splits) out += " " + s.name + "=" + s.annotations + ":" + s.images_dir;
  return out;
}

namespace {

struct CocoImage {
  int64_t id = 0;
  std::string where;  // "images[2] (id 5)"
  std::string file;   // images_dir / file_name
  std::optional<int64_t> width, height;  // from the json, when it gives them
  std::vector<float> boxes;  // xyxy input pixels
  std::vector<int64_t> labels;
};

struct CocoSplit {
  std::vector<std::pair<int64_t, std::string>> categories;  // sorted by id
  std::vector<CocoImage> images;                            // sorted by id
  int64_t crowd = 0;
};

// Parses `text` (the content of `path`); a syntax error is reported as
// "path:line:col: invalid JSON at byte B: <nlohmann's reason>".
// "path:line:col" of byte `index` of `text`.
std::string locate(const std::string& path, const std::string& text, size_t index) {
  index = std::min(index, text.size());
  const int64_t line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(index), '\n');
  const size_t newline = index == 0 ? std::string::npos : text.rfind('\n', index - 1);
  const size_t line_start = newline == std::string::npos ? 0 : newline + 1;
  return path + ":" + std::to_string(line) + ":" + std::to_string(index - line_start + 1);
}

json parse_json(const std::string& path, const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::out_of_range& e) {
    // A number too large for a double (1e999): nlohmann gives no position, only the token,
    // e.g. "[json.exception.out_of_range.406] number overflow parsing '1e999'".
    std::string reason = e.what();
    if (reason.find("] ") != std::string::npos) reason = reason.substr(reason.find("] ") + 2);
    const auto open = reason.find('\''), close = reason.rfind('\'');
    std::string where = path;
    if (open != std::string::npos && close > open + 1) {
      const size_t at = text.find(reason.substr(open + 1, close - open - 1));
      if (at != std::string::npos) where = locate(path, text, at);
    }
    throw IoError(where, "", "invalid JSON: " + excerpt(reason));
  } catch (const json::parse_error& e) {
    // e.byte is the 1-based position of the character parsing stopped at.
    const size_t index = std::min<size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    const int64_t line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(index), '\n');
    const size_t line_start = index == 0 ? 0 : (text.rfind('\n', index - 1) == std::string::npos ? 0 : text.rfind('\n', index - 1) + 1);
    const size_t column = index - line_start + 1;
    // Keep nlohmann's reason, without its "[json.exception...] parse error at line L, column C: " prefix.
    std::string reason = e.what();
    const auto at = reason.find(", column ");
    if (at != std::string::npos && reason.find(": ", at) != std::string::npos) reason = reason.substr(reason.find(": ", at) + 2);
    // nlohmann quotes the last token read ("last read: '...'"), which may be long.
    throw IoError(path + ":" + std::to_string(line) + ":" + std::to_string(column), "",
                  "invalid JSON at byte " + std::to_string(e.byte) + ": " + excerpt(reason, 160));
  }
}

// Typed access to one JSON object's fields, with errors that say where.
class Fields {
 public:
  Fields(const std::string& path, const json& object, std::string where)
      : path_(path), object_(object), where_(std::move(where)) {
    if (!object_.is_object()) fail("expected an object, got " + std::string(object_.type_name()));
  }
  bool has(const char* key) const { return object_.contains(key); }
  const json& get(const char* key) const {
    if (!has(key)) fail(std::string("'") + key + "' is missing");
    return object_.at(key);
  }
  int64_t integer(const char* key) const {
    const json& v = get(key);
    if (!v.is_number_integer()) fail(std::string("'") + key + "' must be an integer, got " + excerpt(v.dump()));
    return v.get<int64_t>();
  }
  std::string string(const char* key) const {
    const json& v = get(key);
    if (!v.is_string()) fail(std::string("'") + key + "' must be a string, got " + excerpt(v.dump()));
    return v.get<std::string>();
  }
  /// An array field; an absent optional one reads as empty.
  const json& array(const char* key, bool required) const {
    static const json empty = json::array();
    if (!required && !has(key)) return empty;
    const json& v = get(key);
    if (!v.is_array()) fail(std::string("'") + key + "' must be an array, got " + v.type_name());
    return v;
  }
  [[noreturn]] void fail(const std::string& what) const { throw IoError(path_, where_, what); }

 private:
  const std::string& path_;
  const json& object_;
  std::string where_;
};

std::string indexed(const char* array, size_t i) { return std::string(array) + "[" + std::to_string(i) + "]"; }

// The categories ordered by id; a repeated id is refused.
void read_categories(const Fields& top, const std::string& path, CocoSplit& split) {
  const json& categories = top.array("categories", true);
  std::map<int64_t, std::string> by_id;
  for (size_t i = 0; i < categories.size(); ++i) {
    const Fields c(path, categories[i], indexed("categories", i));
    const int64_t id = c.integer("id");
    if (!by_id.emplace(id, c.string("name")).second) c.fail("category id " + std::to_string(id) + " is repeated");
  }
  if (by_id.empty()) throw IoError(path, "categories", "no categories");
  split.categories.assign(by_id.begin(), by_id.end());
}

// The images ordered by id; returns each id's index in split.images. A repeated id is refused.
std::unordered_map<int64_t, size_t> read_images(const Fields& top, const CocoSplitSource& source, bool allow_outside,
                                                CocoSplit& split) {
  const std::string& path = source.annotations;
  const json& images = top.array("images", true);
  for (size_t i = 0; i < images.size(); ++i) {
    CocoImage image;
    image.id = Fields(path, images[i], indexed("images", i)).integer("id");
    image.where = indexed("images", i) + " (id " + std::to_string(image.id) + ")";
    const Fields f(path, images[i], image.where);
    image.file = contained_path(source.images_dir, f.string("file_name"), allow_outside, {path, image.where});
    if (f.has("width")) image.width = f.integer("width");
    if (f.has("height")) image.height = f.integer("height");
    split.images.push_back(std::move(image));
  }
  if (split.images.empty()) throw IoError(path, "images", "no images");
  std::stable_sort(split.images.begin(), split.images.end(),
                   [](const CocoImage& a, const CocoImage& b) { return a.id < b.id; });
  std::unordered_map<int64_t, size_t> index_of;
  for (size_t i = 0; i < split.images.size(); ++i) {
    if (!index_of.emplace(split.images[i].id, i).second) {
      throw IoError(path, split.images[i].where, "image id " + std::to_string(split.images[i].id) + " is repeated");
    }
  }
  return index_of;
}

// One non-crowd annotation's box (x1, y1, x2, y2) and label appended to its image.
void add_annotation(const Fields& a, const std::unordered_map<int64_t, size_t>& index_of,
                    const std::map<int64_t, int64_t>& label_of, CocoSplit& split) {
  const int64_t image_id = a.integer("image_id");
  const auto image = index_of.find(image_id);
  if (image == index_of.end()) a.fail("image_id " + std::to_string(image_id) + " is not in images");
  const int64_t category_id = a.integer("category_id");
  const auto label = label_of.find(category_id);
  if (label == label_of.end()) {
    std::string known;
    for (const auto& [id, name] : split.categories) known += (known.empty() ? "" : ", ") + std::to_string(id);
    a.fail("category_id " + std::to_string(category_id) + " is not in categories (ids: " + known + ")");
  }
  const json& bbox = a.get("bbox");
  if (!bbox.is_array() || bbox.size() != 4 ||
      !std::all_of(bbox.begin(), bbox.end(), [](const json& v) { return v.is_number(); })) {
    a.fail("bbox must be 4 numbers [x, y, width, height], got " + excerpt(bbox.dump()));
  }
  const double x = bbox[0].get<double>(), y = bbox[1].get<double>();
  const double w = bbox[2].get<double>(), h = bbox[3].get<double>();
  if (w < 0 || h < 0) a.fail("bbox " + excerpt(bbox.dump()) + " has a negative width or height");
  CocoImage& target = split.images[image->second];
  for (const double v : {x, y, x + w, y + h}) target.boxes.push_back(static_cast<float>(v));
  target.labels.push_back(label->second);
}

CocoSplit read_coco_split(const CocoSplitSource& source, bool allow_outside) {
  const std::string& path = source.annotations;
  const json root = parse_json(path, read_file(path));
  if (!root.is_object()) {
    throw IoError(path, "", "expected an object with 'images', 'annotations' and 'categories', got " +
                                std::string(root.type_name()));
  }
  const Fields top(path, root, "");
  CocoSplit split;
  read_categories(top, path, split);
  std::map<int64_t, int64_t> label_of;  // category id -> rank
  for (const auto& [id, name] : split.categories) label_of.emplace(id, static_cast<int64_t>(label_of.size()));
  const auto index_of = read_images(top, source, allow_outside, split);

  const json& annotations = top.array("annotations", false);
  for (size_t i = 0; i < annotations.size(); ++i) {
    const Fields probe(path, annotations[i], indexed("annotations", i));
    const std::string where =
        probe.has("id") ? indexed("annotations", i) + " (id " + probe.get("id").dump() + ")" : indexed("annotations", i);
    const Fields a(path, annotations[i], where);
    if (a.has("iscrowd") && a.integer("iscrowd") != 0) {
      ++split.crowd;
      continue;
    }
    add_annotation(a, index_of, label_of, split);
  }

  for (const CocoImage& image : split.images) {
    std::error_code ec;
    if (!fs::is_regular_file(image.file, ec)) throw IoError(path, image.where, "image file " + image.file + " not found");
  }
  return split;
}

std::string describe_categories(const std::vector<std::pair<int64_t, std::string>>& categories) {
  std::string out;
  for (const auto& [id, name] : categories) out += (out.empty() ? "" : ", ") + std::to_string(id) + " " + name;
  return out;
}

// A side as the json gives it, "?" when it does not.
std::string size_text(const std::optional<int64_t>& side) { return side ? std::to_string(*side) : "?"; }

}  // namespace

namespace {

ImportSummary import_coco_checked(const CocoImportOptions& options) {
  options.validate();
  std::vector<CocoSplit> splits;
  for (const auto& source : options.splits) {
    splits.push_back(read_coco_split(source, options.allow_outside));
    if (splits.size() > 1 && splits.back().categories != splits.front().categories) {
      throw IoError(source.annotations, "categories",
                    "differ from those of split '" + options.splits.front().name + "' (" +
                        describe_categories(splits.back().categories) + " vs " +
                        describe_categories(splits.front().categories) + ")");
    }
  }
  std::vector<std::string> class_names;
  for (const auto& [id, name] : splits.front().categories) class_names.push_back(name);

  ImportWriter writer(options.out, class_names, options.describe(), options.size);
  for (size_t s = 0; s < splits.size(); ++s) {
    const CocoSplit& split = splits[s];
    const std::string& json_path = options.splits[s].annotations;
    writer.begin_split(options.splits[s].name, static_cast<int64_t>(split.images.size()));
    writer.summary().crowd_skipped = split.crowd;
    for (const CocoImage& image : split.images) {
      const at::Tensor pixels = read_image(image.file);
      const int64_t h = pixels.size(1), w = pixels.size(2);
      if ((image.width && *image.width != w) || (image.height && *image.height != h)) {
        throw IoError(json_path, image.where,
                      "image file " + image.file + " is " + std::to_string(w) + "x" + std::to_string(h) +
                          " pixels, the json says " + size_text(image.width) + "x" + size_text(image.height));
      }
      writer.add(pixels, image.boxes, image.labels);
    }
    writer.end_split();
  }
  return writer.finish();
}

}  // namespace

ImportSummary import_coco(const CocoImportOptions& options) {
  return rethrow_filesystem_errors([&] { return import_coco_checked(options); });
}

}  // namespace qat::data
