// Importing COCO-style detection annotations (instances_*.json plus an image folder
// per split) into the HDF5 dataset format; see docs/dataset-format.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qat/data/import_writer.h"

namespace qat::data {

/// One split: its name in the dataset, its annotation file and its image folder.
struct CocoSplitSource {
  std::string name;
  std::string annotations;  ///< instances_*.json
  std::string images_dir;   ///< file_name of each image is relative to this

  /// Parses "NAME=JSON:IMAGES_DIR" (the last ':' separates the folder); throws
  /// qat::Error for any other shape.
  static CocoSplitSource parse(const std::string& spec);
};

struct CocoImportOptions {
  std::vector<CocoSplitSource> splits;
  int64_t size = 160;  ///< side of the square images in the dataset
  std::string out;
  /// Read image files outside the images folder (an absolute or '..' file_name, a symbolic
  /// link leading out); refused by default (IoError naming the entry).
  bool allow_outside = false;

  /// Throws qat::Error for no splits, repeated or invalid split names, a size below 1 or no output file.
  void validate() const;
  /// e.g. "coco size=160 train=a.json:img" (the dataset's source attribute).
  std::string describe() const;
};

/// Reads every split's json, checks it (syntax with line:column and byte, missing
/// fields, unknown image or category ids, missing image files, categories that
/// differ between splits), then decodes and letterboxes the images in order of
/// image id and writes `options.out` atomically. Class names are the categories
/// ordered by id (label = rank of the id); iscrowd annotations are skipped.
ImportSummary import_coco(const CocoImportOptions& options);

}  // namespace qat::data
