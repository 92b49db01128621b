#include "qat/train/pipeline.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/interrupt.h"
#include "qat/core/run_lock.h"
#include "qat/core/logging.h"
#include "qat/core/provenance.h"
#include "qat/core/sha256.h"
#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/model/arch_spec.h"
#include "qat/model/detector.h"
#include "qat/export/manifest.h"
#include "qat/export/onnx_exporter.h"
#include "qat/export/qdq_exporter.h"
#include "qat/graph/onnx_importer.h"
#include "qat/model/imported_defaults.h"
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

// Files written under staging names and removed unless published (an error or
// an interrupt on the way leaves the previous candidate as it was).
class StagedFiles {
 public:
  explicit StagedFiles(std::vector<std::string> paths) : paths_(std::move(paths)) {}
  ~StagedFiles() {
    for (const auto& p : paths_) {
      std::error_code ec;
      fs::remove(p, ec);
    }
  }
  StagedFiles(const StagedFiles&) = delete;
  StagedFiles& operator=(const StagedFiles&) = delete;

 private:
  std::vector<std::string> paths_;
};

void move_into_place(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) throw IoError(to, "", "cannot rename " + from + " into place: " + ec.message());
}

// The candidate an earlier run published here, as its report names it, when the
// model file is still the one it names; null otherwise.
nlohmann::json published_candidate(const PipelineResult& r) {
  try {
    if (!fs::exists(r.report_path) || !fs::exists(r.model_path) || !fs::exists(r.manifest_path)) return nullptr;
    const auto old = nlohmann::json::parse(read_file(r.report_path));
    // Its own candidate, or the one an earlier failed run kept.
    for (const char* key : {"candidate", "kept_candidate"}) {
      const auto it = old.find(key);
      if (it == old.end() || !it->is_object() || !it->contains("model_sha256")) continue;
      return (*it)["model_sha256"] == sha256_file(r.model_path) ? *it : nlohmann::json(nullptr);
    }
    return nullptr;
  } catch (const std::exception&) {
    return nullptr;  // an unreadable old report names nothing
  }
}

// Everything a later phase needs that can be checked before the first phase
// starts, so a recipe does not train for an hour and then fail at export.
void check_later_phases(const Recipe& recipe, const model::Detector* teacher,
                        const std::vector<std::string>& class_names) {
  if (teacher != nullptr) {
    const std::optional<int> own =
        recipe.model.is_onnx() ? std::optional<int>(graph::onnx_opset(recipe.model.onnx)) : std::nullopt;
    exporter::check_opset(teacher->graph, model::export_opset(recipe), own);
  } else {
    const model::Detector built = model::build_detector(model::load_arch(recipe.model.arch), class_names,
                                                        recipe.data.image_size, static_cast<uint64_t>(recipe.seed));
    exporter::check_opset(built.graph, recipe.export_.opset);
  }
  QAT_CHECK(recipe.export_.profile == "ort" || recipe.export_.profile == "tensorrt", "export.profile '",
            recipe.export_.profile, "' is not supported (tensorrt, ort)");
}

// The phases of run_pipeline; `phase` names the one running (for the report when it fails).
void run_phases(const Recipe& recipe, const PipelineOptions& options, PipelineResult& result, nlohmann::json& report,
                nlohmann::json& timings, const nlohmann::json& published, std::string& phase) {
  const std::string student_path = result.run_dir + "/qat/best.h5";
  phase = "setup";
  const metrics::Gate gate = metrics::Gate::load(recipe.qat.gate);  // fail early on a bad gate file
  data::DetectionDataset train_set(recipe.data.path, recipe.data.train_split);
  data::DetectionDataset val_set(recipe.data.path, recipe.data.val_split);
  report["data"] = {{"path", recipe.data.path}, {"sha256", sha256_file(recipe.data.path)},
                    {"train_images", train_set.size()}, {"val_images", val_set.size()},
                    {"classes", train_set.class_names()}};

  // The teacher: trained here (kept in memory: the one this run trained, whatever
  // else is on disk), imported, or given as FP32 weights (loaded before anything runs).
  std::optional<model::Detector> teacher_holder;
  std::string fp32_weights = recipe.qat.fp32_weights;
  if (recipe.model.is_onnx() || !fp32_weights.empty()) {
    teacher_holder = load_fp32_detector(recipe, train_set.class_names(), fp32_weights);
  }
  check_later_phases(recipe, teacher_holder ? &*teacher_holder : nullptr, train_set.class_names());
  throw_if_interrupted();

  // 1. FP32 teacher.
  phase = "fp32";
  auto phase_start = Clock::now();
  if (recipe.model.is_onnx()) {
    report["fp32"] = {{"onnx", recipe.model.onnx}};  // imported: trained already
  } else if (fp32_weights.empty()) {
    TrainOptions to;
    to.resume = options.resume;
    to.lock_run_dir = false;  // held by run_pipeline
    Fp32Result fp32 = train_fp32(recipe, to);
    report["fp32"] = {{"best_epoch", fp32.best_epoch + 1}, {"best_val_map50", fp32.best_map50},
                      {"history", nlohmann::json::parse(history_json(fp32.history))}};
    teacher_holder = std::move(fp32.detector);
  } else {
    report["fp32"] = {{"weights", fp32_weights}};
  }
  timings["fp32_s"] = since(phase_start);
  const model::Detector& teacher = *teacher_holder;
  throw_if_interrupted();

  // 2. PTQ: fold, plan, calibrate.
  phase = "calibrate";
  phase_start = Clock::now();
  QuantizedStudent student(teacher, recipe.quant);
  data::LoaderOptions co;
  co.batch_size = recipe.data.batch_size;
  co.image_size = recipe.data.image_size;
  co.seed = static_cast<uint64_t>(recipe.seed);
  data::DataLoader calib_loader(train_set, co);
  const int64_t calibrated = calibrate(student.quantizers(), student.executor(), teacher.info.input, calib_loader,
                                       recipe.quant.calibration_images);
  timings["calibrate_s"] = since(phase_start);
  report["quant"] = {{"quantized_ops", student.quantizers().plan().quantized_nodes.size()},
                     {"quantizers", student.quantizers().size()}, {"calibration_images", calibrated}};
  throw_if_interrupted();

  // 3. QAT with distillation; selection by the behaviour gate.
  phase = "qat";
  phase_start = Clock::now();
  const QatResult qat = train_qat(recipe, teacher, student);
  timings["qat_s"] = since(phase_start);
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
  throw_if_interrupted();

  auto versions = library_versions();
  versions["onnxruntime"] = runtime::onnxruntime_version();
  report["versions"] = versions;

  if (qat.selected >= 0) {
    // 4. Export the selected student and re-check it in ONNX Runtime. Everything is
    // written under this run's staging names and published (renamed over the old
    // candidate) only when complete and passing.
    phase = "export";
    phase_start = Clock::now();
    const QatEpoch& chosen = qat.history[static_cast<size_t>(qat.selected)];
    const std::string staged_model = result.run_dir + "/" + staging_name("model.int8.onnx");
    const std::string staged_manifest = result.run_dir + "/" + staging_name("model.int8.threshold.json");
    const std::string staged_student = result.run_dir + "/qat/" + staging_name("best.h5");
    const StagedFiles staged({staged_model, staged_manifest, staged_student});
    exporter::QdqExportOptions eo;
    eo.profile = recipe.export_.profile;
    eo.opset = model::export_opset(recipe);
    eo.metadata["qat.recipe_hash"] = recipe.hash();
    eo.metadata["qat.score_threshold"] = std::to_string(chosen.threshold);
    if (eo.profile == "ort") {
      eo.output_qparams = ort_output_qparams(student, teacher.info.input, calib_loader,
                                             recipe.quant.calibration_images);
    }
    // The selected student as a checkpoint: re-exporting it reproduces the model (qat provenance).
    save_student_checkpoint(staged_student, student, recipe, train_set.class_names(), chosen.epoch,
                            eo.output_qparams);
    exporter::export_qdq_onnx(student.detector().graph, student.quantizers(), staged_model, eo);
    timings["export_s"] = since(phase_start);
    report["export"] = {{"profile", eo.profile}, {"opset", eo.opset}, {"checkpoint", "qat/best.h5"}};
    throw_if_interrupted();

    phase = "onnxruntime";
    phase_start = Clock::now();
    graph::Executor teacher_exec(teacher.graph);
    data::LoaderOptions vo = co;
    vo.shuffle = false;
    data::DataLoader val_loader(val_set, vo);
    const double t = recipe.eval.score_threshold;
    const DetectionSet teacher_set = collect_detections(teacher_exec, teacher.info, val_loader, recipe.eval, t);
    const DetectionSet ort_set = ort_candidate_detections(staged_model, teacher, val_set, recipe, chosen.threshold);
    const auto ort_stats = behaviour(teacher_set, t, ort_set, chosen.threshold,
                                     static_cast<int>(teacher.info.num_classes), recipe.eval.match_iou);
    const auto ort_verdict = gate.check(ort_stats);
    timings["onnxruntime_s"] = since(phase_start);
    report["onnxruntime"] = {{"threshold", chosen.threshold}, {"behaviour", behaviour_to_json(ort_stats)},
                             {"gate", ort_verdict.summary()}};
    logger().info("onnxruntime at {:.2f}: recall {:.4f} precision agreement {:.4f} median IoU {:.4f} "
                  "confidence MAE {:.4f} -> {}",
                  chosen.threshold, ort_stats.recall, ort_stats.precision_agreement, ort_stats.median_iou,
                  ort_stats.confidence_mae, ort_verdict.summary());
    throw_if_interrupted();
    phase = "publish";
    if (ort_verdict.passed) {
      exporter::ThresholdManifest m;
      m.model = fs::path(result.model_path).filename().string();
      m.model_sha256 = sha256_file(staged_model);
      m.score_threshold = chosen.threshold;
      m.teacher_threshold = t;
      m.gate = {{"recall", ort_stats.recall}, {"precision_agreement", ort_stats.precision_agreement},
                {"median_iou", ort_stats.median_iou}, {"confidence_mae", ort_stats.confidence_mae}};
      m.recipe_hash = recipe.hash();
      m.versions = versions;
      exporter::write_manifest(staged_manifest, m);
      // Complete: publish, student first, so the model and manifest that name it never precede it.
      move_into_place(staged_student, student_path);
      move_into_place(staged_model, result.model_path);
      move_into_place(staged_manifest, result.manifest_path);
      result.candidate = true;
      result.threshold = chosen.threshold;
      report["candidate"] = {{"model", m.model}, {"model_sha256", m.model_sha256},
                             {"manifest", fs::path(result.manifest_path).filename().string()},
                             {"threshold", chosen.threshold}, {"teacher_threshold", t}};
    } else {
      move_into_place(staged_model, result.run_dir + "/rejected.model.int8.onnx");
      move_into_place(staged_student, result.run_dir + "/qat/rejected.best.h5");
      report["candidate"] = nullptr;
      report["refusal"] = "the exported model fails the gate in ONNX Runtime: " +
                          metrics::refusal_text(ort_stats, ort_verdict, t, recipe.data.val_split,
                                                "eval.score_threshold");
    }
  } else {
    report["candidate"] = nullptr;
    report["refusal"] = "no epoch passed the gate " + recipe.qat.gate;
    const QatEpoch& ptq = qat.history.front();
    if (ptq.at_teacher_threshold.teacher_count == 0) {
      report["refusal"] = report["refusal"].get<std::string>() + ": " +
                          metrics::refusal_text(ptq.at_teacher_threshold, ptq.verdict_at_teacher_threshold,
                                                recipe.eval.score_threshold, recipe.data.val_split,
                                                "eval.score_threshold");
    }
  }
  if (!result.candidate && !published.is_null()) report["kept_candidate"] = published;
  phase = "done";
}

// What is left of a run that failed: its figures so far, the error, and the
// earlier candidate (still in place) if there is one.
void write_failure_report(const PipelineResult& result, nlohmann::json report, nlohmann::json timings,
                          const nlohmann::json& published, const std::string& phase, const std::string& message,
                          int exit_code, Clock::time_point start) {
  timings["total_s"] = since(start);
  report["timings"] = timings;
  report["candidate"] = nullptr;
  report.erase("refusal");
  report["error"] = {{"phase", phase}, {"message", message}, {"exit_code", exit_code}};
  if (!published.is_null()) report["kept_candidate"] = published;
  try {
    write_file_atomic(result.report_path, report.dump(2) + "\n");
  } catch (const std::exception& e) {
    logger().error("cannot write the report: {}", e.what());
  }
}

}  // namespace

PipelineResult run_pipeline(const Recipe& recipe, const PipelineOptions& options) {
  const auto start = Clock::now();
  const InterruptScope interrupts;
  PipelineResult result;
  result.run_dir = run_directory(recipe);
  result.model_path = result.run_dir + "/model.int8.onnx";
  result.manifest_path = result.run_dir + "/model.int8.threshold.json";
  result.report_path = result.run_dir + "/report.json";
  // One run per directory (RunLock creates it); what killed runs left behind goes first.
  const RunLock lock(result.run_dir);
  for (const auto& p : remove_stale_temp_files(result.run_dir)) logger().info("removed {} (its run is gone)", p);
  for (const auto& p : runtime::remove_stale_scratch_dirs()) logger().info("removed {} (its run is gone)", p);
  // An earlier candidate stays published until this run has a complete one to replace it.
  const nlohmann::json published = published_candidate(result);

  nlohmann::json report = {{"recipe", recipe.name}, {"recipe_file", recipe.file}, {"recipe_hash", recipe.hash()},
                           {"seed", recipe.seed}};
  nlohmann::json timings;
  std::string phase;
  try {
    run_phases(recipe, options, result, report, timings, published, phase);
  } catch (const Error& e) {
    // Training finished: export and the ONNX Runtime re-check failing keep the run
    // (the report has every epoch) and say so in the exit code.
    const bool after_training = (phase == "export" || phase == "onnxruntime") &&
                                dynamic_cast<const Interrupted*>(&e) == nullptr;
    const int code = !after_training ? e.exit_code() : phase == "export" ? kExitExportFailed : kExitRuntimeCheckFailed;
    write_failure_report(result, report, timings, published, phase, e.what(), code, start);
    if (!after_training) throw;
    logger().error("{} failed: {}", phase == "export" ? "export" : "the ONNX Runtime re-check", e.what());
    logger().error("no candidate; the report with every epoch is {}", result.report_path);
    result.exit_code = code;
    return result;
  } catch (const std::exception& e) {
    write_failure_report(result, report, timings, published, phase, e.what(), kExitInternal, start);
    throw;
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
    if (!published.is_null()) logger().info("the earlier candidate {} stays in place", result.model_path);
  }
  return result;
}

}  // namespace qat::train
