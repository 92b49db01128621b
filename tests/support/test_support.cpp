#include "support/test_support.h"

#include <cstdlib>
#include <fstream>
#include <random>

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

}  // namespace qat::testing
