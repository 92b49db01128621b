#include "qat/train/sweep.h"

#include <nlohmann/json.hpp>

#include "qat/core/atomic_file.h"
#include "qat/data/dataset.h"
#include "qat/export/onnx_exporter.h"
#include "qat/graph/fold_batch_norm.h"
#include "qat/model/arch_spec.h"
#include "qat/model/detector.h"
#include "qat/model/imported_defaults.h"
#include "qat/model/onnx_detector.h"
#include "qat/quant/quant_plan.h"
#include "qat/train/checkpoint.h"
#include "support/test_support.h"

namespace qat::train {
namespace {

// 24 tiny scenes and the untrained nano detector saved as the "FP32" checkpoint:
// the sweep only needs a teacher, not a good one.
struct SweepRun {
  testing::TempDir dir;
  std::string weights = dir.file("fp32.h5");

  SweepRun() {
    testing::write_tiny_scenes(dir.file("d.h5"));
    const auto det = model::build_detector(model::load_arch(arch()), data::DetectionDataset(dir.file("d.h5"), "train").class_names(), 64, 0);
    Checkpoint ck;
    ck.phase = "fp32";
    ck.arch = "yolo-nano";
    capture_weights(det.graph, ck);
    save_checkpoint(weights, ck);
  }
  static std::string arch() { return (testing::source_dir() / "configs/arch/yolo-nano.yaml").string(); }
  Recipe recipe(const std::string& gate_kind) const {
    return load_recipe(dir.write("r.yaml", "name: sweep\noutput_dir: " + dir.file("runs") + "\n"
                                           "data:\n  path: " + dir.file("d.h5") + "\n  image_size: 64\n  batch_size: 8\n"
                                           "model:\n  arch: " + arch() + "\n"
                                           "eval:\n  score_threshold: 0.01\n"
                                           "quant:\n  calibration_images: 8\n"
                                           "qat:\n  gate: " + testing::write_gate(dir, gate_kind) + "\n"));
  }
};

}  // namespace

TEST(Sweep, RegionBlocksAreTheQuantizedNodesFirstTwoNameSegmentsInGraphOrder) {
  auto det = model::build_detector(model::load_arch(SweepRun::arch()), {"a", "b"}, 64, 0);
  graph::fold_batch_norm(det.graph);
  QuantSection quant;  // backbone, neck and head, prediction layers excluded
  const auto blocks = region_blocks(det.graph, quant);
  const std::vector<std::string> expected_backbone = {"backbone.0", "backbone.1", "backbone.2", "backbone.3",
                                                      "backbone.4", "backbone.5", "backbone.6", "backbone.7",
                                                      "backbone.8", "backbone.9"};
  ASSERT_GE(blocks.size(), expected_backbone.size() + 2);
  EXPECT_EQ(std::vector<std::string>(blocks.begin(), blocks.begin() + 10), expected_backbone);
  EXPECT_EQ(blocks[10].rfind("neck.", 0), 0u) << blocks[10];
  EXPECT_EQ(blocks.back().rfind("head.", 0), 0u) << blocks.back();

  quant.include = {"backbone.[2-3]"};
  EXPECT_EQ(region_blocks(det.graph, quant), (std::vector<std::string>{"backbone.2", "backbone.3"}));
}

TEST(Sweep, BlocksModeWidensTheRegionAndPicksTheWidestPassingOne) {
  SweepRun run;
  SweepOptions options;
  options.weights = run.weights;
  Recipe recipe = run.recipe("lenient");
  recipe.quant.include = {"backbone.[0-3]"};
  const SweepResult r = run_sweep(recipe, options);
  ASSERT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(r.rows[0].region, "backbone.0");
  EXPECT_EQ(r.rows[3].region, "backbone.0 .. backbone.3");
  EXPECT_EQ(r.rows[2].include, (std::vector<std::string>{"backbone.0", "backbone.1", "backbone.2"}));
  // backbone.0, .1 and .3 are single convs; the C2f block 2 has 4 (cv1, cv2 and a bottleneck's two).
  EXPECT_EQ(r.rows[0].quantized_ops, 1);
  EXPECT_EQ(r.rows[1].quantized_ops, 2);
  EXPECT_EQ(r.rows[3].quantized_ops, r.rows[2].quantized_ops + 1);
  EXPECT_EQ(r.chosen, std::optional<size_t>(3));
  const auto report = nlohmann::json::parse(read_file(r.report_path));
  EXPECT_EQ(report["rows"].size(), 4u);
  EXPECT_EQ(report["chosen"]["region"], "backbone.0 .. backbone.3");
  const std::string table = format_sweep_table(r);
  EXPECT_NE(table.find("* backbone.0 .. backbone.3"), std::string::npos) << table;
}

TEST(Sweep, NoPassingRegionIsReportedAsNoChoice) {
  SweepRun run;
  SweepOptions options;
  options.weights = run.weights;
  Recipe recipe = run.recipe("strict");
  recipe.quant.include = {"backbone.[0-1]"};
  recipe.quant.activations.bits = 2;  // coarse enough to move every score
  const SweepResult r = run_sweep(recipe, options);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_FALSE(r.rows[0].verdict.passed);
  EXPECT_EQ(r.chosen, std::nullopt);
  EXPECT_TRUE(nlohmann::json::parse(read_file(r.report_path))["chosen"].is_null());
  EXPECT_NE(format_sweep_table(r).find("no region passes the gate"), std::string::npos);
}

TEST(Sweep, LayersModeMeasuresEachLayerThenTheRegionWithoutFailingOnes) {
  SweepRun run;
  SweepOptions options;
  options.weights = run.weights;
  options.mode = SweepMode::layers;
  Recipe recipe = run.recipe("lenient");
  recipe.quant.include = {"backbone.[0-1]"};
  const SweepResult r = run_sweep(recipe, options);
  ASSERT_EQ(r.rows.size(), 3u);  // two convs, then the combined region
  EXPECT_EQ(r.rows[0].region, "backbone.0.conv");
  EXPECT_EQ(r.rows[0].quantized_ops, 1);
  EXPECT_EQ(r.rows[2].region, "region without failing layers");
  EXPECT_EQ(r.rows[2].quantized_ops, 2);
  EXPECT_EQ(r.chosen, std::optional<size_t>(2));
}

// An imported model without quant.include sweeps the region `qat train` and `qat ptq`
// quantize: every Conv but the head layers (model::resolve_quant_region), not nothing.
TEST(Sweep, AnImportedModelSweepsTheImportedDefaultRegion) {
  SweepRun run;
  const auto det = model::build_detector(model::load_arch(SweepRun::arch()),
                                         data::DetectionDataset(run.dir.file("d.h5"), "train").class_names(), 64, 0);
  exporter::export_onnx(det.graph, run.dir.file("det.onnx"), {});
  const Recipe recipe = load_recipe(run.dir.write(
      "i.yaml", "name: sweep\noutput_dir: " + run.dir.file("runs") + "\n" +
                    "data:\n  path: " + run.dir.file("d.h5") + "\n  image_size: 64\n  batch_size: 8\n" +
                    "model:\n  onnx: " + run.dir.file("det.onnx") + "\n" +
                    "  head: {logits: logits, anchor_points: head.anchor_points, anchor_strides: head.anchor_strides}\n" +
                    "eval:\n  score_threshold: 0.01\nquant:\n  calibration_images: 8\n" +
                    "qat:\n  gate: " + testing::write_gate(run.dir, "lenient") + "\n"));
  ASSERT_TRUE(recipe.quant.include.empty());
  const model::Detector teacher = model::load_onnx_detector(recipe.model);
  const QuantSection region = model::resolve_quant_region(teacher, recipe.quant);
  const auto head = model::find_head_layers(teacher).nodes;
  int64_t convs = 0;
  for (const auto& n : teacher.graph.nodes()) convs += quant::is_quantizable(n.op_type);
  ASSERT_GT(head.size(), 0u);
  EXPECT_EQ(static_cast<int64_t>(region.include.size()), convs - static_cast<int64_t>(head.size()));
  const SweepResult r = run_sweep(recipe, {});
  ASSERT_FALSE(r.rows.empty());
  EXPECT_EQ(r.rows.front().region, "backbone.0");
  // The widest block region is the whole default region.
  EXPECT_EQ(r.rows.back().quantized_ops, static_cast<int64_t>(region.include.size()));
  EXPECT_EQ(r.chosen, std::optional<size_t>(r.rows.size() - 1));
}

TEST(Sweep, ModesAreNamedAsTheCliAndReportSpellThem) {
  EXPECT_EQ(sweep_mode_names(), (std::vector<std::string>{"blocks", "layers"}));
  EXPECT_EQ(to_string(SweepMode::blocks), "blocks");
  EXPECT_EQ(to_string(SweepMode::layers), "layers");
  EXPECT_EQ(sweep_mode_from_name("layers"), std::optional<SweepMode>(SweepMode::layers));
  EXPECT_EQ(sweep_mode_from_name("blocks"), std::optional<SweepMode>(SweepMode::blocks));
  EXPECT_EQ(sweep_mode_from_name("random"), std::nullopt);
  EXPECT_EQ(sweep_mode_from_name("Blocks"), std::nullopt);
}

}  // namespace qat::train
