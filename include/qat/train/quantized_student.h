// The student: a BN-folded copy of the FP32 teacher with fake quantizers on the
// recipe's region. Owns the graph, its executor and its quantizers together so
// their addresses stay stable (the executor refers to the graph).
#pragma once

#include <memory>

#include "qat/graph/executor.h"
#include "qat/model/detector.h"
#include "qat/quant/quantizer_set.h"
#include "qat/recipe/sections.h"

namespace qat::train {

class QuantizedStudent {
 public:
  /// Clones `teacher`, folds BatchNorm, plans and attaches quantizers (not calibrated yet).
  /// `placement`: the export profile's (ExportProfile::placement), so that the student
  /// carries a fake quantizer wherever the export writes a Q/DQ pair.
  QuantizedStudent(const model::Detector& teacher, const QuantSection& quant, const quant::Placement& placement = {});
  QuantizedStudent(const QuantizedStudent&) = delete;
  QuantizedStudent& operator=(const QuantizedStudent&) = delete;

  model::Detector& detector() { return *detector_; }
  const model::Detector& detector() const { return *detector_; }
  graph::Executor& executor() { return *executor_; }
  const graph::Executor& executor() const { return *executor_; }
  quant::QuantizerSet& quantizers() { return *quantizers_; }
  const quant::QuantizerSet& quantizers() const { return *quantizers_; }

 private:
  std::unique_ptr<model::Detector> detector_;
  std::unique_ptr<graph::Executor> executor_;
  std::unique_ptr<quant::QuantizerSet> quantizers_;
};

}  // namespace qat::train
