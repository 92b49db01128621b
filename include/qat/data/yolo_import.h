// Importing YOLO-style detection folders (images/<split>/*.png|jpg, labels/<split>/*.txt,
// classes.txt) into the HDF5 dataset format; see docs/dataset-format.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qat/data/import_writer.h"

namespace qat::data {

struct YoloImportOptions {
  std::string root;  ///< holds classes.txt, images/ and labels/
  std::vector<std::string> splits;  ///< empty: every folder under root/images, sorted by name
  int64_t size = 160;  ///< side of the square images in the dataset
  std::string out;
  /// Read image files outside the images folder (an absolute or '..' file_name, a symbolic
  /// link leading out); refused by default (IoError naming the entry).
  bool allow_outside = false;

  /// Throws qat::Error for no root, repeated or invalid split names, a size below 1 or no output file.
  void validate() const;
  /// e.g. "yolo root=data/x size=160 splits=train,val" (the dataset's source attribute).
  std::string describe(const std::vector<std::string>& splits) const;
};

/// Reads root/classes.txt (one class name per line; line n names class n-1), then
/// per split the images root/images/<split>/*.{png,jpg,jpeg} (any letter case) in
/// file name order and root/labels/<split>/<stem>.txt with lines
/// `class cx cy w h` (cx, cy, w, h normalised to [0, 1]). Every label file is
/// checked before any image is decoded; errors read "file:line: reason". An image
/// without a label file has no objects; a label file without an image is an error.
/// Writes `options.out` atomically.
ImportSummary import_yolo(const YoloImportOptions& options);

}  // namespace qat::data
