#include "qat/train/pipeline.h"

#include <nlohmann/json.hpp>

#include "qat/core/atomic_file.h"
#include "qat/data/scene_composer.h"
#include "qat/export/manifest.h"
#include "support/test_support.h"

namespace qat::train {

// The whole path on 24 tiny scenes: FP32 epoch, calibration, one QAT epoch,
// gate, export, ONNX Runtime re-check, manifest, report. An almost untrained
// teacher detects little at 0.70, so whether a candidate is published depends on
// the student; either way the artifacts must be consistent with the exit code.
TEST(Pipeline, SmokeRunWritesConsistentArtifacts) {
  testing::TempDir dir;
  data::SceneOptions o;
  o.images = 24;
  o.size = 64;
  o.scale_max = 2.0;
  o.max_objects = 2;
  data::compose_fmnist_scenes(o, dir.file("d.h5"));
  const auto src = testing::source_dir();
  const auto file = dir.write("tiny.yaml",
                              "name: tiny\noutput_dir: " + dir.file("runs") + "\n"
                              "data:\n  path: " + dir.file("d.h5") + "\n  image_size: 64\n  batch_size: 6\n"
                              "model:\n  arch: " + (src / "configs/arch/yolo-nano.yaml").string() + "\n"
                              "fp32:\n  epochs: 1\n"
                              "quant:\n  calibration_images: 12\n"
                              "qat:\n  epochs: 1\n  gate: " + (src / "configs/gates/default.yaml").string() + "\n");
  const PipelineResult r = run_pipeline(load_recipe(file), {});
  EXPECT_TRUE(r.exit_code == kExitOk || r.exit_code == kExitGateFailed);
  EXPECT_EQ(r.candidate, r.exit_code == kExitOk);
  const auto report = nlohmann::json::parse(read_file(r.report_path));
  EXPECT_EQ(report["qat"]["epochs"].size(), 2u);  // PTQ start + one epoch
  EXPECT_EQ(report["qat"]["epochs"][0]["epoch"], "ptq");
  EXPECT_TRUE(report.contains("side_by_side"));
  EXPECT_EQ(report["versions"]["onnxruntime"], "1.23.2");
  EXPECT_TRUE(std::filesystem::exists(r.run_dir + "/metrics.csv"));
  EXPECT_TRUE(std::filesystem::exists(r.run_dir + "/report.png"));
  EXPECT_TRUE(std::filesystem::exists(r.run_dir + "/fp32/model.fp32.onnx"));
  EXPECT_EQ(std::filesystem::exists(r.model_path), r.candidate);
  EXPECT_EQ(std::filesystem::exists(r.manifest_path), r.candidate);
  if (r.candidate) {
    const auto m = exporter::verify_manifest(r.model_path, r.manifest_path);
    EXPECT_DOUBLE_EQ(m.score_threshold, r.threshold);
  } else {
    EXPECT_TRUE(report["candidate"].is_null());
    EXPECT_FALSE(report["refusal"].get<std::string>().empty());
  }
}

}  // namespace qat::train
