#include "qat/train/pipeline.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "qat/core/atomic_file.h"
#include "qat/export/manifest.h"
#include "qat/train/provenance_check.h"
#include "qat/train/report_html.h"
#include "support/test_support.h"

namespace qat::train {
namespace {

// The whole path on 24 tiny scenes: FP32 epoch, calibration, one QAT epoch,
// gate, export, ONNX Runtime re-check, manifest, report. The outcome is fixed by
// the gate file: a lenient gate passes any student, a strict one (bit-exact
// scores and boxes) none.
struct TinyPipeline {
  testing::TempDir dir;
  TinyPipeline() {
    testing::write_tiny_scenes(dir.file("d.h5"));
  }
  PipelineResult run(const std::string& gate_kind) const {
    const auto src = testing::source_dir();
    const auto file = dir.write("tiny.yaml",
                                "name: tiny\noutput_dir: " + dir.file("runs") + "\n"
                                "data:\n  path: " + dir.file("d.h5") + "\n  image_size: 64\n  batch_size: 6\n"
                                "model:\n  arch: " + (src / "configs/arch/yolo-nano.yaml").string() + "\n"
                                "fp32:\n  epochs: 1\n"
                                "eval:\n  score_threshold: 0.05\n"
                                "quant:\n  calibration_images: 12\n"
                                "qat:\n  epochs: 1\n  threshold_search: {lo: 0.05, hi: 0.05}\n"
                                "  gate: " + testing::write_gate(dir, gate_kind) + "\n");
    return run_pipeline(load_recipe(file), {});
  }
};

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string f; std::getline(in, f, sep);) fields.push_back(f);
  return fields;
}

// A number as metrics.csv writes it (an ostream's default format).
std::string csv_number(const nlohmann::json& v) {
  std::ostringstream out;
  out << v.get<double>();
  return out.str();
}

// metrics.csv holds, row by row, the figures report.json gives for the same epochs.
void expect_metrics_match_report(const std::string& csv_path, const nlohmann::json& report) {
  std::stringstream csv(read_file(csv_path));
  std::string line;
  std::getline(csv, line);
  const auto& epochs = report["qat"]["epochs"];
  // A recall[<class>] column for each class the teacher detects (its count in PTQ's row).
  std::vector<size_t> classes;
  std::string header =
      "epoch,lr,loss,recall,precision_agreement,median_iou,confidence_mae,gate_at_teacher_threshold,passed,"
      "threshold,objective";
  const auto& teacher_per_class = epochs[0]["at_teacher_threshold"]["teacher_per_class"];
  for (size_t c = 0; c < teacher_per_class.size(); ++c) {
    if (teacher_per_class[c].get<int64_t>() == 0) continue;
    classes.push_back(c);
    header += ",recall[" + report["data"]["classes"][c].get<std::string>() + "]";
  }
  EXPECT_EQ(line, header);
  size_t row = 0;
  for (; std::getline(csv, line); ++row) {
    ASSERT_LT(row, epochs.size()) << line;
    const auto& e = epochs[row];
    const auto& s = e["at_teacher_threshold"];
    const bool passed = e["passed"].get<bool>();
    std::vector<std::string> expected = {
        e["epoch"].is_string() ? e["epoch"].get<std::string>() : std::to_string(e["epoch"].get<int>()),
        csv_number(e["lr"]), csv_number(e["loss"]), csv_number(s["recall"]),
        csv_number(s["precision_agreement"]), csv_number(s["median_iou"]), csv_number(s["confidence_mae"]),
        e["gate_at_teacher_threshold"] == "passed" ? "pass" : "fail", passed ? "1" : "0",
        passed ? csv_number(e["threshold"]) : "0", csv_number(e.value("objective", nlohmann::json(0.0)))};
    for (size_t c : classes) expected.push_back(csv_number(s["recall_per_class"][c]));
    EXPECT_EQ(split(line, ','), expected) << "metrics.csv row " << row + 1;
  }
  EXPECT_EQ(row, epochs.size());
}

void expect_common_artifacts(const PipelineResult& r, const nlohmann::json& report) {
  EXPECT_EQ(report["qat"]["epochs"].size(), 2u);  // PTQ start + one epoch
  EXPECT_EQ(report["qat"]["epochs"][0]["epoch"], "ptq");
  EXPECT_EQ(report["qat"]["epochs"][1]["epoch"], 1);
  EXPECT_EQ(report["fp32"]["history"].size(), 1u);
  EXPECT_EQ(report["data"]["train_images"].get<int>() + report["data"]["val_images"].get<int>(), 24);
  EXPECT_EQ(report["quant"]["calibration_images"], 12);
  EXPECT_EQ(report["quant"]["calibration"]["sampling"], "random");
  EXPECT_EQ(report["quant"]["calibration"]["images"].size(), 12u);
  int64_t calibration_objects = 0;
  for (const auto& [name, objects] : report["quant"]["calibration"]["class_objects"].items()) {
    calibration_objects += objects.get<int64_t>();
  }
  EXPECT_GT(calibration_objects, 0);
  EXPECT_EQ(report["quant"]["quantized_ops"], 50);  // every conv but the 6 prediction layers
  EXPECT_EQ(report["quant"]["quantizers"], 95);
  // Every epoch's teacher count is the teacher's: the same val split at the same threshold.
  for (const auto& e : report["qat"]["epochs"]) {
    const auto& s = e["at_teacher_threshold"];
    EXPECT_EQ(s["teacher_count"], report["qat"]["epochs"][0]["at_teacher_threshold"]["teacher_count"]);
    EXPECT_EQ(s["matched"].get<int>() + s["misses"]["below_threshold"].get<int>() + s["misses"]["wrong_class"].get<int>() +
                  s["misses"]["box"].get<int>() + s["misses"]["absent"].get<int>(),
              s["teacher_count"].get<int>());
  }
  expect_metrics_match_report(r.run_dir + "/metrics.csv", report);
  EXPECT_TRUE(report.contains("side_by_side"));
  EXPECT_EQ(report["versions"]["onnxruntime"], "1.23.2");
  EXPECT_TRUE(std::filesystem::exists(r.run_dir + "/metrics.csv"));
  // report.html and its main chart are made from the final report.json.
  EXPECT_EQ(read_file(r.run_dir + "/report.html"), report_html(read_file(r.report_path)));
  EXPECT_EQ(read_file(r.run_dir + "/report.svg"), report_main_chart_svg(read_file(r.report_path)));
  EXPECT_EQ(report["qat"]["teacher_threshold"], 0.05);
  EXPECT_TRUE(std::filesystem::exists(r.run_dir + "/fp32/model.fp32.onnx"));
}

// Staging files (staging.<pid>.*) and temporaries (*.tmp-<pid>) are gone after a run.
void expect_no_staging_files(const std::string& run_dir) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(run_dir)) {
    const std::string name = e.path().filename().string();
    EXPECT_NE(name.rfind("staging.", 0), 0u) << e.path();
    EXPECT_EQ(name.find(".tmp-"), std::string::npos) << e.path();
  }
}

}  // namespace

TEST(Pipeline, PublishesAVerifiedCandidateWhenTheGatePasses) {
  TinyPipeline tiny;
  const PipelineResult r = tiny.run("lenient");
  EXPECT_EQ(r.exit_code, kExitOk);
  ASSERT_TRUE(r.candidate);
  const auto report = nlohmann::json::parse(read_file(r.report_path));
  expect_common_artifacts(r, report);
  EXPECT_EQ(report["onnxruntime"]["gate"], "passed");
  EXPECT_DOUBLE_EQ(r.threshold, 0.05);
  const auto m = exporter::verify_manifest(r.model_path, r.manifest_path, 0.05);
  EXPECT_DOUBLE_EQ(m.score_threshold, 0.05);
  EXPECT_DOUBLE_EQ(m.teacher_threshold, 0.05);
  EXPECT_EQ(report["candidate"]["model_sha256"], m.model_sha256);
  expect_no_staging_files(r.run_dir);
  EXPECT_EQ(report["export"]["checkpoint"], "qat/best.h5");
  EXPECT_EQ(report["export"]["profile"], "tensorrt");
  EXPECT_EQ(report["export"]["opset"], 13);
  // The deployed speed next to the gate: FP32 and INT8 in ONNX Runtime at batch 1.
  const auto& latency = report["onnxruntime"]["latency"];
  EXPECT_EQ(latency["profile"], "tensorrt");
  EXPECT_EQ(latency["batch"], 1);
  EXPECT_EQ(latency["runs"], 20);
  EXPECT_EQ(latency["optimization"], "all");
  EXPECT_GE(latency["threads"].get<int>(), 1);
  EXPECT_GT(latency["fp32_ms"].get<double>(), 0.0);
  EXPECT_GT(latency["int8_ms"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(latency["fp32_over_int8"].get<double>(),
                   latency["fp32_ms"].get<double>() / latency["int8_ms"].get<double>());
  EXPECT_GT(latency["fp32_cpu_ms"].get<double>(), 0.0);
  EXPECT_GT(latency["int8_cpu_ms"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(latency["fp32_over_int8_cpu"].get<double>(),
                   latency["fp32_cpu_ms"].get<double>() / latency["int8_cpu_ms"].get<double>());

  // Both checkpoints re-export to the models published beside them (qat provenance).
  for (const auto& [checkpoint, model] : {std::pair{r.run_dir + "/qat/best.h5", r.model_path},
                                          std::pair{r.run_dir + "/fp32/best.h5", r.run_dir + "/fp32/model.fp32.onnx"}}) {
    ProvenanceOptions o;
    o.checkpoint = checkpoint;
    o.model = model;
    const auto p = check_provenance(o);
    EXPECT_EQ(p.initializers.identical, p.initializers.total) << checkpoint;
    EXPECT_TRUE(p.matches()) << format_provenance(p);
  }
}

TEST(Pipeline, RefusesWithExitThreeAndPublishesNothingWhenNoEpochPasses) {
  TinyPipeline tiny;
  const PipelineResult r = tiny.run("strict");
  EXPECT_EQ(r.exit_code, kExitGateFailed);
  EXPECT_FALSE(r.candidate);
  const auto report = nlohmann::json::parse(read_file(r.report_path));
  expect_common_artifacts(r, report);
  EXPECT_TRUE(report["candidate"].is_null());
  EXPECT_FALSE(report.contains("export"));
  // The tiny teacher (one FP32 epoch) detects nothing at 0.05: the refusal says so
  // rather than "median IoU 0.0000 < 0.9", which reads as a bad student.
  EXPECT_EQ(report["qat"]["epochs"][0]["at_teacher_threshold"]["teacher_count"], 0);
  EXPECT_EQ(report["refusal"], "no epoch passed the gate " + tiny.dir.file("strict.yaml") +
                                   ": the teacher detects nothing at threshold 0.05 on split 'val', so the gate "
                                   "has no detections to compare the student with (lower eval.score_threshold, or "
                                   "use a trained model)");
  EXPECT_FALSE(std::filesystem::exists(r.model_path));
  EXPECT_FALSE(std::filesystem::exists(r.manifest_path));
  EXPECT_FALSE(std::filesystem::exists(r.run_dir + "/qat/best.h5"));
  expect_no_staging_files(r.run_dir);
}

}  // namespace qat::train
