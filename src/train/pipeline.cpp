#include "qat/train/pipeline.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/logging.h"
#include "qat/core/provenance.h"
#include "qat/core/sha256.h"
#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/export/manifest.h"
#include "qat/export/qdq_exporter.h"
#include "qat/runtime/onnx_runtime.h"
#include "qat/train/calibrate.h"
#include "qat/train/detection_set.h"
#include "qat/train/fp32_trainer.h"
#include "qat/train/onnx_eval.h"
#include "qat/train/ptq.h"
#include "qat/train/qat_trainer.h"
#include "qat/train/report_plot.h"
#include "qat/train/student_checkpoint.h"
#include "train/behaviour_json.h"

namespace qat::train {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

nlohmann::json epoch_json(const QatEpoch& e) {
  nlohmann::json j = {{"epoch", e.epoch < 0 ? nlohmann::json("ptq") : nlohmann::json(e.epoch + 1)},
                      {"lr", e.lr},
                      {"loss", e.loss},
                      {"loss_parts", e.loss_parts},
                      {"at_teacher_threshold", behaviour_to_json(e.at_teacher_threshold)},
                      {"gate_at_teacher_threshold", e.verdict_at_teacher_threshold.summary()},
                      {"passed", e.passed},
                      {"seconds", e.seconds}};
  if (e.passed) {
    j["threshold"] = e.threshold;
    j["at_threshold"] = behaviour_to_json(e.at_threshold);
    j["objective"] = e.objective;
  }
  return j;
}

std::string qat_csv(const QatResult& r) {
  std::ostringstream out;
  out << "epoch,lr,loss,recall,precision_agreement,median_iou,confidence_mae,gate_at_teacher_threshold,passed,"
         "threshold,objective\n";
  for (const auto& e : r.history) {
    const auto& s = e.at_teacher_threshold;
    out << (e.epoch < 0 ? std::string("ptq") : std::to_string(e.epoch + 1)) << ',' << e.lr << ',' << e.loss << ','
        << s.recall << ',' << s.precision_agreement << ',' << s.median_iou << ',' << s.confidence_mae << ','
        << (e.verdict_at_teacher_threshold.passed ? "pass" : "fail") << ',' << (e.passed ? 1 : 0) << ','
        << (e.passed ? e.threshold : 0.0) << ',' << e.objective << '\n';
  }
  return out.str();
}

// Detections of the exported model as ONNX Runtime computes them, read as `qat eval`
// reads them (train/onnx_eval.h): an imported model's candidate carries the adapted
// head outputs (model/head_adapter.h), a native one has boxes and scores.
DetectionSet ort_candidate_detections(const std::string& model, const model::Detector& teacher,
                                      const data::DetectionDataset& val, const Recipe& recipe, double floor) {
  const model::DetectorInfo& info = teacher.info;
  data::LoaderOptions o;
  o.batch_size = 200;  // one ONNX Runtime process per batch: few, large batches
  // An imported static-batch export keeps its batch in the candidate.
  for (const auto& in : teacher.graph.inputs()) {
    if (in.name == info.input && in.shape.size() == 4 && in.shape[0] > 0) o.batch_size = in.shape[0];
  }
  o.image_size = recipe.data.image_size;
  o.shuffle = false;
  data::DataLoader loader(val, o);
  OnnxHeadSection head;
  head.input = info.input;
  head.boxes = info.boxes;
  head.scores = info.scores;
  return train::onnxruntime_detections(model, head, loader, recipe.eval, floor);
}

// The ort profile's Conv-output qparams, observed on the calibration images through the
// student as deployed: fake quantization on, every observer frozen (docs/export.md).
std::map<std::string, quant::QParams> ort_output_qparams(QuantizedStudent& student, const std::string& input,
                                                          data::DataLoader& loader, int64_t images) {
  std::vector<graph::ValueMap> batches;
  int64_t seen = 0;
  loader.begin_epoch(0);
  while (seen < images) {
    auto batch = loader.next();
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

PipelineResult run_pipeline(const Recipe& recipe, const PipelineOptions& options) {
  const auto start = Clock::now();
  PipelineResult result;
  result.run_dir = run_directory(recipe);
  fs::create_directories(result.run_dir);
  result.model_path = result.run_dir + "/model.int8.onnx";
  result.manifest_path = result.run_dir + "/model.int8.threshold.json";
  result.report_path = result.run_dir + "/report.json";
  const std::string student_path = result.run_dir + "/qat/best.h5";
  // A candidate from an earlier run must not look like this run's.
  for (const auto& stale : {result.model_path, result.manifest_path, student_path}) fs::remove(stale);

  const metrics::Gate gate = metrics::Gate::load(recipe.qat.gate);  // fail early on a bad gate file
  data::DetectionDataset train_set(recipe.data.path, recipe.data.train_split);
  data::DetectionDataset val_set(recipe.data.path, recipe.data.val_split);
  nlohmann::json report = {{"recipe", recipe.name}, {"recipe_file", recipe.file}, {"recipe_hash", recipe.hash()},
                           {"seed", recipe.seed}};
  report["data"] = {{"path", recipe.data.path}, {"sha256", sha256_file(recipe.data.path)},
                    {"train_images", train_set.size()}, {"val_images", val_set.size()},
                    {"classes", train_set.class_names()}};
  nlohmann::json timings;

  // 1. FP32 teacher.
  auto phase = Clock::now();
  std::string fp32_weights = recipe.qat.fp32_weights;
  if (recipe.model.is_onnx()) {
    report["fp32"] = {{"onnx", recipe.model.onnx}};  // imported: trained already
  } else if (fp32_weights.empty()) {
    TrainOptions to;
    to.resume = options.resume;
    const Fp32Result fp32 = train_fp32(recipe, to);
    fp32_weights = result.run_dir + "/fp32/best.h5";
    report["fp32"] = {{"best_epoch", fp32.best_epoch + 1}, {"best_val_map50", fp32.best_map50},
                      {"history", nlohmann::json::parse(history_json(fp32.history))}};
  } else {
    report["fp32"] = {{"weights", fp32_weights}};
  }
  timings["fp32_s"] = since(phase);
  const model::Detector teacher = load_fp32_detector(recipe, train_set.class_names(), fp32_weights);

  // 2. PTQ: fold, plan, calibrate.
  phase = Clock::now();
  QuantizedStudent student(teacher, recipe.quant);
  data::LoaderOptions co;
  co.batch_size = recipe.data.batch_size;
  co.image_size = recipe.data.image_size;
  co.seed = static_cast<uint64_t>(recipe.seed);
  data::DataLoader calib_loader(train_set, co);
  const int64_t calibrated = calibrate(student.quantizers(), student.executor(), teacher.info.input, calib_loader,
                                       recipe.quant.calibration_images);
  timings["calibrate_s"] = since(phase);
  report["quant"] = {{"quantized_ops", student.quantizers().plan().quantized_nodes.size()},
                     {"quantizers", student.quantizers().size()}, {"calibration_images", calibrated}};

  // 3. QAT with distillation; selection by the behaviour gate.
  phase = Clock::now();
  const QatResult qat = train_qat(recipe, teacher, student);
  timings["qat_s"] = since(phase);
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : qat.history) epochs.push_back(epoch_json(e));
  report["qat"] = {{"epochs", epochs}, {"gate", recipe.qat.gate}, {"objective", recipe.qat.objective},
                   {"selected", qat.selected < 0 ? nlohmann::json(nullptr) : epochs[qat.selected]["epoch"]},
                   {"lowest_loss", qat.lowest_loss < 0 ? nlohmann::json(nullptr) : epochs[qat.lowest_loss]["epoch"]}};
  report["side_by_side"] = {{"ptq", epochs.front()},
                            {"qat", qat.selected < 0 ? epochs.back() : epochs[qat.selected]}};
  write_file_atomic(result.run_dir + "/metrics.csv", qat_csv(qat));
  {
    const std::string png = render_behaviour_plot(qat, recipe.eval.score_threshold);
    write_file_atomic(result.run_dir + "/report.png", png);
  }

  auto versions = library_versions();
  versions["onnxruntime"] = runtime::onnxruntime_version();
  report["versions"] = versions;

  if (qat.selected >= 0) {
    // 4. Export the selected student and re-check it in ONNX Runtime.
    phase = Clock::now();
    const QatEpoch& chosen = qat.history[static_cast<size_t>(qat.selected)];
    const std::string staging = result.run_dir + "/staging.model.int8.onnx";
    exporter::QdqExportOptions eo;
    eo.profile = recipe.export_.profile;
    eo.opset = recipe.export_.opset;
    eo.metadata["qat.recipe_hash"] = recipe.hash();
    eo.metadata["qat.score_threshold"] = std::to_string(chosen.threshold);
    if (eo.profile == "ort") {
      eo.output_qparams = ort_output_qparams(student, teacher.info.input, calib_loader,
                                             recipe.quant.calibration_images);
    }
    // The selected student as a checkpoint: re-exporting it reproduces the model (qat provenance).
    save_student_checkpoint(student_path, student, recipe, train_set.class_names(), chosen.epoch, eo.output_qparams);
    exporter::export_qdq_onnx(student.detector().graph, student.quantizers(), staging, eo);
    timings["export_s"] = since(phase);
    report["export"] = {{"profile", eo.profile}, {"opset", eo.opset}, {"checkpoint", "qat/best.h5"}};

    phase = Clock::now();
    graph::Executor teacher_exec(teacher.graph);
    data::LoaderOptions vo = co;
    vo.shuffle = false;
    data::DataLoader val_loader(val_set, vo);
    const double t = recipe.eval.score_threshold;
    const DetectionSet teacher_set = collect_detections(teacher_exec, teacher.info, val_loader, recipe.eval, t);
    const DetectionSet ort_set = ort_candidate_detections(staging, teacher, val_set, recipe, chosen.threshold);
    const auto ort_stats = behaviour(teacher_set, t, ort_set, chosen.threshold,
                                     static_cast<int>(teacher.info.num_classes), recipe.eval.match_iou);
    const auto ort_verdict = gate.check(ort_stats);
    timings["onnxruntime_s"] = since(phase);
    report["onnxruntime"] = {{"threshold", chosen.threshold}, {"behaviour", behaviour_to_json(ort_stats)},
                             {"gate", ort_verdict.summary()}};
    logger().info("onnxruntime at {:.2f}: recall {:.4f} precision agreement {:.4f} median IoU {:.4f} "
                  "confidence MAE {:.4f} -> {}",
                  chosen.threshold, ort_stats.recall, ort_stats.precision_agreement, ort_stats.median_iou,
                  ort_stats.confidence_mae, ort_verdict.summary());
    if (ort_verdict.passed) {
      fs::rename(staging, result.model_path);
      exporter::ThresholdManifest m;
      m.model = fs::path(result.model_path).filename().string();
      m.model_sha256 = sha256_file(result.model_path);
      m.score_threshold = chosen.threshold;
      m.teacher_threshold = t;
      m.gate = {{"recall", ort_stats.recall}, {"precision_agreement", ort_stats.precision_agreement},
                {"median_iou", ort_stats.median_iou}, {"confidence_mae", ort_stats.confidence_mae}};
      m.recipe_hash = recipe.hash();
      m.versions = versions;
      exporter::write_manifest(result.manifest_path, m);
      result.candidate = true;
      result.threshold = chosen.threshold;
      report["candidate"] = {{"model", m.model}, {"model_sha256", m.model_sha256},
                             {"manifest", fs::path(result.manifest_path).filename().string()},
                             {"threshold", chosen.threshold}, {"teacher_threshold", t}};
    } else {
      fs::rename(staging, result.run_dir + "/rejected.model.int8.onnx");
      report["candidate"] = nullptr;
      report["refusal"] = "the exported model fails the gate in ONNX Runtime: " + ort_verdict.summary();
    }
  } else {
    report["candidate"] = nullptr;
    report["refusal"] = "no epoch passed the gate " + recipe.qat.gate;
  }
  timings["total_s"] = since(start);
  report["timings"] = timings;
  write_file_atomic(result.report_path, report.dump(2) + "\n");
  result.exit_code = result.candidate ? kExitOk : kExitGateFailed;
  if (result.candidate) {
    logger().info("candidate: {} at threshold {:.2f} (manifest {})", result.model_path, result.threshold,
                  result.manifest_path);
  } else {
    logger().error("no candidate: {}", report["refusal"].get<std::string>());
  }
  return result;
}

}  // namespace qat::train
