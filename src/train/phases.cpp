#include "qat/train/phases.h"

#include <ATen/Parallel.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "qat/core/error.h"
#include "qat/core/logging.h"
#include "qat/core/provenance.h"
#include "qat/core/sha256.h"
#include "qat/data/loader.h"
#include "qat/export/export_profile.h"
#include "qat/export/onnx_exporter.h"
#include "qat/export/qdq_exporter.h"
#include "qat/graph/executor.h"
#include "qat/graph/onnx_importer.h"
#include "qat/metrics/behaviour_metrics.h"
#include "qat/model/imported_defaults.h"
#include "qat/recipe/recipe_check.h"
#include "qat/runtime/onnx_runtime.h"
#include "qat/train/calibrate.h"
#include "qat/train/detection_set.h"
#include "qat/train/onnx_eval.h"
#include "qat/train/recipe_detector.h"
#include "qat/train/student_checkpoint.h"
#include "qat/dist/process_group.h"
#include "train/distributed.h"

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

// The deployed speed next to the gate: one inference of the candidate and of the FP32
// teacher in ONNX Runtime, batch 1 (unless the model's batch is static), median of
// kLatencyRuns interleaved runs at qat's thread count, level all (docs/export.md).
constexpr int kLatencyRuns = 20;

nlohmann::json deployed_latency(RunContext& ctx, const ExportResult& exported) {
  const Recipe& recipe = ctx.recipe();
  const model::Detector& teacher = ctx.teacher();
  int64_t batch_size = 1;
  for (const auto& in : teacher.graph.inputs()) {
    if (in.name == teacher.info.input && in.shape.size() == 4 && in.shape[0] > 0) batch_size = in.shape[0];
  }
  data::DataLoader one(ctx.val_set(), ctx.loaders().onnxruntime_options(batch_size));
  one.begin_epoch(0);
  const auto batch = one.next();
  QAT_ASSERT(batch.has_value(), "the validation split has no image for the latency run");
  // An imported teacher runs as given; a native one as its FP32 export.
  std::string fp32_model = recipe.model.onnx;
  const std::string staged_fp32 = RunLayout::staged(ctx.layout().dir + "/model.fp32.onnx");
  const StagedFiles staged_teacher({staged_fp32});
  if (!recipe.model.is_onnx()) {
    exporter::ExportOptions fo;
    fo.opset = recipe.export_.opset;
    exporter::export_onnx(teacher.graph, staged_fp32, fo);
    fp32_model = staged_fp32;
  }
  runtime::LatencyOptions lo;
  lo.runs = kLatencyRuns;
  lo.threads = std::max(1, at::get_num_threads());
  const runtime::Latency t =
      runtime::onnxruntime_latency({fp32_model, exported.staged_model}, {{teacher.info.input, batch->images}}, lo);
  return {{"profile", exported.profile},
          {"batch", batch->images.size(0)},
          {"threads", lo.threads},
          {"runs", lo.runs},
          {"optimization", lo.optimization},
          {"fp32_ms", t.wall_ms[0]},
          {"int8_ms", t.wall_ms[1]},
          {"fp32_over_int8", t.wall_ms[0] / t.wall_ms[1]},
          {"fp32_cpu_ms", t.cpu_ms[0]},
          {"int8_cpu_ms", t.cpu_ms[1]},
          {"fp32_over_int8_cpu", t.cpu_ms[0] / t.cpu_ms[1]}};
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
    const std::optional<int> own =
        recipe.model.is_onnx() ? std::optional<int>(graph::onnx_opset(recipe.model.onnx)) : std::nullopt;
    exporter::check_opset(ctx.teacher().graph, export_opset(recipe), own);
  } else {
    exporter::check_opset(fresh_detector(recipe, ctx.class_names()).graph, recipe.export_.opset);
  }
  exporter::make_export_profile(recipe.export_.profile);  // an unknown profile names the known ones
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
  result.student = std::make_unique<QuantizedStudent>(
      teacher, ctx.recipe().quant, exporter::make_export_profile(ctx.recipe().export_.profile)->placement());
  result.calibration = calibrate(ctx, *result.student, ctx.recipe().quant);
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
  QAT_ASSERT(qat.qat.selected.has_value(), "export needs a selected epoch");
  const auto start = Clock::now();
  const Recipe& recipe = ctx.recipe();
  const RunLayout& layout = ctx.layout();
  QuantizedStudent& student = *ptq.student;
  ExportResult r;
  r.chosen = qat.qat.history[*qat.qat.selected];
  r.staged_model = RunLayout::staged(layout.model);
  r.staged_manifest = RunLayout::staged(layout.manifest);
  r.staged_student = RunLayout::staged(layout.student);
  r.staged = StagedFiles({r.staged_model, r.staged_manifest, r.staged_student});
  exporter::QdqExportOptions eo;
  eo.profile = recipe.export_.profile;
  eo.opset = export_opset(recipe);
  eo.metadata["qat.recipe_hash"] = recipe.hash();
  eo.metadata["qat.score_threshold"] = std::to_string(r.chosen.threshold);
  save_student_checkpoint(r.staged_student, student, recipe, ctx.class_names(), r.chosen.epoch);
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
  r.latency = deployed_latency(ctx, exported);
  r.seconds = since(start);
  const auto& l = r.latency;
  logger().info("onnxruntime latency at batch {}, {} threads (median of {}): FP32 {:.2f} ms, INT8 ({}) {:.2f} ms, "
                "{:.2f}x (CPU time {:.2f}x)", l["batch"].get<int64_t>(), l["threads"].get<int>(), kLatencyRuns,
                l["fp32_ms"].get<double>(), exported.profile, l["int8_ms"].get<double>(),
                l["fp32_over_int8"].get<double>(), l["fp32_over_int8_cpu"].get<double>());
  logger().info("onnxruntime at {:.2f}: {} -> {}", r.threshold, metrics::format_behaviour(r.behaviour, " "),
                r.verdict.summary());
  return r;
}

PublishResult publish_phase(RunContext& ctx, ExportResult& exported, const VerifyResult& verified,
                            const std::map<std::string, std::string>& versions) {
  const RunLayout& layout = ctx.layout();
  PublishResult r;
  if (!verified.verdict.passed) {
    move_into_place(exported.staged_model, layout.rejected_model);
    move_into_place(exported.staged_student, layout.rejected_student);
    r.refusal = "the exported model fails the gate in ONNX Runtime: " +
                metrics::refusal_text(verified.behaviour, verified.verdict, ctx.recipe().eval.score_threshold,
                                      ctx.recipe().data.val_split, "eval.score_threshold");
    return r;
  }
  exporter::ThresholdManifest& m = r.manifest;
  const auto& s = verified.behaviour;
  m.model = fs::path(layout.model).filename().string();
  m.model_sha256 = sha256_file(exported.staged_model);
  m.score_threshold = verified.threshold;
  m.teacher_threshold = ctx.recipe().eval.score_threshold;
  for (const auto& metric : metrics::behaviour_metrics()) m.gate[metric.name] = s.*metric.value;
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
