// The one place a run's data loaders are configured: split x purpose, with the
// seed, read-ahead and flips of each phase.
#pragma once

#include <cstdint>

#include "qat/data/loader.h"
#include "qat/recipe/recipe.h"

namespace qat::train {

/// What a loader is for; it decides the split, the order, the flips and partial batches.
enum class LoaderPurpose {
  train,        ///< train split, shuffled, flipped with data.hflip, whole batches only
  eval,         ///< val split in file order, no flips, every image; in a data-parallel run each
                ///< rank reads its shard (the detections are gathered: collect_detections)
  calibration,  ///< train split shuffled (a representative draw), no flips, every image
};

/// The phase that reads. What differs between phases, as each has always read:
///  - the QAT phase shuffles its train split with seed + 1, another order than the
///    FP32 phase's; its eval loader carries seed + 1 too (unused there: eval
///    neither shuffles nor flips);
///  - the FP32 and QAT phases read data.prefetch batches ahead; calibration and the
///    checks outside training (`qat ptq`, `qat sweep`, the ONNX Runtime re-check)
///    keep the loader's default of 2. Read-ahead never changes a batch.
enum class LoaderPhase { fp32, qat, check };

class LoaderFactory {
 public:
  LoaderFactory(const DataSection& data, int64_t seed);

  /// The options of `purpose` in `phase`. Training reads only in fp32 and qat,
  /// calibration only in check.
  data::LoaderOptions options(LoaderPurpose purpose, LoaderPhase phase) const;
  /// The val split in order for ONNX Runtime, `batch_size` images per process run
  /// (seed 0 and the default read-ahead, as the re-check has always used).
  data::LoaderOptions onnxruntime_options(int64_t batch_size) const;
  /// The first `images` of a split in one batch, in order (`qat provenance`'s inputs).
  data::LoaderOptions sample_options(int64_t images) const;

 private:
  DataSection data_;
  int64_t seed_;
};

}  // namespace qat::train
