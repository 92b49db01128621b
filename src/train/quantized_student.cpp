#include "qat/train/quantized_student.h"

#include "qat/graph/fold_batch_norm.h"
#include "qat/model/imported_defaults.h"

namespace qat::train {

QuantizedStudent::QuantizedStudent(const model::Detector& teacher, const QuantSection& quant,
                                   const quant::Placement& placement)
    : detector_(std::make_unique<model::Detector>(model::clone_detector(teacher))) {
  graph::fold_batch_norm(detector_->graph);
  executor_ = std::make_unique<graph::Executor>(detector_->graph);
  // An imported model's empty include is filled from its graph (model/imported_defaults.h).
  const QuantSection region = model::resolve_quant_region(*detector_, quant);
  quantizers_ = std::make_unique<quant::QuantizerSet>(quant::make_quant_plan(detector_->graph, region, placement),
                                                        quant.learnable_scale);
  quantizers_->attach(*executor_);
}

}  // namespace qat::train
