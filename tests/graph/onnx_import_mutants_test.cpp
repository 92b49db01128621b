// Hostile structure: the committed third-party exports (tests/data/models), each
// changed in a few seeded ways a broken or hand-edited export can be
// (support/onnx_mutator.h), imported and, when the import accepts the mutant, run on
// zeros of its input.
//
// Every mutant must import and run, or be refused with a qat::Error that is the
// user's (exit code 2): a crash, an InternalError (QAT_ASSERT, exit 1) or any other
// exception (what the CLI reports as "internal error") fails the test, naming the
// mutant so it can be replayed alone: QAT_MUTANT=<seed> runs only that one, and
// QAT_MUTANTS_TRACE=1 prints each mutant before it runs, and each refusal (a crash
// leaves the last mutant printed on stderr).
#include <onnx/onnx_pb.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "qat/graph/executor.h"
#include "qat/graph/onnx_importer.h"
#include "support/onnx_mutator.h"
#include "support/test_support.h"

namespace qat::graph {
namespace {

namespace fs = std::filesystem;

constexpr int kMutantsPerModel = 80;
// Zeros of more elements than this are not allocated (a mutated input dim).
constexpr int64_t kMaxInputElements = int64_t{1} << 22;

onnx::ModelProto read_model(const fs::path& path) {
  onnx::ModelProto m;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(m.ParseFromIstream(&in)) << path;
  return m;
}

// Zeros for each graph input (dynamic dims at 1); false when one would be too large.
bool zero_inputs(const Graph& graph, ValueMap& inputs) {
  for (const auto& in : graph.inputs()) {
    std::vector<int64_t> shape;
    for (int64_t d : in.shape) shape.push_back(d < 0 ? 1 : d);
    if (c10::multiply_integers(shape) > kMaxInputElements) return false;
    inputs[in.name] = at::zeros(shape, at::TensorOptions().dtype(in.dtype));
  }
  return true;
}

// Imports and runs `m` (its inputs as zeros); failure_unless_bad_input says how that went.
void import_and_run(const onnx::ModelProto& m, const std::string& where) {
  const Graph graph = import_onnx(m, where);
  ValueMap inputs;
  if (!zero_inputs(graph, inputs)) return;
  at::NoGradGuard no_grad;
  Executor(graph).run(inputs);
}

TEST(OnnxImportMutants, EveryMutantImportsAndRunsOrIsRefusedAsBadInput) {
  std::vector<fs::path> models;
  for (const auto& e : fs::directory_iterator(testing::source_dir() / "tests/data/models")) {
    if (e.path().extension() == ".onnx") models.push_back(e.path());
  }
  std::sort(models.begin(), models.end());
  ASSERT_EQ(models.size(), 15u);
  const char* only = std::getenv("QAT_MUTANT");
  const bool trace = std::getenv("QAT_MUTANTS_TRACE") != nullptr;
  int ran = 0, refused_count = 0;
  for (size_t k = 0; k < models.size(); ++k) {
    const onnx::ModelProto original = read_model(models[k]);
    bool refused = false;
    ASSERT_EQ(testing::failure_unless_bad_input([&] { import_and_run(original, models[k].filename().string()); }, &refused),
              "")
        << models[k];
    ASSERT_FALSE(refused) << models[k];
    for (int i = 0; i < kMutantsPerModel; ++i) {
      // One seed per mutant, so a failing one replays alone.
      const uint32_t seed = static_cast<uint32_t>(1000 * k + i);
      if (only && std::to_string(seed) != only) continue;
      onnx::ModelProto m = original;
      const std::string what = testing::mutate_onnx(m, seed, 1 + static_cast<int>(seed % 3));
      const std::string where = models[k].filename().string() + " mutant " + std::to_string(seed) + " [" + what + "]";
      if (trace) std::cerr << where << std::endl;
      const std::string failure = testing::failure_unless_bad_input(
          [&] {
            try {
              import_and_run(m, where);
            } catch (const Error& e) {
              if (trace) std::cerr << "  refused: " << e.what() << "\n";
              throw;
            }
          },
          &refused);
      EXPECT_EQ(failure, "") << where;
      ++(refused ? refused_count : ran);
    }
  }
  std::cout << "mutants: " << ran << " ran, " << refused_count << " refused as bad input\n";
  if (only) return;
  // The mutations must reach both sides of the importer's checks.
  EXPECT_GT(ran, 0);
  EXPECT_GT(refused_count, 0);
}

}  // namespace
}  // namespace qat::graph
