#include "qat/train/bad_batches.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <sstream>

#include "qat/core/error.h"
#include "qat/core/logging.h"
#include "qat/dist/process_group.h"

namespace qat::train {

namespace {

// What a loss is, as a small code to all-reduce: 0 finite, 1 nan, 2 inf, 3 -inf.
int64_t loss_code(double loss) {
  if (std::isfinite(loss)) return 0;
  return std::isnan(loss) ? 1 : loss > 0 ? 2 : 3;
}

const char* code_name(int64_t code) { return code == 1 ? "nan" : code == 2 ? "inf" : "-inf"; }

}  // namespace

BadBatches::BadBatches(std::string phase, int max_bad_batches, double lr, dist::Group* group)
    : phase_(std::move(phase)), max_(max_bad_batches), lr_(lr), group_(group) {}

bool BadBatches::loss_ok(double loss, int64_t epoch, int64_t iteration) {
  if (group_ != nullptr && max_ > 0) {
    const std::string problem = agreed_loss_problem(loss);
    return problem.empty() || bad(problem, epoch, iteration);
  }
  if (std::isfinite(loss)) return true;
  std::string what = std::string("the loss is ") + code_name(loss_code(loss));
  if (group_ != nullptr) what += " on rank " + std::to_string(group_->rank());
  return bad(what, epoch, iteration);
}

std::string BadBatches::agreed_loss_problem(double loss) const {
  // One entry per rank, each rank filling its own: the sum is every rank's code.
  at::Tensor codes = at::zeros({group_->world_size()}, at::kLong);
  codes[group_->rank()] = loss_code(loss);
  group_->reduce({codes}, dist::Reduce::sum, "agreeing on non-finite losses");
  const auto c = codes.accessor<int64_t, 1>();
  std::vector<int64_t> bad_ranks;
  for (int64_t r = 0; r < codes.size(0); ++r) {
    if (c[r] != 0) bad_ranks.push_back(r);
  }
  if (bad_ranks.empty()) return "";
  std::ostringstream what;
  if (bad_ranks.size() == 1) {
    what << "the loss is " << code_name(c[bad_ranks[0]]) << " on rank " << bad_ranks[0];
    return what.str();
  }
  what << "the loss is not finite on ranks ";
  for (size_t i = 0; i < bad_ranks.size(); ++i) {
    what << (i ? ", " : "") << bad_ranks[i] << " (" << code_name(c[bad_ranks[i]]) << ")";
  }
  return what.str();
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
  // Averaged over the ranks, one rank's non-finite gradient is every rank's: which
  // rank's batch made it is no longer known.
  const char* averaged = group_ != nullptr ? " (averaged over the ranks)" : "";
  for (const auto& [name, p] : params) {
    const at::Tensor& g = p.grad();
    if (g.defined() && !at::isfinite(g).all().item<bool>()) {
      return bad("the gradient of '" + name + "' is not finite" + averaged, epoch, iteration);
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
