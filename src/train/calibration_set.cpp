#include "qat/train/calibration_set.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "qat/core/error.h"
#include "qat/data/dataset.h"
#include "qat/data/loader.h"

namespace qat::train {
namespace {

// class_balanced (calibration_set.h): the greedy draw by the rarest class under its share.
std::vector<int64_t> pick_balanced(const std::vector<std::vector<int64_t>>& labels,
                                   const std::vector<int64_t>& order, const std::vector<double>& weights,
                                   size_t count) {
  const size_t classes = weights.size();
  std::vector<std::vector<int64_t>> holding(classes);  // per class: images holding it, in `order`
  for (int64_t image : order) {
    for (int64_t c : labels[static_cast<size_t>(image)]) {
      auto& list = holding[static_cast<size_t>(c)];
      if (list.empty() || list.back() != image) list.push_back(image);
    }
  }
  std::vector<size_t> next(classes, 0);
  std::vector<double> objects(classes, 0);
  std::vector<char> picked(labels.size(), 0);
  std::vector<int64_t> out;
  auto take = [&](int64_t image) {
    picked[static_cast<size_t>(image)] = 1;
    out.push_back(image);
    for (int64_t c : labels[static_cast<size_t>(image)]) objects[static_cast<size_t>(c)] += 1;
  };
  while (out.size() < count) {
    std::optional<size_t> rarest;
    for (size_t c = 0; c < classes; ++c) {
      while (next[c] < holding[c].size() && picked[static_cast<size_t>(holding[c][next[c]])]) ++next[c];
      if (next[c] == holding[c].size()) continue;
      if (!rarest || objects[c] / weights[c] < objects[*rarest] / weights[*rarest]) rarest = c;
    }
    if (!rarest) break;
    take(holding[*rarest][next[*rarest]]);
  }
  for (int64_t image : order) {  // images without objects, once no other is left
    if (out.size() >= count) break;
    if (!picked[static_cast<size_t>(image)]) take(image);
  }
  return out;
}

}  // namespace

std::vector<int64_t> pick_calibration_images(const std::vector<std::vector<int64_t>>& labels,
                                             const std::vector<int64_t>& order, const std::string& sampling,
                                             const std::vector<double>& weights, int64_t count) {
  QAT_ASSERT(order.size() == labels.size(), "the order covers every image");
  const size_t n = std::min(labels.size(), static_cast<size_t>(std::max<int64_t>(count, 0)));
  if (sampling == "class_balanced") return pick_balanced(labels, order, weights, n);
  if (sampling == "random") return {order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n)};
  QAT_ASSERT(sampling == "sequential", "sampling is sequential, random or class_balanced");
  std::vector<int64_t> out(n);
  std::iota(out.begin(), out.end(), 0);
  return out;
}

std::vector<double> oversample_weights(const std::map<std::string, double>& oversample,
                                       const std::vector<std::string>& class_names) {
  std::vector<double> weights(class_names.size(), 1.0);
  for (const auto& [name, w] : oversample) {
    auto it = std::find(class_names.begin(), class_names.end(), name);
    size_t id = static_cast<size_t>(it - class_names.begin());
    if (it == class_names.end()) {
      const bool numeric = !name.empty() && std::all_of(name.begin(), name.end(), ::isdigit);
      id = numeric ? std::stoul(name) : class_names.size();
    }
    std::string known;
    for (const auto& c : class_names) known += (known.empty() ? "" : ", ") + c;
    QAT_CHECK(id < class_names.size(), "quant.calibration.oversample: '", name,
              "' is not a class of the dataset (", known, ") nor a class id below ", class_names.size());
    weights[id] = w;
  }
  return weights;
}

CalibrationSet select_calibration(const data::DetectionDataset& train, const QuantSection& quant,
                                  const data::DataLoader& loader, int64_t batch_size) {
  std::vector<std::vector<int64_t>> labels(static_cast<size_t>(train.size()));
  for (int64_t i = 0; i < train.size(); ++i) {
    const at::Tensor l = train.labels(i).contiguous();
    labels[static_cast<size_t>(i)].assign(l.data_ptr<int64_t>(), l.data_ptr<int64_t>() + l.numel());
  }
  CalibrationSet set;
  set.sampling = quant.calibration_sampling;
  set.batch_size = batch_size;
  const int64_t whole_batches = (quant.calibration_images + batch_size - 1) / batch_size * batch_size;
  set.images = pick_calibration_images(labels, loader.order(0), quant.calibration_sampling,
                                       oversample_weights(quant.calibration_oversample, train.class_names()),
                                       whole_batches);
  set.class_names = train.class_names();
  set.class_objects.assign(set.class_names.size(), 0);
  for (int64_t image : set.images) {
    for (int64_t c : labels[static_cast<size_t>(image)]) ++set.class_objects[static_cast<size_t>(c)];
  }
  return set;
}

}  // namespace qat::train
