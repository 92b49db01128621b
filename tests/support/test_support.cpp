#include "support/test_support.h"

#include <ATen/Parallel.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <typeinfo>

#include "qat/data/scene_composer.h"

namespace qat::testing {

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = std::filesystem::temp_directory_path() /
                     ("qat-test-" + std::to_string(rd()) + std::to_string(attempt));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const auto p = path_ / name;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << content;
  return p.string();
}

std::filesystem::path source_dir() {
  const char* dir = std::getenv("QAT_SOURCE_DIR");
  return dir ? std::filesystem::path(dir) : std::filesystem::current_path();
}

void write_tiny_scenes(const std::string& path) {
  data::SceneOptions o;
  o.images = 24;
  o.size = 64;
  o.scale_max = 2.0;
  o.max_objects = 2;
  data::compose_fmnist_scenes(o, path);
}

std::string write_gate(const TempDir& dir, const std::string& kind) {
  if (kind == "lenient") {
    return dir.write("lenient.yaml", "min_recall: 0\nmin_precision_agreement: 0\nmin_median_iou: 0\nmax_confidence_mae: 1\n");
  }
  if (kind == "strict") {
    return dir.write("strict.yaml", "min_recall: 1\nmin_precision_agreement: 1\nmin_median_iou: 1\nmax_confidence_mae: 0\n");
  }
  throw std::invalid_argument("unknown gate kind " + kind);
}

::testing::AssertionResult same_bits(const at::Tensor& got, const at::Tensor& want) {
  if (!got.sizes().equals(want.sizes())) {
    return ::testing::AssertionFailure() << "shape " << got.sizes() << " vs " << want.sizes();
  }
  const auto g = got.detach().contiguous(), w = want.detach().contiguous();
  const auto* gp = reinterpret_cast<const uint32_t*>(g.data_ptr<float>());
  const auto* wp = reinterpret_cast<const uint32_t*>(w.data_ptr<float>());
  for (int64_t i = 0; i < g.numel(); ++i) {
    if (gp[i] != wp[i]) {
      return ::testing::AssertionFailure() << "element " << i << " of " << g.numel() << ": " << g.data_ptr<float>()[i]
                                           << " vs the reference's " << w.data_ptr<float>()[i];
    }
  }
  return ::testing::AssertionSuccess();
}

ScopedThreads::ScopedThreads(int threads) : saved_(at::get_num_threads()) { at::set_num_threads(threads); }
ScopedThreads::~ScopedThreads() { at::set_num_threads(saved_); }

graph::Graph shared_head() {
  graph::Graph g;
  g.add_input({"p3", {1, 2, 6, 6}});
  g.add_input({"p4", {1, 2, 3, 3}});
  at::manual_seed(3);
  g.set_initializer("head.conv.weight", at::randn({3, 2, 3, 3}), true);
  g.set_initializer("head.conv.bias", at::randn({3}), true);
  graph::Attributes pads;
  pads.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.add_node({"/head/conv/Identity", "Identity", {"head.conv.weight"}, {"onnx::Conv_7"}, {}});
  g.add_node({"/head/conv/Identity_1", "Identity", {"head.conv.bias"}, {"onnx::Conv_8"}, {}});
  g.add_node({"/head/conv/Conv", "Conv", {"p3", "head.conv.weight", "head.conv.bias"}, {"y3"}, pads});
  g.add_node({"/head/conv_1/Conv", "Conv", {"p4", "onnx::Conv_7", "onnx::Conv_8"}, {"y4"}, pads});
  g.add_output({"y3", {1, 3, 6, 6}});
  g.add_output({"y4", {1, 3, 3, 3}});
  return g;
}

std::string failure_unless_bad_input(const std::function<void()>& f, bool* refused) {
  if (refused) *refused = false;
  try {
    f();
  } catch (const Error& e) {
    if (refused) *refused = true;
    if (e.exit_code() != kExitBadInput) return "exit code " + std::to_string(e.exit_code()) + ": " + e.what();
  } catch (const std::exception& e) {
    return std::string("not a qat::Error: ") + typeid(e).name() + " " + e.what();
  }
  return "";
}

}  // namespace qat::testing
