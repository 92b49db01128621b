#include "train/bad_batches.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <sstream>

#include "qat/core/error.h"
#include "qat/core/logging.h"

namespace qat::train {

BadBatches::BadBatches(std::string phase, int max_bad_batches, double lr)
    : phase_(std::move(phase)), max_(max_bad_batches), lr_(lr) {}

bool BadBatches::loss_ok(double loss, int64_t epoch, int64_t iteration) {
  if (std::isfinite(loss)) return true;
  return bad(std::string("the loss is ") + (std::isnan(loss) ? "nan" : loss > 0 ? "inf" : "-inf"), epoch, iteration);
}

bool BadBatches::gradients_ok(const std::vector<std::pair<std::string, at::Tensor>>& params, int64_t epoch,
                              int64_t iteration) {
  // One reduction per parameter, one sync at the end: cheap next to a training step.
  std::vector<at::Tensor> flags;
  for (const auto& [name, p] : params) {
    const at::Tensor& g = p.grad();
    if (g.defined()) flags.push_back(at::isfinite(g).all());
  }
  if (flags.empty() || at::stack(flags).all().item<bool>()) return true;
  for (const auto& [name, p] : params) {
    const at::Tensor& g = p.grad();
    if (g.defined() && !at::isfinite(g).all().item<bool>()) {
      return bad("the gradient of '" + name + "' is not finite", epoch, iteration);
    }
  }
  return true;
}

bool BadBatches::bad(const std::string& what, int64_t epoch, int64_t iteration) {
  std::ostringstream where;
  where << phase_ << " epoch " << epoch + 1 << " iteration " << iteration + 1 << ": " << what;
  if (skipped_ >= max_) {
    std::ostringstream msg;
    msg << where.str();
    if (max_ > 0) msg << "; stopping after " << skipped_ << " skipped batches";
    msg << "; lower " << phase_ << ".lr (" << lr_ << ") or check the data";
    throw Error(msg.str());
  }
  ++skipped_;
  logger().warn("{}; skipping the batch ({} of {} allowed)", where.str(), skipped_, max_);
  return false;
}

}  // namespace qat::train
