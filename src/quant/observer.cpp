#include "qat/quant/observer.h"

#include "qat/core/error.h"

namespace qat::quant {

Observer::Observer(QuantSpec spec) : spec_(spec) { spec_.validate(); }

Observer::~Observer() = default;

bool Observer::ready() const { return batches_ > 0; }

void Observer::check_can_compute(const QuantSpec& spec) const {
  QAT_CHECK(ready(), "observer '", name(), "' has seen no data: calibrate first");
  QAT_CHECK(spec.axis == spec_.axis, "observer '", name(), "' was built for axis ", spec_.axis,
            " but asked for qparams on axis ", spec.axis);
}

at::Tensor Observer::rows(const at::Tensor& x) const {
  auto r = channel_rows(x, spec_.axis);
  QAT_CHECK(batches_ == 0 || r.size(0) == channels_, "observer '", name(), "' saw ", channels_,
            " channels on axis ", spec_.axis, " before but now ", r.size(0), " (shape ", x.sizes(), ")");
  return r;
}

at::Tensor channel_rows(const at::Tensor& x, int64_t axis) {
  QAT_CHECK(x.defined(), "observed tensor is undefined");
  QAT_CHECK(x.is_floating_point(), "observers need floating-point tensors, got ", x.scalar_type());
  const auto xf = x.detach().to(at::kFloat);
  if (axis < 0) return xf.reshape({1, -1});
  if (axis >= xf.dim()) {
    throw ShapeError(detail::concat("per-channel axis ", axis, " does not exist in a tensor of shape ",
                                    x.sizes()));
  }
  return xf.movedim(axis, 0).reshape({xf.size(axis), -1});
}

}  // namespace qat::quant
