// ONNX's own backend node tests (Debian's libonnx-testdata, installed by
// scripts/setup): every test whose model uses only ops qat registers is
// imported, run through the Executor on each test_data_set_*, and compared with
// the expected outputs at rtol = atol = 1e-4. The pass count is asserted
// exactly and the failures must be the listed ones, so a case that used to pass
// and breaks fails this test (and so does one that starts passing: move it out
// of the list).
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "qat/graph/executor.h"
#include "qat/graph/onnx_importer.h"
#include "support/test_support.h"

namespace qat::graph {
namespace {
namespace fs = std::filesystem;

const char* const kNodeTestDir = "/usr/share/libonnx-testdata/data/node";

// Supported-op cases that fail, with why. Keep sorted.
const std::set<std::string> kExpectedFailures = {
};

constexpr int kExpectedPassed = 0;

enum class Verdict { kUnsupportedOp, kUnsupportedOpset, kPassed, kFailed };

struct Outcome {
  Verdict verdict;
  std::string reason;
};

onnx::ModelProto read_model(const fs::path& path) {
  onnx::ModelProto m;
  std::ifstream in(path, std::ios::binary);
  if (!m.ParseFromIstream(&in)) throw IoError(path.string(), "", "does not parse");
  return m;
}

// Files named prefix_0.pb, prefix_1.pb, ... in order.
std::vector<fs::path> numbered(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  for (int i = 0;; ++i) {
    const fs::path p = dir / (prefix + "_" + std::to_string(i) + ".pb");
    if (!fs::exists(p)) return out;
    out.push_back(p);
  }
}

std::string compare(const at::Tensor& got, const at::Tensor& want) {
  if (got.scalar_type() != want.scalar_type()) {
    return std::string("dtype ") + c10::toString(got.scalar_type()) + " vs " + c10::toString(want.scalar_type());
  }
  if (got.sizes() != want.sizes()) return "shape " + c10::str(got.sizes()) + " vs " + c10::str(want.sizes());
  if (got.numel() == 0) return "";
  const auto g = got.detach().to(at::kDouble), w = want.to(at::kDouble);
  if (!at::allclose(g, w, 1e-4, 1e-4, /*equal_nan=*/true)) {
    return "values differ by up to " + std::to_string((g - w).abs().nan_to_num(0).max().item<double>());
  }
  return "";
}

Outcome run_case(const fs::path& dir) {
  const onnx::ModelProto proto = read_model(dir / "model.onnx");
  for (const auto& n : proto.graph().node()) {
    const bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
    if (!default_domain || !op_registry().contains(n.op_type())) return {Verdict::kUnsupportedOp, n.op_type()};
  }
  for (const auto& o : proto.opset_import()) {
    if ((o.domain().empty() || o.domain() == "ai.onnx") &&
        (o.version() < kMinImportOpset || o.version() > kMaxImportOpset)) {
      return {Verdict::kUnsupportedOpset, std::to_string(o.version())};
    }
  }
  try {
    const Graph graph = import_onnx((dir / "model.onnx").string());
    const Executor exec(graph);
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (!entry.is_directory() || entry.path().filename().string().rfind("test_data_set_", 0) != 0) continue;
      const auto inputs = numbered(entry.path(), "input");
      const auto outputs = numbered(entry.path(), "output");
      ValueMap feed;
      for (size_t i = 0; i < inputs.size() && i < graph.inputs().size(); ++i) {
        feed[graph.inputs()[i].name] = read_onnx_tensor(inputs[i].string());
      }
      at::NoGradGuard no_grad;
      const ValueMap got = exec.run(feed);
      if (outputs.size() != graph.outputs().size()) return {Verdict::kFailed, "output count"};
      for (size_t i = 0; i < outputs.size(); ++i) {
        const std::string diff = compare(got.at(graph.outputs()[i].name), read_onnx_tensor(outputs[i].string()));
        if (!diff.empty()) return {Verdict::kFailed, graph.outputs()[i].name + ": " + diff};
      }
    }
  } catch (const std::exception& e) {
    std::string what = e.what();
    return {Verdict::kFailed, what.substr(0, what.find('\n'))};
  }
  return {Verdict::kPassed, ""};
}

}  // namespace

TEST(OnnxNodeTests, SupportedOpsMatchOnnxReferenceOutputs) {
  ASSERT_TRUE(fs::is_directory(kNodeTestDir)) << kNodeTestDir << " is missing: run scripts/setup (libonnx-testdata)";
  std::vector<fs::path> cases;
  for (const auto& entry : fs::directory_iterator(kNodeTestDir)) {
    if (fs::exists(entry.path() / "model.onnx")) cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  int passed = 0, supported = 0, skipped_ops = 0, skipped_opset = 0;
  std::set<std::string> failed;
  for (const auto& dir : cases) {
    const std::string name = dir.filename().string();
    const Outcome o = run_case(dir);
    switch (o.verdict) {
      case Verdict::kUnsupportedOp: ++skipped_ops; break;
      case Verdict::kUnsupportedOpset: ++skipped_opset; break;
      case Verdict::kPassed:
        ++supported;
        ++passed;
        EXPECT_FALSE(kExpectedFailures.count(name)) << name << " passes now: remove it from kExpectedFailures";
        break;
      case Verdict::kFailed:
        ++supported;
        failed.insert(name);
        EXPECT_TRUE(kExpectedFailures.count(name)) << name << " fails: " << o.reason;
        break;
    }
  }
  std::cout << "onnx node tests: " << passed << " passed of " << supported << " supported-op cases (" << skipped_ops
            << " skipped for unsupported ops, " << skipped_opset << " for opsets outside " << kMinImportOpset
            << " to " << kMaxImportOpset << ")\n";
  EXPECT_EQ(passed, kExpectedPassed);
  for (const auto& name : kExpectedFailures) {
    EXPECT_TRUE(failed.count(name)) << name << " is listed as failing but did not run and fail";
  }
}

}  // namespace qat::graph
