#include "qat/train/ptq.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/logging.h"
#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/metrics/behaviour_metrics.h"
#include "qat/export/export_profile.h"
#include "qat/model/onnx_detector.h"
#include "qat/train/calibrate.h"
#include "qat/train/checkpoint.h"
#include "qat/train/detection_set.h"
#include "qat/train/fp32_trainer.h"
#include "qat/train/quantized_student.h"
#include "train/behaviour_json.h"

namespace qat::train {
namespace fs = std::filesystem;

model::Detector load_fp32_detector(const Recipe& recipe, const std::vector<std::string>& class_names,
                                   const std::string& checkpoint) {
  // An imported model is the trained FP32 teacher already.
  if (recipe.model.is_onnx()) return model::load_onnx_detector(recipe.model, class_names);
  if (!fs::exists(checkpoint)) {
    throw IoError(checkpoint, "", "no FP32 checkpoint here; run `qat train " +
                                      (recipe.file.empty() ? std::string("RECIPE") : recipe.file) +
                                      " --phase fp32` first or pass --weights");
  }
  const auto arch = model::load_arch(recipe.model.arch);
  model::Detector det = model::build_detector(arch, class_names, recipe.data.image_size,
                                              static_cast<uint64_t>(recipe.seed));
  const Checkpoint ck = load_checkpoint(checkpoint);
  if (ck.arch != arch.name) {
    throw IoError(checkpoint, "", "checkpoint is for architecture '" + ck.arch + "', not '" + arch.name + "'");
  }
  restore_weights(ck, det.graph, checkpoint);
  return det;
}

namespace {

nlohmann::json evaluation_to_json(const Evaluation& e) {
  nlohmann::json ap = nlohmann::json::array();
  for (double v : e.ap_per_class) ap.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
  return {{"map50", e.map50}, {"ap_per_class", ap}, {"recall_at_threshold", e.recall_at_threshold_mean}};
}

}  // namespace

PtqResult run_ptq(const Recipe& recipe, const PtqOptions& options) {
  const std::string run_dir = run_directory(recipe);
  const std::string weights = options.weights.empty() ? run_dir + "/fp32/best.h5" : options.weights;
  data::DetectionDataset train_set(recipe.data.path, recipe.data.train_split);
  data::DetectionDataset val_set(recipe.data.path, recipe.data.val_split);
  const model::Detector teacher = load_fp32_detector(recipe, train_set.class_names(), weights);
  graph::Executor teacher_exec(teacher.graph);

  QuantizedStudent student(teacher, recipe.quant, exporter::make_export_profile(recipe.export_.profile)->placement());
  data::LoaderOptions calib_options;
  calib_options.batch_size = recipe.data.batch_size;
  calib_options.image_size = recipe.data.image_size;
  calib_options.seed = static_cast<uint64_t>(recipe.seed);
  calib_options.shuffle = true;  // a representative draw from the train split
  data::DataLoader calib_loader(train_set, calib_options);
  PtqResult result;
  result.calibration_images = calibrate(student.quantizers(), student.executor(), teacher.info.input, calib_loader,
                                        recipe.quant.calibration_images);

  data::LoaderOptions val_options = calib_options;
  val_options.shuffle = false;
  data::DataLoader val_loader(val_set, val_options);
  result.teacher = evaluate_detector(teacher_exec, teacher.info, val_loader, recipe.eval);
  result.student = evaluate_detector(student.executor(), teacher.info, val_loader, recipe.eval);
  const double t = recipe.eval.score_threshold;
  const DetectionSet teacher_set = collect_detections(teacher_exec, teacher.info, val_loader, recipe.eval, t);
  const DetectionSet student_set = collect_detections(student.executor(), teacher.info, val_loader, recipe.eval, t);
  result.behaviour = behaviour(teacher_set, t, student_set, t, static_cast<int>(teacher.info.num_classes),
                               recipe.eval.match_iou);

  logger().info("ptq: FP32 mAP@0.5 {:.4f}, int8 mAP@0.5 {:.4f}", result.teacher.map50, result.student.map50);
  logger().info("ptq vs teacher at {:.2f}: {}", t, metrics::format_behaviour(result.behaviour, ", "));
  nlohmann::json report = {{"recipe", recipe.name},
                           {"recipe_hash", recipe.hash()},
                           {"weights", weights},
                           {"calibration_images", result.calibration_images},
                           {"score_threshold", t},
                           {"teacher", evaluation_to_json(result.teacher)},
                           {"student", evaluation_to_json(result.student)},
                           {"behaviour", behaviour_to_json(result.behaviour)}};
  result.report_path = run_dir + "/ptq/report.json";
  write_file_atomic(result.report_path, report.dump(2) + "\n");
  return result;
}

}  // namespace qat::train
