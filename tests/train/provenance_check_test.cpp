#include "qat/train/provenance_check.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>

#include "qat/export/export_profile.h"
#include "qat/export/onnx_exporter.h"
#include "qat/export/onnx_summary.h"
#include "qat/export/qdq_exporter.h"
#include "qat/train/checkpoint.h"
#include "qat/train/quantized_student.h"
#include "qat/train/student_checkpoint.h"
#include "support/test_support.h"

namespace qat::train {
namespace {

// The nano detector at 64 px for two classes, described by a recipe built in code.
Recipe tiny_recipe(const std::string& profile = "tensorrt") {
  Recipe r;
  r.name = "tiny";
  r.data.image_size = 64;
  r.model.arch = (testing::source_dir() / "configs/arch/yolo-nano.yaml").string();
  r.quant.activations.observer = "minmax";
  r.export_.profile = profile;
  return r;
}

const std::vector<std::string> kClasses = {"a", "b"};

model::Detector tiny_detector(const Recipe& r) {
  return model::build_detector(model::load_arch(r.model.arch), kClasses, 64, 3);
}

// An FP32 checkpoint that records its recipe, and its FP32 export.
void write_fp32(const Recipe& r, const std::string& checkpoint, const std::string& model, bool record_recipe = true) {
  const model::Detector det = tiny_detector(r);
  Checkpoint ck;
  ck.phase = "fp32";
  ck.arch = "yolo-nano";
  ck.recipe_hash = r.hash();
  if (record_recipe) {
    ck.recipe_yaml = r.to_yaml_text();
    ck.class_names = kClasses;
  }
  capture_weights(det.graph, ck);
  save_checkpoint(checkpoint, ck);
  exporter::export_onnx(det.graph, model, {});
}

// A calibrated student of `r` saved as a QAT checkpoint, and its Q/DQ export as the pipeline writes it.
void write_student(const Recipe& r, const std::string& checkpoint, const std::string& model) {
  const model::Detector teacher = tiny_detector(r);
  QuantizedStudent s(teacher, r.quant, exporter::make_export_profile(r.export_.profile)->placement());
  at::manual_seed(1);
  const at::Tensor images = at::rand({4, 3, 64, 64});
  at::NoGradGuard no_grad;
  s.executor().set_training(false);
  s.quantizers().set_mode(quant::QuantizerMode::calibrate);
  s.executor().run({{"images", images}});
  s.quantizers().set_mode(quant::QuantizerMode::deploy);
  exporter::QdqExportOptions eo;
  eo.profile = r.export_.profile;
  save_student_checkpoint(checkpoint, s, r, kClasses, 0);
  exporter::export_qdq_onnx(s.detector().graph, s.quantizers(), model, eo);
}

int initializer_count(const std::string& model) {
  return exporter::read_onnx_model(model).graph().initializer_size();
}

// Adds 1 to the first element of float initializer `name`.
void tamper(const std::string& model, const std::string& name) {
  onnx::ModelProto m = exporter::read_onnx_model(model);
  for (auto& t : *m.mutable_graph()->mutable_initializer()) {
    if (t.name() != name) continue;
    ASSERT_TRUE(t.has_raw_data());
    std::string raw = t.raw_data();
    float v;
    std::memcpy(&v, raw.data(), sizeof v);
    v += 1;
    std::memcpy(raw.data(), &v, sizeof v);
    t.set_raw_data(raw);
  }
  std::ofstream out(model, std::ios::binary | std::ios::trunc);
  ASSERT_TRUE(m.SerializeToOstream(&out));
}

ProvenanceOptions options(const std::string& checkpoint, const std::string& model) {
  ProvenanceOptions o;
  o.checkpoint = checkpoint;
  o.model = model;
  o.samples = 2;
  return o;
}

}  // namespace

TEST(ProvenanceCheck, Fp32ExportMatchesItsCheckpointExactly) {
  testing::TempDir dir;
  const Recipe r = tiny_recipe();
  write_fp32(r, dir.file("best.h5"), dir.file("model.fp32.onnx"));
  const auto report = check_provenance(options(dir.file("best.h5"), dir.file("model.fp32.onnx")));
  const int n = initializer_count(dir.file("model.fp32.onnx"));
  EXPECT_GT(n, 100);
  EXPECT_EQ(report.phase, "fp32");
  EXPECT_EQ(report.initializers.total, n);
  EXPECT_EQ(report.initializers.identical, n);
  EXPECT_TRUE(report.initializers.differing.empty());
  EXPECT_TRUE(report.initializers.only_reference.empty());
  EXPECT_EQ(report.inputs, "2 random images (seed 0)");
  ASSERT_EQ(report.outputs.size(), 2u);
  EXPECT_EQ(report.outputs[0].name, "boxes");
  EXPECT_EQ(report.outputs[1].name, "scores");
  for (const auto& o : report.outputs) {
    EXPECT_TRUE(o.within()) << o.name << " " << o.max_abs_diff;
    // The nano detector's own spread stays below the FP32 base tolerance: nothing may exceed it.
    ASSERT_EQ(o.spreads.size(), 2u);
    EXPECT_EQ(o.spreads[0].between, "onnxruntime disabled vs all");
    EXPECT_EQ(o.spreads[1].between, "libtorch onednn vs native");
    for (const auto& s : o.spreads) EXPECT_EQ(s.beyond, 0) << o.name << " " << s.between;
    EXPECT_EQ(o.allowed_beyond, 0);
    EXPECT_EQ(o.beyond, 0);
    EXPECT_DOUBLE_EQ(o.tolerance, o.base_tolerance);
  }
  EXPECT_TRUE(report.matches());
  const std::string text = format_provenance(report);
  EXPECT_NE(text.find("  spread onnxruntime disabled vs all: max abs diff "), std::string::npos);
  EXPECT_NE(text.find("initializers identical: " + std::to_string(n) + " of " + std::to_string(n) + "\n"),
            std::string::npos);
  EXPECT_NE(text.find("provenance: match\n"), std::string::npos);
}

TEST(ProvenanceCheck, TamperedInitializerIsCountedAndNamed) {
  testing::TempDir dir;
  write_fp32(tiny_recipe(), dir.file("best.h5"), dir.file("model.fp32.onnx"));
  tamper(dir.file("model.fp32.onnx"), "head.0.cls_pred.bias");
  const auto report = check_provenance(options(dir.file("best.h5"), dir.file("model.fp32.onnx")));
  const int n = initializer_count(dir.file("model.fp32.onnx"));
  EXPECT_EQ(report.initializers.total, n);
  EXPECT_EQ(report.initializers.identical, n - 1);
  EXPECT_EQ(report.initializers.differing, std::vector<std::string>{"head.0.cls_pred.bias"});
  EXPECT_FALSE(report.outputs[1].within());  // a logit moved by 1 moves its score
  EXPECT_EQ(report.outputs[1].allowed_beyond, 0);  // FP32: no element may exceed
  EXPECT_FALSE(report.matches());
  const std::string text = format_provenance(report);
  EXPECT_NE(text.find("  differs: head.0.cls_pred.bias\n"), std::string::npos);
  EXPECT_NE(text.find("provenance: MISMATCH\n"), std::string::npos);
}

TEST(ProvenanceCheck, AnotherCheckpointsModelMismatches) {
  testing::TempDir dir;
  write_fp32(tiny_recipe(), dir.file("a.h5"), dir.file("a.onnx"));
  // Same architecture, other weights: only the constants (anchors, shapes) agree.
  const model::Detector det = model::build_detector(model::load_arch(tiny_recipe().model.arch), kClasses, 64, 4);
  exporter::export_onnx(det.graph, dir.file("b.onnx"), {});
  const auto report = check_provenance(options(dir.file("a.h5"), dir.file("b.onnx")));
  EXPECT_LT(report.initializers.identical, report.initializers.total);
  EXPECT_FALSE(report.matches());
}

class ProvenanceCheckQdq : public ::testing::TestWithParam<std::string> {};

TEST_P(ProvenanceCheckQdq, StudentCheckpointReExportsToTheDeployedModel) {
  testing::TempDir dir;
  const Recipe r = tiny_recipe(GetParam());
  write_student(r, dir.file("qat.h5"), dir.file("model.int8.onnx"));
  const auto report = check_provenance(options(dir.file("qat.h5"), dir.file("model.int8.onnx")));
  const int n = initializer_count(dir.file("model.int8.onnx"));
  EXPECT_EQ(report.phase, "qat");
  EXPECT_EQ(report.profile, GetParam());
  EXPECT_EQ(report.initializers.total, n);
  EXPECT_EQ(report.initializers.identical, n);
  for (const auto& o : report.outputs) {
    EXPECT_TRUE(o.within()) << o.name << " " << o.max_abs_diff;
    // Runtime rounding flips: at least 2% of the elements, more when the model's own spread has more.
    int64_t spread_beyond = 0;
    for (const auto& s : o.spreads) spread_beyond = std::max(spread_beyond, s.beyond);
    EXPECT_EQ(o.allowed_beyond, std::max(o.elements / 50, kSpreadFactor * spread_beyond));
  }
  EXPECT_TRUE(report.matches());
}

INSTANTIATE_TEST_SUITE_P(Profiles, ProvenanceCheckQdq, ::testing::Values("tensorrt", "ort"));

TEST(ProvenanceCheck, StudentCheckpointAgainstTheFp32ModelMismatches) {
  testing::TempDir dir;
  const Recipe r = tiny_recipe();
  write_student(r, dir.file("qat.h5"), dir.file("model.int8.onnx"));
  write_fp32(r, dir.file("best.h5"), dir.file("model.fp32.onnx"));
  const auto report = check_provenance(options(dir.file("qat.h5"), dir.file("model.fp32.onnx")));
  EXPECT_LT(report.initializers.identical, report.initializers.total);
  EXPECT_FALSE(report.initializers.only_reference.empty());  // the int8 weights
  EXPECT_FALSE(report.matches());
}

// The rule on hand values: base tolerance 0.1, libtorch vs ONNX Runtime 0.3 off on one
// element (index 2) and 0.05 on another (index 5).
TEST(ProvenanceCheck, AnOutputIsJudgedAgainstTheModelsOwnSpread) {
  const at::Tensor libtorch = at::arange(10, at::kFloat);
  at::Tensor runtime = libtorch.clone();
  runtime[2] += 0.3;
  runtime[5] += 0.05;
  // No spread and no floor: the 0.3 exceeds the base tolerance, and nothing may.
  OutputDiff bare = judge_output("boxes", libtorch, runtime, 0.1, 0, {});
  EXPECT_NEAR(bare.max_abs_diff, 0.3, 1e-6);
  EXPECT_DOUBLE_EQ(bare.tolerance, 0.1);
  EXPECT_EQ(bare.elements, 10);
  EXPECT_EQ(bare.beyond, 1);
  EXPECT_EQ(bare.allowed_beyond, 0);
  EXPECT_FALSE(bare.within());
  // A floor of one element (Q/DQ's kQdqBeyondFraction) lets it pass.
  EXPECT_TRUE(judge_output("boxes", libtorch, runtime, 0.1, 1, {}).within());

  // ONNX Runtime disagrees with itself by 0.2 on one element: the tolerance grows to 0.2
  // and kSpreadFactor × 1 = 2 elements may exceed it (the 0.3 does).
  at::Tensor all = libtorch.clone();
  all[7] += 0.2;
  const SelfSpread ort = measure_spread("onnxruntime disabled vs all", libtorch, all, 0.1);
  EXPECT_NEAR(ort.max_abs_diff, 0.2, 1e-6);
  EXPECT_EQ(ort.beyond, 1);
  const SelfSpread quiet = measure_spread("libtorch onednn vs native", libtorch, libtorch, 0.1);
  EXPECT_EQ(quiet.max_abs_diff, 0);
  EXPECT_EQ(quiet.beyond, 0);
  OutputDiff fitted = judge_output("boxes", libtorch, runtime, 0.1, 0, {ort, quiet});
  EXPECT_NEAR(fitted.tolerance, 0.2, 1e-6);
  EXPECT_EQ(fitted.beyond, 1);
  EXPECT_EQ(fitted.allowed_beyond, 2);
  EXPECT_TRUE(fitted.within());
  ASSERT_EQ(fitted.spreads.size(), 2u);

  // A spread within the base tolerance widens nothing.
  at::Tensor near = libtorch.clone();
  near[7] += 0.05;
  OutputDiff strict =
      judge_output("boxes", libtorch, runtime, 0.1, 0, {measure_spread("x", libtorch, near, 0.1)});
  EXPECT_DOUBLE_EQ(strict.tolerance, 0.1);
  EXPECT_EQ(strict.allowed_beyond, 0);
  EXPECT_FALSE(strict.within());

  ASSERT_THROWS_WITH(measure_spread("a vs b", libtorch, at::zeros({3}), 0.1), Error,
                     "a vs b: shapes [10] and [3] differ");
}

TEST(ProvenanceCheck, ACheckpointWithoutItsRecipeNeedsOne) {
  testing::TempDir dir;
  write_fp32(tiny_recipe(), dir.file("old.h5"), dir.file("m.onnx"), false);
  ASSERT_THROWS_WITH(check_provenance(options(dir.file("old.h5"), dir.file("m.onnx"))), IoError,
                     dir.file("old.h5") +
                         ": the checkpoint does not record its recipe (written by an older qat): pass --recipe");
}

TEST(ProvenanceCheck, MissingFilesAreNamed) {
  testing::TempDir dir;
  write_fp32(tiny_recipe(), dir.file("best.h5"), dir.file("m.onnx"));
  ASSERT_THROWS_WITH(check_provenance(options(dir.file("best.h5"), dir.file("none.onnx"))), IoError,
                     dir.file("none.onnx") + ": cannot read the file");
  ASSERT_THROWS_WITH(check_provenance(options(dir.file("none.h5"), dir.file("m.onnx"))), IoError,
                     dir.file("none.h5") + ": cannot read the file");
}

}  // namespace qat::train
