// Post-training calibration: run FP32 values through the observers, then switch
// the quantizers to fake quantization with the ranges they saw.
#pragma once

#include <cstdint>

#include "qat/graph/executor.h"
#include "qat/quant/quantizer_set.h"
#include "qat/train/calibration_set.h"

namespace qat::data { class DataLoader; }
namespace qat::dist { class Group; }

namespace qat::train {

class QuantizedStudent;
class RunContext;

/// Observes the images of `set` in its order, set.batch_size a batch, built by
/// `loader` (eval mode, no grad, fake quantization off), then freezes activation
/// ranges and enables fake quantization. Weight quantizers keep observing (their
/// ranges follow the weights in QAT). Returns the number of images seen. With a
/// `group`, the observers' statistics are combined across its ranks before the
/// ranges are fixed; when an observer counts on a common range (histograms), the images
/// are first run once for the ranges alone, which the ranks combine into the lattice
/// they all count on.
int64_t calibrate(quant::QuantizerSet& quantizers, graph::Executor& executor, const std::string& input,
                  const data::DataLoader& loader, const CalibrationSet& set, dist::Group* group = nullptr);

/// Draws the calibration set of `quant` (its calibration keys) from the train split with
/// the calibration loader and calibrates `student` (its input is the teacher's) on it.
/// Under data parallelism each rank observes its share of the set (positions rank,
/// rank + world size, ...) when every observer combines across ranks, else the whole
/// set; either way every rank ends with the same scales (checked).
CalibrationSet calibrate(RunContext& context, QuantizedStudent& student, const QuantSection& quant);

}  // namespace qat::train
