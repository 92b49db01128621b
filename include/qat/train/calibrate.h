// Post-training calibration: run FP32 values through the observers, then switch
// the quantizers to fake quantization with the ranges they saw.
#pragma once

#include <cstdint>

#include "qat/graph/executor.h"
#include "qat/quant/quantizer_set.h"

namespace qat::data { class DataLoader; }
namespace qat::dist { class Group; }

namespace qat::train {

/// Observes at least `images` images from `loader` (eval mode, no grad, fake
/// quantization off), then freezes activation ranges and enables fake
/// quantization. Weight quantizers keep observing (their ranges follow the
/// weights in QAT). Returns the number of images seen. With a `group`, the observers'
/// statistics are combined across its ranks before the ranges are fixed.
int64_t calibrate(quant::QuantizerSet& quantizers, graph::Executor& executor, const std::string& input,
                  data::DataLoader& loader, int64_t images, dist::Group* group = nullptr);

}  // namespace qat::train
