#include "qat/train/calibrate.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "qat/core/interrupt.h"
#include "qat/core/logging.h"
#include "qat/core/progress.h"
#include "qat/data/loader.h"
#include "qat/dist/process_group.h"
#include "train/distributed.h"
#include "qat/train/quantized_student.h"
#include "qat/train/run_context.h"

namespace qat::train {
namespace {

/// Positions rank, rank + world size, ... of `set`.
CalibrationSet rank_share(const CalibrationSet& set, const dist::Group& group) {
  CalibrationSet share = set;
  share.images.clear();
  for (size_t i = static_cast<size_t>(group.rank()); i < set.images.size(); i += static_cast<size_t>(group.world_size())) {
    share.images.push_back(set.images[i]);
  }
  return share;
}

void for_each_observer(quant::QuantizerSet& quantizers, void (quant::Observer::*step)()) {
  for (size_t i = 0; i < quantizers.size(); ++i) (quantizers.quantizer(i).observer().*step)();
}

void run_batches(graph::Executor& executor, const std::string& input, const data::DataLoader& loader,
                 const CalibrationSet& set, const char* label) {
  const auto total = static_cast<int64_t>(set.images.size());
  Progress progress(label, total);
  for (int64_t first = 0; first < total; first += set.batch_size) {
    throw_if_interrupted();
    const auto begin = set.images.begin() + first;
    const std::vector<int64_t> rows(begin, begin + std::min(set.batch_size, total - first));
    executor.run({{input, loader.make_batch(rows, 0).images}});
    progress.update(first + static_cast<int64_t>(rows.size()));
  }
}

}  // namespace

int64_t calibrate(quant::QuantizerSet& quantizers, graph::Executor& executor, const std::string& input,
                  const data::DataLoader& loader, const CalibrationSet& set, dist::Group* group) {
  at::NoGradGuard no_grad;
  const bool was_training = executor.training();
  executor.set_training(false);
  quantizers.set_mode(quant::QuantizerMode::calibrate);
  if (group != nullptr && observers_need_range_pass(quantizers)) {
    // Histograms of different ranks add up only on one lattice: agree on the range first.
    for_each_observer(quantizers, &quant::Observer::begin_range_pass);
    run_batches(executor, input, loader, set, "calibrate ranges images");
    combine_observers(group, quantizers);
    for_each_observer(quantizers, &quant::Observer::end_range_pass);
  }
  run_batches(executor, input, loader, set, "calibrate images");
  combine_observers(group, quantizers);
  quantizers.set_mode(quant::QuantizerMode::train);
  executor.set_training(was_training);
  const auto total = static_cast<int64_t>(set.images.size());
  logger().info("calibrated {} quantizers on {} images ({})", quantizers.size(), total, set.sampling);
  return total;
}

CalibrationSet calibrate(RunContext& context, QuantizedStudent& student, const QuantSection& quant) {
  const auto loader = context.loader(LoaderPurpose::calibration, LoaderPhase::check);
  CalibrationSet set = select_calibration(context.train_set(), quant, *loader, context.recipe().data.batch_size);
  dist::Group* group = context.group();
  // An observer whose statistics do not combine (mse), or a set too small to give every
  // rank an image, makes every rank calibrate on the whole set.
  const bool sharded = group != nullptr && observers_combinable(student.quantizers()) &&
                       set.images.size() >= static_cast<size_t>(group->world_size());
  if (group != nullptr && !sharded) {
    logger().info("calibrating on the same images on every rank (an observer's statistics do not combine, "
                  "or there are fewer images than ranks)");
  }
  calibrate(student.quantizers(), student.executor(), context.teacher().info.input, *loader,
            sharded ? rank_share(set, *group) : set, sharded ? group : nullptr);
  check_same_scales(group, student.quantizers());
  return set;
}

}  // namespace qat::train
