// The `data:` section of a recipe: the dataset and how batches are made.
// Read and written by recipe/sections.cpp (recipe/sections.h composes the sections).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "qat/core/key_path.h"

namespace qat {

/// `data:` where the detection dataset is and how batches are made.
struct DataSection {
  std::string path = "data/fmnist-scenes-8k.h5";  ///< HDF5 detection dataset; this one is scripts/default-data's
  std::string train_split = "train";
  std::string val_split = "val";
  int image_size = 160;  ///< network input side; images are letterboxed to it
  int batch_size = 32;
  int prefetch = 2;      ///< batches prepared ahead by the loader thread
  double hflip = 0.5;    ///< probability of a horizontal flip in training

  static DataSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

}  // namespace qat
