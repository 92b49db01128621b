#include "qat/dist/gradient_sync.h"

#include <torch/csrc/distributed/c10d/reducer.hpp>

#include <algorithm>
#include <unordered_map>

#include "dist/group_impl.h"

namespace qat::dist {

struct GradientSync::Impl {
  std::vector<at::Tensor> params;
  std::unique_ptr<c10d::Reducer> reducer;
};

GradientSync::GradientSync(Group& group, const std::vector<std::pair<std::string, at::Tensor>>& params)
    : group_(group), impl_(std::make_unique<Impl>()) {
  std::unordered_map<size_t, std::string> names;
  for (const auto& [name, p] : params) {
    if (!p.requires_grad()) continue;
    names[impl_->params.size()] = name;
    impl_->params.push_back(p);
  }
  const std::vector<bool> sparse(impl_->params.size(), false);
  auto [buckets, limits] =
      c10d::compute_bucket_assignment_by_size(impl_->params, {kFirstBucketBytes, kBucketBytes}, sparse);
  // Backward produces the gradients of the parameters defined last first.
  std::reverse(buckets.begin(), buckets.end());
  std::reverse(limits.begin(), limits.end());
  group_.guarded("setting up the gradient buckets", [&] {
    // find_unused_parameters: a quantizer's scale the loss does not reach on one batch is
    // marked ready instead of leaving its bucket waiting.
    impl_->reducer = std::make_unique<c10d::Reducer>(impl_->params, std::move(buckets), std::move(limits),
                                                     group_.impl_->group, sparse, kBucketBytes,
                                                     /*find_unused_parameters=*/true,
                                                     /*gradient_as_bucket_view=*/false, std::move(names),
                                                     kFirstBucketBytes);
  });
}

GradientSync::~GradientSync() = default;

void GradientSync::backward(const at::Tensor& loss) {
  group_.guarded("the gradient all-reduce", [&] {
    impl_->reducer->prepare_for_backward({loss});
    loss.backward();
  });
  for (auto& p : impl_->params) {
    if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
  }
}

}  // namespace qat::dist
