// Broken architecture files: seeded mutants of the shipped configs/arch/yolo-nano.yaml
// (support/yaml_mutator.h), each read, built and run on a zero image. Each must build
// and run, or be refused as bad input (a qat::Error with exit code 2); a crash, an
// internal error or another exception fails the test, naming the mutant.
// QAT_MUTANT=<seed> replays one.
#include <iostream>

#include "qat/core/atomic_file.h"
#include "qat/graph/executor.h"
#include "qat/model/arch_spec.h"
#include "qat/model/detector.h"
#include "support/test_support.h"
#include "support/yaml_mutator.h"

namespace qat::model {
namespace {

constexpr int kMutants = 1000;
constexpr int64_t kImageSize = 64;

// Reads, builds and runs the architecture in `file` on a zero image.
void build_and_run(const std::string& file) {
  const Detector det = build_detector(load_arch(file), {"a", "b", "c"}, kImageSize, 0);
  at::NoGradGuard no_grad;
  graph::Executor(det.graph).run({{det.info.input, at::zeros({1, 3, kImageSize, kImageSize})}});
}

TEST(ArchMutants, EveryMutantBuildsAndRunsOrIsRefusedAsBadInput) {
  const std::string shipped = read_file((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
  testing::TempDir dir;
  const char* only = std::getenv("QAT_MUTANT");
  int ran = 0, refused_count = 0;
  for (uint32_t seed = 0; seed < kMutants; ++seed) {
    if (only && std::to_string(seed) != only) continue;
    const testing::YamlMutant m = testing::mutate_yaml(shipped, seed, 1 + static_cast<int>(seed % 2));
    const std::string file = dir.write("arch.yaml", m.text);
    bool refused = false;
    EXPECT_EQ(testing::failure_unless_bad_input([&] { build_and_run(file); }, &refused), "")
        << "mutant " << seed << " [" << m.what << "]";
    ++(refused ? refused_count : ran);
  }
  std::cout << "arch mutants: " << ran << " ran, " << refused_count << " refused\n";
  if (only) return;
  EXPECT_GT(ran, 0);
  EXPECT_GT(refused_count, 0);
}

}  // namespace
}  // namespace qat::model
