#include "qat/distill/distill_loss.h"

namespace qat::distill {

DistillLoss::~DistillLoss() = default;

}  // namespace qat::distill
