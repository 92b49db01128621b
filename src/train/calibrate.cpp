#include "qat/train/calibrate.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "qat/core/interrupt.h"
#include "qat/core/logging.h"
#include "qat/core/progress.h"
#include "qat/data/loader.h"
#include "train/distributed.h"

namespace qat::train {

int64_t calibrate(quant::QuantizerSet& quantizers, graph::Executor& executor, const std::string& input,
                  data::DataLoader& loader, int64_t images, dist::Group* group) {
  at::NoGradGuard no_grad;
  const bool was_training = executor.training();
  executor.set_training(false);
  quantizers.set_mode(quant::QuantizerMode::calibrate);
  int64_t seen = 0;
  Progress progress("calibrate images", std::min(images, loader.images()));
  loader.begin_epoch(0);
  while (seen < images) {
    throw_if_interrupted();
    auto batch = loader.next();
    if (!batch) break;
    executor.run({{input, batch->images}});
    seen += batch->images.size(0);
    progress.update(std::min(seen, images));
  }
  combine_observers(group, quantizers);
  quantizers.set_mode(quant::QuantizerMode::train);
  executor.set_training(was_training);
  logger().info("calibrated {} quantizers on {} images", quantizers.size(), seen);
  return seen;
}

}  // namespace qat::train
