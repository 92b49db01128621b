// The sections of a recipe. Each reads itself strictly from YAML (from_yaml)
// and writes itself back with every default filled in (to_yaml), so that
// `qat recipe show` prints exactly what a run will use.
//
// An area owns the options struct of its section (data/data_options.h,
// model/model_options.h, metrics/eval_options.h, quant/quant_options.h,
// export/export_options.h); this header composes them. The phase sections
// (fp32:, qat:) are defined here: train, which runs the phases, sits above recipe
// (docs/architecture.md "Layers").
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "qat/core/key_path.h"
#include "qat/dist/dist_options.h"
#include "qat/data/data_options.h"
#include "qat/distill/loss_spec.h"
#include "qat/export/export_options.h"
#include "qat/metrics/eval_options.h"
#include "qat/model/model_options.h"
#include "qat/quant/quant_options.h"

namespace qat {

/// The FP32 learning rate after warm-up (train/lr_schedule.h); `fp32.schedule`.
enum class LrScheduleKind { cosine, constant };

/// `fp32:` the FP32 warm-start training phase.
struct Fp32Section {
  int epochs = 30;
  std::string optimizer = "sgd";  ///< sgd | adamw
  double lr = 0.01;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  double warmup_epochs = 1.0;
  LrScheduleKind schedule = LrScheduleKind::cosine;  ///< cosine | constant
  double min_lr_ratio = 0.05;                        ///< final lr = lr * min_lr_ratio
  /// Weight EMA (train/weight_ema.h): evaluate and keep the average; 0 turns it off.
  double ema_decay = 0;
  double ema_tau = 100;  ///< in iterations: the decay ramps up over the first few tau
  /// Batches with a non-finite loss or gradient skipped before the phase stops (0: stop at the first).
  int max_bad_batches = 0;

  static Fp32Section from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

/// `qat:` fine-tuning the fake-quantized student against the frozen FP32 teacher.
struct QatSection {
  int epochs = 6;
  /// sgd | adamw | same (fp32.optimizer). Adam's per-weight step sizes suit BN-folded
  /// weights, whose scales differ by orders of magnitude between channels.
  std::string optimizer = "same";
  double lr = 0;             ///< 0: fp32.lr / 10
  /// On conv weights; folded weights are not scale-invariant as under BatchNorm, so
  /// decay pulls the function itself (default 0).
  double weight_decay = 0;
  int observer_freeze_epoch = 0;  ///< activation ranges follow the student until this epoch (0: frozen after calibration)
  int max_bad_batches = 0;        ///< as fp32.max_bad_batches
  std::string gate = "configs/gates/default.yaml";
  /// What makes one gate-passing epoch better than another: recall | precision_agreement |
  /// median_iou | confidence_mae (lower is better) | f1 (of recall and precision agreement).
  std::string objective = "recall";
  double threshold_lo = 0.60;   ///< threshold search range when the teacher threshold misses the gate
  double threshold_hi = 0.75;
  double threshold_step = 0.01;
  std::string fp32_weights;     ///< FP32 checkpoint to start from; empty: train the fp32 phase
  std::vector<distill::LossSpec> losses = distill::default_losses();

  static QatSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

}  // namespace qat
