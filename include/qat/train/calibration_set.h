// Which train images calibrate (quant.calibration.sampling) and what they hold:
// the draw is a pure function of the split's labels, the seeded order and the
// options, so a report can name the images and a test can predict them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "qat/quant/quant_options.h"

namespace qat::data {
class DataLoader;
class DetectionDataset;
}  // namespace qat::data

namespace qat::train {

/// The calibration images in reading order, `batch_size` a batch.
struct CalibrationSet {
  std::string sampling;               ///< sequential, random or class_balanced
  std::vector<int64_t> images;        ///< train-split indices, in reading order
  std::vector<int64_t> class_objects; ///< objects of each class over `images`
  std::vector<std::string> class_names;  ///< of the train split
  int64_t batch_size = 1;
};

/// Picks `count` of the images whose labels are `labels` (one list per image):
///  - sequential: the first `count` in file order;
///  - random: the first `count` of `order` (the seeded shuffle);
///  - class_balanced: greedily, while images are left: the class with the lowest
///    picked objects / weight among those with an unpicked image (ties: the lower
///    class id), then the first unpicked image of `order` holding it; once no
///    unpicked image holds an object, the rest in `order`.
/// `weights` (one per class) are the oversample factors, 1 when not given.
std::vector<int64_t> pick_calibration_images(const std::vector<std::vector<int64_t>>& labels,
                                             const std::vector<int64_t>& order, const std::string& sampling,
                                             const std::vector<double>& weights, int64_t count);

/// The weight of each class from `oversample` (keys are class names or ids);
/// an unknown class throws, naming the known ones.
std::vector<double> oversample_weights(const std::map<std::string, double>& oversample,
                                       const std::vector<std::string>& class_names);

/// The calibration set of `quant` over `train`: quant.calibration_images rounded up to
/// whole batches (as calibration has always read), at most the split; `loader` is the
/// calibration loader (its epoch-0 order is the seeded shuffle).
CalibrationSet select_calibration(const data::DetectionDataset& train, const QuantSection& quant,
                                  const data::DataLoader& loader, int64_t batch_size);

}  // namespace qat::train
