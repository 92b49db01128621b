#include "qat/train/phases.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "qat/core/error.h"
#include "qat/core/logging.h"
#include "qat/core/provenance.h"
#include "qat/core/sha256.h"
#include "qat/data/loader.h"
#include "qat/export/onnx_exporter.h"
#include "qat/export/qdq_exporter.h"
#include "qat/graph/executor.h"
#include "qat/runtime/onnx_runtime.h"
#include "qat/train/calibrate.h"
#include "qat/train/detection_set.h"
#include "qat/train/onnx_eval.h"
#include "qat/train/recipe_detector.h"
#include "qat/train/student_checkpoint.h"

namespace qat::train {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Detections of the exported model as ONNX Runtime computes them, read as `qat eval`
// reads them (train/onnx_eval.h): an imported model's candidate carries the adapted
// head outputs (model/head_adapter.h), a native one has boxes and scores.
DetectionSet ort_candidate_detections(RunContext& ctx, const std::string& model, double floor) {
  const model::Detector& teacher = ctx.teacher();
  const model::DetectorInfo& info = teacher.info;
  int64_t batch_size = 200;  // one ONNX Runtime process per batch: few, large batches
  // An imported static-batch export keeps its batch in the candidate.
  for (const auto& in : teacher.graph.inputs()) {
    if (in.name == info.input && in.shape.size() == 4 && in.shape[0] > 0) batch_size = in.shape[0];
  }
  data::DataLoader loader(ctx.val_set(), ctx.loaders().onnxruntime_options(batch_size));
  OnnxHeadSection head;
  head.input = info.input;
  head.boxes = info.boxes;
  head.scores = info.scores;
  return train::onnxruntime_detections(model, head, loader, ctx.recipe().eval, floor);
}

// The ort profile's Conv-output qparams, observed on the calibration images through the
// student as deployed: fake quantization on, every observer frozen (docs/export.md).
std::map<std::string, quant::QParams> ort_output_qparams(RunContext& ctx, QuantizedStudent& student) {
  const auto loader = ctx.loader(LoaderPurpose::calibration, LoaderPhase::check);
  const std::string& input = ctx.teacher().info.input;
  const int64_t images = ctx.recipe().quant.calibration_images;
  std::vector<graph::ValueMap> batches;
  int64_t seen = 0;
  loader->begin_epoch(0);
  while (seen < images) {
    auto batch = loader->next();
    if (!batch) break;
    batches.push_back({{input, batch->images}});
    seen += batch->images.size(0);
  }
  student.quantizers().set_observing(false, false);
  student.quantizers().set_fake_quant(true);
  student.executor().set_training(false);
  const auto values = exporter::ort_output_values(student.detector().graph, student.quantizers().plan());
  logger().info("observing {} Conv outputs for the ort profile on {} images", values.size(), seen);
  return exporter::calibrate_output_qparams(student.executor(), values, batches);
}

}  // namespace

DataSummary open_run(RunContext& ctx) {
  const Recipe& recipe = ctx.recipe();
  ctx.gate();  // fail early on a bad gate file
  ctx.open_datasets();
  return {recipe.data.path, sha256_file(recipe.data.path), ctx.train_set().size(), ctx.val_set().size(),
          ctx.class_names()};
}

void check_run(RunContext& ctx) {
  const Recipe& recipe = ctx.recipe();
  if (recipe.model.is_onnx() || !recipe.qat.fp32_weights.empty()) {
    ctx.set_teacher(load_fp32_detector(recipe, ctx.class_names(), recipe.qat.fp32_weights));
    exporter::check_opset(ctx.teacher().graph, recipe.export_.opset);
  } else {
    exporter::check_opset(fresh_detector(recipe, ctx.class_names()).graph, recipe.export_.opset);
  }
  QAT_CHECK(recipe.export_.profile == "ort" || recipe.export_.profile == "tensorrt", "export.profile '",
            recipe.export_.profile, "' is not supported (tensorrt, ort)");
}

Fp32PhaseResult fp32_phase(RunContext& ctx, bool resume) {
  const auto start = Clock::now();
  const Recipe& recipe = ctx.recipe();
  Fp32PhaseResult result;
  if (recipe.model.is_onnx()) {
    result.source = TeacherSource::imported;  // trained already
  } else if (!recipe.qat.fp32_weights.empty()) {
    result.source = TeacherSource::weights;
  } else {
    TrainOptions options;
    options.resume = resume;
    Fp32Result fp32 = train_fp32(ctx, options);
    if (fp32.finished) export_fp32_onnx(ctx, fp32);
    result.history = fp32.history;
    result.best_epoch = fp32.best_epoch;
    result.best_map50 = fp32.best_map50;
    ctx.set_teacher(std::move(fp32.detector));
  }
  result.seconds = since(start);
  return result;
}

PtqPhaseResult ptq_phase(RunContext& ctx) {
  const auto start = Clock::now();
  const model::Detector& teacher = ctx.teacher();
  PtqPhaseResult result;
  result.student = std::make_unique<QuantizedStudent>(teacher, ctx.recipe().quant);
  const auto loader = ctx.loader(LoaderPurpose::calibration, LoaderPhase::check);
  result.calibration_images = calibrate(result.student->quantizers(), result.student->executor(),
                                        teacher.info.input, *loader, ctx.recipe().quant.calibration_images);
  result.seconds = since(start);
  return result;
}

QatPhaseResult qat_phase(RunContext& ctx, PtqPhaseResult& ptq) {
  const auto start = Clock::now();
  QatPhaseResult result;
  result.qat = train_qat(ctx, *ptq.student, ctx.recipe().qat);
  result.seconds = since(start);
  return result;
}

ExportResult export_phase(RunContext& ctx, PtqPhaseResult& ptq, const QatPhaseResult& qat) {
  QAT_ASSERT(qat.qat.selected >= 0, "export needs a selected epoch");
  const auto start = Clock::now();
  const Recipe& recipe = ctx.recipe();
  const RunLayout& layout = ctx.layout();
  QuantizedStudent& student = *ptq.student;
  ExportResult r;
  r.chosen = qat.qat.history[static_cast<size_t>(qat.qat.selected)];
  r.staged_model = RunLayout::staged(layout.model);
  r.staged_manifest = RunLayout::staged(layout.manifest);
  r.staged_student = RunLayout::staged(layout.student);
  r.staged = StagedFiles({r.staged_model, r.staged_manifest, r.staged_student});
  exporter::QdqExportOptions eo;
  eo.profile = recipe.export_.profile;
  eo.opset = recipe.export_.opset;
  eo.metadata["qat.recipe_hash"] = recipe.hash();
  eo.metadata["qat.score_threshold"] = std::to_string(r.chosen.threshold);
  if (eo.profile == "ort") eo.output_qparams = ort_output_qparams(ctx, student);
  save_student_checkpoint(r.staged_student, student, recipe, ctx.class_names(), r.chosen.epoch, eo.output_qparams);
  exporter::export_qdq_onnx(student.detector().graph, student.quantizers(), r.staged_model, eo);
  r.profile = eo.profile;
  r.opset = eo.opset;
  r.seconds = since(start);
  return r;
}

VerifyResult verify_phase(RunContext& ctx, const ExportResult& exported) {
  const auto start = Clock::now();
  const Recipe& recipe = ctx.recipe();
  const double t = recipe.eval.score_threshold;
  VerifyResult r;
  r.threshold = exported.chosen.threshold;
  const DetectionSet& teacher_set = ctx.teacher_val_detections();
  const DetectionSet ort_set = ort_candidate_detections(ctx, exported.staged_model, r.threshold);
  r.behaviour = behaviour(teacher_set, t, ort_set, r.threshold, static_cast<int>(ctx.teacher().info.num_classes),
                          recipe.eval.match_iou);
  r.verdict = ctx.gate().check(r.behaviour);
  r.seconds = since(start);
  const auto& s = r.behaviour;
  logger().info("onnxruntime at {:.2f}: recall {:.4f} precision agreement {:.4f} median IoU {:.4f} "
                "confidence MAE {:.4f} -> {}",
                r.threshold, s.recall, s.precision_agreement, s.median_iou, s.confidence_mae, r.verdict.summary());
  return r;
}

PublishResult publish_phase(RunContext& ctx, ExportResult& exported, const VerifyResult& verified,
                            const std::map<std::string, std::string>& versions) {
  const RunLayout& layout = ctx.layout();
  PublishResult r;
  if (!verified.verdict.passed) {
    move_into_place(exported.staged_model, layout.rejected_model);
    move_into_place(exported.staged_student, layout.rejected_student);
    r.refusal = "the exported model fails the gate in ONNX Runtime: " + verified.verdict.summary();
    return r;
  }
  exporter::ThresholdManifest& m = r.manifest;
  const auto& s = verified.behaviour;
  m.model = fs::path(layout.model).filename().string();
  m.model_sha256 = sha256_file(exported.staged_model);
  m.score_threshold = verified.threshold;
  m.teacher_threshold = ctx.recipe().eval.score_threshold;
  m.gate = {{"recall", s.recall}, {"precision_agreement", s.precision_agreement}, {"median_iou", s.median_iou},
            {"confidence_mae", s.confidence_mae}};
  m.recipe_hash = ctx.recipe().hash();
  m.versions = versions;
  exporter::write_manifest(exported.staged_manifest, m);
  // Complete: publish, student first, so the model and manifest that name it never precede it.
  move_into_place(exported.staged_student, layout.student);
  move_into_place(exported.staged_model, layout.model);
  move_into_place(exported.staged_manifest, layout.manifest);
  r.candidate = true;
  return r;
}

std::map<std::string, std::string> run_versions() {
  auto versions = library_versions();
  versions["onnxruntime"] = runtime::onnxruntime_version();
  return versions;
}

}  // namespace qat::train
