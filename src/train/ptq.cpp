#include "qat/train/ptq.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/logging.h"
#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/export/export_profile.h"
#include "qat/metrics/behaviour_metrics.h"
#include "qat/train/calibrate.h"
#include "qat/train/checkpoint.h"
#include "qat/train/detection_set.h"
#include "qat/train/fp32_trainer.h"
#include "qat/train/quantized_student.h"
#include "qat/train/run_context.h"
#include "qat/train/threshold_search.h"
#include "train/behaviour_json.h"

namespace qat::train {
namespace fs = std::filesystem;

namespace {

nlohmann::json evaluation_to_json(const Evaluation& e) {
  nlohmann::json ap = nlohmann::json::array();
  for (double v : e.ap_per_class) ap.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
  return {{"map50", e.map50}, {"ap_per_class", ap}, {"recall_at_threshold", e.recall_at_threshold_mean}};
}

}  // namespace

PtqResult run_ptq(const Recipe& recipe, const PtqOptions& options) {
  RunContext ctx(recipe);
  const std::string weights = options.weights.empty() ? ctx.layout().fp32_best : options.weights;
  ctx.open_datasets();
  ctx.set_teacher(load_fp32_detector(recipe, ctx.class_names(), weights));
  const model::Detector& teacher = ctx.teacher();

  QuantizedStudent student(teacher, recipe.quant, exporter::make_export_profile(recipe.export_.profile)->placement());
  PtqResult result;
  result.calibration = calibrate(ctx, student, recipe.quant);

  const auto val_loader = ctx.loader(LoaderPurpose::eval, LoaderPhase::check);
  result.teacher = evaluate_detector(ctx.teacher_executor(), teacher.info, *val_loader, recipe.eval);
  result.student = evaluate_detector(student.executor(), teacher.info, *val_loader, recipe.eval);
  const double t = recipe.eval.score_threshold;
  const QatSection& q = recipe.qat;
  // The same search as the trainer's PTQ epoch: the threshold PTQ would need to pass the gate.
  const DetectionSet student_set = collect_detections(student.executor(), teacher.info, *val_loader, recipe.eval,
                                                      std::min(q.threshold_lo, t));
  result.threshold = search_threshold(ctx.teacher_val_detections(), t, student_set, ctx.gate(),
                                      {q.threshold_lo, q.threshold_hi, q.threshold_step}, teacher.info.class_names,
                                      recipe.eval.match_iou);
  result.behaviour = result.threshold.table.front().stats;

  logger().info("ptq: FP32 mAP@0.5 {:.4f}, int8 mAP@0.5 {:.4f}", result.teacher.map50, result.student.map50);
  logger().info("ptq vs teacher at {:.2f}: {}", t, metrics::format_behaviour(result.behaviour, ", "));
  nlohmann::json report = {{"recipe", recipe.name},
                           {"recipe_hash", recipe.hash()},
                           {"weights", weights},
                           {"calibration_images", result.calibration.images.size()},
                           {"calibration", calibration_to_json(result.calibration)},
                           {"score_threshold", t},
                           {"teacher", evaluation_to_json(result.teacher)},
                           {"student", evaluation_to_json(result.student)},
                           {"behaviour", behaviour_to_json(result.behaviour)},
                           {"gate", recipe.qat.gate},
                           {"gate_at_teacher_threshold", result.threshold.table.front().verdict.summary()},
                           {"passed", result.threshold.found}};
  if (result.threshold.found) {
    report["threshold"] = result.threshold.threshold;
    report["at_threshold"] = behaviour_to_json(result.threshold.chosen.stats);
  }
  result.report_path = ctx.layout().ptq_report;
  write_file_atomic(result.report_path, report.dump(2) + "\n");
  return result;
}

}  // namespace qat::train
