// Broken exports through the whole front door, as `qat train` meets them: seeded
// mutants (support/onnx_mutator.h) of an Ultralytics and a torchvision FCOS export,
// each written to a file, loaded as a detector (import, head adapter, anchors, probe)
// and run on a zero image. Each must load and run or be refused as bad input (a
// qat::Error with exit code 2); a crash, an internal error or another exception fails
// the test, naming the mutant. QAT_MUTANT=<model>:<seed> replays one.
#include <onnx/onnx_pb.h>

#include <fstream>
#include <iostream>

#include "qat/graph/executor.h"
#include "qat/model/onnx_detector.h"
#include "support/onnx_mutator.h"
#include "support/test_support.h"

namespace qat::model {
namespace {

constexpr int kMutantsPerModel = 150;

struct Export {
  const char* file;
  const char* layout;
};

TEST(OnnxDetectorMutants, EveryMutantLoadsAndRunsOrIsRefusedAsBadInput) {
  testing::TempDir dir;
  const char* only = std::getenv("QAT_MUTANT");
  int ran = 0, refused = 0;
  for (const Export& e : {Export{"yolov8-tiny-op13-dynamic.onnx", "ultralytics"},
                          Export{"fcos-tiny-bn-op13-dynamic.onnx", "boxes_scores"}}) {
    onnx::ModelProto original;
    {
      std::ifstream in(testing::source_dir() / "tests/data/models" / e.file, std::ios::binary);
      ASSERT_TRUE(original.ParseFromIstream(&in)) << e.file;
    }
    for (uint32_t seed = 0; seed < kMutantsPerModel; ++seed) {
      const std::string id = std::string(e.file) + ":" + std::to_string(seed);
      if (only && id != only) continue;
      onnx::ModelProto m = original;
      const std::string what = testing::mutate_onnx(m, seed, 1 + static_cast<int>(seed % 2));
      ModelSection section;
      section.onnx = dir.file("mutant.onnx");
      section.head.layout = e.layout;
      {
        std::ofstream out(section.onnx, std::ios::binary);
        ASSERT_TRUE(m.SerializeToOstream(&out));
      }
      bool was_refused = false;
      const std::string failure = testing::failure_unless_bad_input(
          [&] {
            const Detector det = load_onnx_detector(section);
            const int64_t size = det.info.image_size > 0 ? det.info.image_size : 64;
            at::NoGradGuard no_grad;
            graph::Executor(det.graph).run({{det.info.input, at::zeros({1, 3, size, size})}});
          },
          &was_refused);
      ++(was_refused ? refused : ran);
      EXPECT_EQ(failure, "") << "mutant " << id << " [" << what << "]";
    }
  }
  std::cout << "detector mutants: " << ran << " loaded and ran, " << refused << " refused\n";
  if (only) return;
  EXPECT_GT(ran, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace qat::model
