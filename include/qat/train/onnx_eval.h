// Evaluating any ONNX detector on a dataset split in ONNX Runtime (`qat eval`):
// mAP@0.5 and per-class recall at the deployed threshold against ground truth,
// and with an FP32 teacher the behaviour-gate figures and the misses by cause.
// The pipeline's ONNX Runtime re-check reads its detections through the same
// onnxruntime_detections().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "qat/metrics/behaviour.h"
#include "qat/metrics/gate.h"
#include "qat/recipe/sections.h"
#include "qat/train/detection_set.h"
#include "qat/train/evaluate.h"

namespace qat::data { class DataLoader; }

namespace qat::train {

/// The head layout of the ONNX file at `path` when none is given: outputs
/// "qat.boxes"/"qat.scores" (a candidate qat exported) or "boxes"/"scores" of
/// rank 3 are boxes_scores; a single rank-3 output is ultralytics. Throws
/// IoError listing the outputs otherwise.
OnnxHeadSection detect_head_layout(const std::string& path);

/// The detections of the ONNX model `model` over one pass of `loader`, as ONNX
/// Runtime computes them, read through `head` (model::adapt_head_outputs) and
/// kept from `score_floor` up, after NMS.
DetectionSet onnxruntime_detections(const std::string& model, const OnnxHeadSection& head, data::DataLoader& loader,
                                    const EvalSection& eval, double score_floor);

struct OnnxEvalOptions {
  std::string model;         ///< the ONNX detector evaluated
  std::string teacher;       ///< optional FP32 ONNX teacher (behaviour against it)
  std::string data;          ///< detection dataset (HDF5)
  std::string split = "val";
  double threshold = 0.70;   ///< the deployed score threshold (student and teacher)
  std::optional<OnnxHeadSection> head;  ///< empty: detect_head_layout, per model
  EvalSection eval;          ///< nms_iou, match_iou, max_detections (score_threshold is `threshold`)
  int64_t image_size = 0;    ///< 0: the model's static input side
  int64_t batch_size = 200;  ///< images per ONNX Runtime process (a static-batch model: its batch)
  std::string gate = "configs/gates/default.yaml";
};

struct OnnxEvalResult {
  std::string model, teacher, split;
  int64_t images = 0;
  double threshold = 0;
  std::vector<std::string> class_names;
  Evaluation evaluation;                  ///< the model against ground truth
  std::optional<Evaluation> teacher_evaluation;
  std::optional<metrics::BehaviourStats> behaviour;  ///< model vs teacher at the threshold
  std::optional<metrics::GateVerdict> verdict;
};

/// Runs the evaluation. Throws IoError for unreadable files, qat::Error for a
/// model whose outputs do not fit the dataset (class count) or its head.
OnnxEvalResult evaluate_onnx(const OnnxEvalOptions& options);

/// The result as JSON text (what `qat eval --out` writes).
std::string onnx_eval_json(const OnnxEvalResult& result);
/// The result as a few lines of text (what `qat eval` prints).
std::string onnx_eval_text(const OnnxEvalResult& result);

}  // namespace qat::train
