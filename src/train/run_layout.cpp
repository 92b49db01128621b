#include "qat/train/run_layout.h"

#include <filesystem>

#include "qat/core/run_lock.h"

namespace qat::train {
namespace fs = std::filesystem;

RunLayout::RunLayout(const Recipe& recipe) : RunLayout(run_directory(recipe)) {}

RunLayout::RunLayout(std::string run_dir) : dir(std::move(run_dir)) {
  fp32_dir = (fs::path(dir) / "fp32").string();
  fp32_last = fp32_dir + "/last.h5";
  fp32_best = fp32_dir + "/best.h5";
  fp32_metrics = fp32_dir + "/metrics.csv";
  fp32_onnx = fp32_dir + "/model.fp32.onnx";
  model = dir + "/model.int8.onnx";
  manifest = dir + "/model.int8.threshold.json";
  student = dir + "/qat/best.h5";
  rejected_model = dir + "/rejected.model.int8.onnx";
  rejected_student = dir + "/qat/rejected.best.h5";
  report = dir + "/report.json";
  metrics = dir + "/metrics.csv";
  html = dir + "/report.html";
  ptq_report = dir + "/ptq/report.json";
  sweep_report = dir + "/sweep/report.json";
}

std::string RunLayout::staged(const std::string& path) {
  const fs::path p(path);
  return (p.parent_path() / staging_name(p.filename().string())).string();
}

std::string run_directory(const Recipe& recipe) {
  return (fs::path(recipe.output_dir) / recipe.name).string();
}

}  // namespace qat::train
