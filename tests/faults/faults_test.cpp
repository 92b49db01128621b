// Faults inside one process: the run lock, leftovers of dead runs, a diverged
// model at export, and a later phase's requirement (the export opset) that a
// run checks before its first phase. The multi-process, signal and full-disk
// cases are in faults_cli_test.sh.
#include <unistd.h>

#include <csignal>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "qat/core/atomic_file.h"
#include "qat/core/interrupt.h"
#include "qat/core/run_lock.h"
#include "qat/export/onnx_exporter.h"
#include "qat/model/arch_spec.h"
#include "qat/model/detector.h"
#include "qat/recipe/recipe.h"
#include "qat/train/pipeline.h"
#include "support/test_support.h"

namespace qat {
namespace {
namespace fs = std::filesystem;

model::Detector tiny_detector(int classes = 2) {
  const auto arch = model::load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
  std::vector<std::string> names;
  for (int c = 0; c < classes; ++c) names.push_back("c" + std::to_string(c));
  return model::build_detector(arch, names, 64, 0);
}

// A pid that is not a live process: the highest possible one is never handed out here.
int64_t dead_pid() {
  std::ifstream in("/proc/sys/kernel/pid_max");
  int64_t max = 0;
  in >> max;
  EXPECT_FALSE(process_alive(max));
  return max;
}

}  // namespace

TEST(RunLock, ASecondLockOnTheDirectoryIsRefusedNamingTheOwner) {
  testing::TempDir dir;
  const fs::path run = dir.path() / "runs" / "r";
  {
    const RunLock first(run);
    EXPECT_EQ(read_file(run / ".lock"), std::to_string(::getpid()) + "\n");
    ASSERT_THROWS_WITH(RunLock second(run), IoError,
                       run.string() + ": in use by another qat run (pid " + std::to_string(::getpid()) +
                           "); wait for it to finish or stop it");
  }
  // Released with the object: the next run gets it, and the file names no owner in between.
  EXPECT_EQ(read_file(run / ".lock"), "");
  const RunLock again(run);
  EXPECT_EQ(read_file(run / ".lock"), std::to_string(::getpid()) + "\n");
}

TEST(RunLock, TempFileNamesCarryTheirWritersPid) {
  EXPECT_EQ(temp_file_owner("best.h5.tmp-1234"), 1234);
  EXPECT_EQ(temp_file_owner("staging.77.model.int8.onnx"), 77);
  EXPECT_EQ(temp_file_owner("model.int8.onnx"), -1);
  EXPECT_EQ(temp_file_owner("best.h5.tmp-"), -1);
  EXPECT_EQ(temp_file_owner("x.tmp-12a"), -1);
  EXPECT_EQ(temp_file_owner("staging.model.int8.onnx"), -1);  // the old shared name: no owner
  EXPECT_EQ(staging_name("model.int8.onnx"), "staging." + std::to_string(::getpid()) + ".model.int8.onnx");
}

TEST(RunLock, RemovesOnlyTheLeftoversOfProcessesThatAreGone) {
  testing::TempDir dir;
  const std::string dead = std::to_string(dead_pid());
  const std::string live = std::to_string(::getppid());  // the test runner's parent is alive
  fs::create_directories(dir.path() / "fp32");
  for (const auto& name : {"fp32/best.h5.tmp-" + dead, "staging." + dead + ".model.int8.onnx",
                           "fp32/last.h5.tmp-" + live, "staging." + live + ".best.h5", std::string("model.int8.onnx"),
                           std::string("report.json.tmp-x")}) {
    dir.write(name, "x");
  }
  const auto removed = remove_stale_temp_files(dir.path());
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_FALSE(fs::exists(dir.path() / ("fp32/best.h5.tmp-" + dead)));
  EXPECT_FALSE(fs::exists(dir.path() / ("staging." + dead + ".model.int8.onnx")));
  for (const auto& kept : {"fp32/last.h5.tmp-" + live, "staging." + live + ".best.h5", std::string("model.int8.onnx"),
                           std::string("report.json.tmp-x")}) {
    EXPECT_TRUE(fs::exists(dir.path() / kept)) << kept;
  }
}

TEST(Interrupted, ExitsWith128PlusTheSignal) {
  EXPECT_EQ(Interrupted(SIGINT).exit_code(), 130);
  EXPECT_EQ(Interrupted(SIGTERM).exit_code(), 143);
  EXPECT_EQ(std::string(Interrupted(SIGTERM).what()),
            "interrupted by SIGTERM; the run stopped and removed its temporary files");
  const InterruptScope scope;
  EXPECT_EQ(pending_signal(), 0);
  EXPECT_NO_THROW(throw_if_interrupted());
  ::raise(SIGTERM);  // noted, not fatal, inside the scope
  EXPECT_EQ(pending_signal(), SIGTERM);
  ASSERT_THROWS_WITH(throw_if_interrupted(), Interrupted,
                     "interrupted by SIGTERM; the run stopped and removed its temporary files");
}

TEST(Interrupted, ASignalIsForgottenWhenItsScopeEnds) {
  {
    const InterruptScope scope;
    ::raise(SIGINT);
    EXPECT_EQ(pending_signal(), SIGINT);
  }
  EXPECT_EQ(pending_signal(), 0);
  EXPECT_NO_THROW(throw_if_interrupted());
}

TEST(FiniteWeights, TheExporterRefusesADivergedModelAndWritesNothing) {
  testing::TempDir dir;
  auto det = tiny_detector();
  at::Tensor w = det.graph.initializer("backbone.0.conv.weight").clone();
  w.view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
  w.view(-1)[1] = std::numeric_limits<float>::infinity();
  const int64_t n = w.numel();
  det.graph.set_initializer("backbone.0.conv.weight", w, true);
  const std::string path = dir.file("fp32.onnx");
  ASSERT_THROWS_WITH(exporter::export_onnx(det.graph, path, {}), IoError,
                     path + ": backbone.0.conv.weight: 2 of " + std::to_string(n) +
                         " weights are not finite (NaN or infinite): refusing to export a diverged model");
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(ExportOpset, AnOpNewerThanTheOpsetIsNamedWithTheOpsetThatHasIt) {
  auto det = tiny_detector();
  graph::Node* relu = nullptr;  // the first activation (SiLU's Sigmoid) becomes a HardSwish
  for (auto& node : det.graph.nodes()) {
    if (node.op_type == "Sigmoid" && relu == nullptr) relu = &node;
  }
  ASSERT_NE(relu, nullptr);
  relu->op_type = "HardSwish";
  ASSERT_THROWS_WITH(exporter::check_opset(det.graph, 13), Error,
                     "export.opset 13: node '" + relu->name +
                         "' is a HardSwish, which ONNX defines from opset 14; set export.opset to 14 or higher");
  EXPECT_NO_THROW(exporter::check_opset(det.graph, 14));
  ASSERT_THROWS_WITH(exporter::check_opset(det.graph, 18), Error,
                     "export.opset: ONNX opset 18 is not supported (13 to 17)");
}

// An imported model with HardSwish and export.opset 13: refused before calibration
// (not after a whole QAT phase), with a report that says so.
TEST(ExportOpset, ThePipelineChecksTheImportedModelBeforeTheFirstPhase) {
  testing::TempDir dir;
  testing::write_tiny_scenes(dir.file("d.h5"));
  auto det = tiny_detector(10);  // the tiny scenes' 10 classes
  std::string act;
  for (auto& node : det.graph.nodes()) {
    if (node.op_type == "Sigmoid" && act.empty()) {
      node.op_type = "HardSwish";
      act = node.name;
    }
  }
  exporter::ExportOptions eo;
  eo.opset = 14;
  exporter::export_onnx(det.graph, dir.file("hs.onnx"), eo);
  const auto file = dir.write(
      "hs.yaml", "name: hs\noutput_dir: " + dir.file("runs") + "\n" +
                     "data:\n  path: " + dir.file("d.h5") + "\n  image_size: 64\n  batch_size: 6\n" +
                     "model:\n  onnx: " + dir.file("hs.onnx") + "\n" +
                     "  head: {logits: logits, anchor_points: head.anchor_points, anchor_strides: head.anchor_strides}\n" +
                     "export:\n  opset: 13\n" + "qat:\n  epochs: 1\n  gate: " + testing::write_gate(dir, "lenient") + "\n");
  const Recipe recipe = load_recipe(file);
  ASSERT_THROWS_WITH(train::run_pipeline(recipe, {}), Error,
                     "export.opset 13: node '" + act +
                         "' is a HardSwish, which ONNX defines from opset 14 (the model is opset 14); set "
                         "export.opset to 14 or higher");
  const auto report = nlohmann::json::parse(read_file(dir.file("runs/hs/report.json")));
  EXPECT_EQ(report["error"]["phase"], "setup");
  EXPECT_EQ(report["error"]["exit_code"], 2);
  EXPECT_TRUE(report["candidate"].is_null());
  EXPECT_FALSE(report.contains("quant"));  // calibration never started
  EXPECT_FALSE(fs::exists(dir.file("runs/hs/qat")));
}

}  // namespace qat
