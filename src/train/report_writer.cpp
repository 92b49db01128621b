#include "train/report_writer.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <sstream>

#include "qat/core/atomic_file.h"
#include "qat/core/logging.h"
#include "qat/metrics/behaviour_metrics.h"
#include "qat/train/report_html.h"
#include "train/behaviour_json.h"

namespace qat::train {
namespace fs = std::filesystem;

namespace {

nlohmann::json epoch_json(const QatEpoch& e) {
  nlohmann::json j = {{"epoch", e.epoch ? nlohmann::json(*e.epoch + 1) : nlohmann::json("ptq")},
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

// The classes with teacher detections at the deployed threshold (the same in every epoch:
// one teacher); metrics.csv has a recall[<class>] column for each.
std::vector<size_t> detected_classes(const QatResult& r) {
  std::vector<size_t> out;
  const auto& counts = r.history.front().at_teacher_threshold.teacher_per_class;
  for (size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] > 0) out.push_back(c);
  }
  return out;
}

std::string qat_csv(const QatResult& r, const std::vector<std::string>& class_names) {
  const std::vector<size_t> classes = detected_classes(r);
  std::ostringstream out;
  out << "epoch,lr,loss,";
  for (const auto& m : metrics::behaviour_metrics()) out << m.name << ',';
  out << "gate_at_teacher_threshold,passed,threshold,objective";
  for (size_t c : classes) out << ",recall[" << class_names.at(c) << ']';
  out << '\n';
  for (const auto& e : r.history) {
    out << (e.epoch ? std::to_string(*e.epoch + 1) : std::string("ptq")) << ',' << e.lr << ',' << e.loss << ',';
    for (const auto& m : metrics::behaviour_metrics()) out << e.at_teacher_threshold.*m.value << ',';
    out << (e.verdict_at_teacher_threshold.passed ? "pass" : "fail") << ',' << (e.passed ? 1 : 0) << ','
        << (e.passed ? e.threshold : 0.0) << ',' << e.objective;
    for (size_t c : classes) out << ',' << e.at_teacher_threshold.recall_per_class.at(c);
    out << '\n';
  }
  return out.str();
}

}  // namespace

ReportWriter::ReportWriter(const RunContext& ctx, nlohmann::json published)
    : ctx_(ctx), published_(std::move(published)) {
  const Recipe& recipe = ctx.recipe();
  report_ = {{"recipe", recipe.name}, {"recipe_file", recipe.file}, {"recipe_hash", recipe.hash()},
             {"seed", recipe.seed}};
}

void ReportWriter::add(const DataSummary& d) {
  report_["data"] = {{"path", d.path}, {"sha256", d.sha256}, {"train_images", d.train_images},
                     {"val_images", d.val_images}, {"classes", d.classes}};
}

void ReportWriter::add(const Fp32PhaseResult& fp32) {
  const Recipe& recipe = ctx_.recipe();
  switch (fp32.source) {
    case TeacherSource::imported:
      report_["fp32"] = {{"onnx", recipe.model.onnx}};
      break;
    case TeacherSource::weights:
      report_["fp32"] = {{"weights", recipe.qat.fp32_weights}};
      break;
    case TeacherSource::trained:
      report_["fp32"] = {{"best_epoch", fp32.best_epoch ? *fp32.best_epoch + 1 : 0},  // 1-based; 0: no epoch ran
                         {"best_val_map50", fp32.best_map50},
                         {"history", nlohmann::json::parse(history_json(fp32.history))}};
      break;
  }
  timings_["fp32_s"] = fp32.seconds;
}

void ReportWriter::add(const PtqPhaseResult& ptq) {
  timings_["calibrate_s"] = ptq.seconds;
  report_["quant"] = {{"quantized_ops", ptq.student->quantizers().plan().quantized_nodes.size()},
                      {"quantizers", ptq.student->quantizers().size()},
                      {"calibration_images", ptq.calibration.images.size()},
                      {"calibration", calibration_to_json(ptq.calibration)}};
}

void ReportWriter::add(const QatPhaseResult& phase) {
  const QatResult& qat = phase.qat;
  const Recipe& recipe = ctx_.recipe();
  timings_["qat_s"] = phase.seconds;
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : qat.history) epochs.push_back(epoch_json(e));
  report_["qat"] = {{"epochs", epochs}, {"gate", recipe.qat.gate}, {"objective", recipe.qat.objective},
                    {"selected", qat.selected ? epochs[*qat.selected]["epoch"] : nlohmann::json(nullptr)},
                    {"lowest_loss", qat.lowest_loss ? epochs[*qat.lowest_loss]["epoch"] : nlohmann::json(nullptr)}};
  report_["side_by_side"] = {{"ptq", epochs.front()}, {"qat", qat.selected ? epochs[*qat.selected] : epochs.back()}};
  report_["qat"]["teacher_threshold"] = recipe.eval.score_threshold;  // for report.html
  report_["qat"]["gate_limits"] = gate_to_json(qat.gate);
  const QatEpoch& chosen = qat.history[qat.selected.value_or(qat.history.size() - 1)];
  rare_classes_ = metrics::format_rare_classes(chosen.at_teacher_threshold, qat.history.front().at_teacher_threshold,
                                               ctx_.teacher().info.class_names, qat.gate.min_class_recall, 3);
  write_file_atomic(ctx_.layout().metrics, qat_csv(qat, ctx_.teacher().info.class_names));
}

void ReportWriter::add(const std::map<std::string, std::string>& versions) { report_["versions"] = versions; }

void ReportWriter::add(const ExportResult& exported) {
  timings_["export_s"] = exported.seconds;
  report_["export"] = {{"profile", exported.profile}, {"opset", exported.opset}, {"checkpoint", "qat/best.h5"}};
}

void ReportWriter::add(const VerifyResult& v) {
  timings_["onnxruntime_s"] = v.seconds;
  report_["onnxruntime"] = {{"threshold", v.threshold}, {"behaviour", behaviour_to_json(v.behaviour)},
                            {"gate", v.verdict.summary()}, {"latency", v.latency}};
}

void ReportWriter::add(const PublishResult& p) {
  if (!p.candidate) {
    report_["candidate"] = nullptr;
    report_["refusal"] = p.refusal;
    return;
  }
  const auto& m = p.manifest;
  report_["candidate"] = {{"model", m.model}, {"model_sha256", m.model_sha256},
                          {"manifest", fs::path(ctx_.layout().manifest).filename().string()},
                          {"threshold", m.score_threshold}, {"teacher_threshold", m.teacher_threshold}};
}

void ReportWriter::add_no_passing_epoch(const QatResult& qat) {
  const Recipe& recipe = ctx_.recipe();
  report_["candidate"] = nullptr;
  std::string refusal = "no epoch passed the gate " + recipe.qat.gate;
  const QatEpoch& ptq = qat.history.front();
  if (ptq.at_teacher_threshold.teacher_count == 0) {
    refusal += ": " + metrics::refusal_text(ptq.at_teacher_threshold, ptq.verdict_at_teacher_threshold,
                                            recipe.eval.score_threshold, recipe.data.val_split, "eval.score_threshold");
  }
  report_["refusal"] = refusal;
}

void ReportWriter::write(bool candidate, double total_seconds) {
  if (!candidate && !published_.is_null()) report_["kept_candidate"] = published_;
  timings_["total_s"] = total_seconds;
  report_["timings"] = timings_;
  write_file_atomic(ctx_.layout().report, report_.dump(2) + "\n");
  write_html_report(ctx_.layout().dir, report_.dump());
}

void ReportWriter::write_failure(const std::string& phase, const std::string& message, int exit_code,
                                 double total_seconds) {
  nlohmann::json report = report_;
  nlohmann::json timings = timings_;
  timings["total_s"] = total_seconds;
  report["timings"] = timings;
  report["candidate"] = nullptr;
  report.erase("refusal");
  report["error"] = {{"phase", phase}, {"message", message}, {"exit_code", exit_code}};
  if (!published_.is_null()) report["kept_candidate"] = published_;
  try {
    write_file_atomic(ctx_.layout().report, report.dump(2) + "\n");
    write_html_report(ctx_.layout().dir, report.dump());
  } catch (const std::exception& e) {
    logger().error("cannot write the report: {}", e.what());
  }
}

}  // namespace qat::train
