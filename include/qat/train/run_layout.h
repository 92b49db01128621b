// Every path of a run, in one place: <output_dir>/<name>/ and what the phases
// write there (README "Artifacts"; the pipeline's header lists the same files).
#pragma once

#include <string>

#include "qat/recipe/recipe.h"

namespace qat::train {

struct RunLayout {
  /// The run of `recipe`: <output_dir>/<name>.
  explicit RunLayout(const Recipe& recipe);
  /// The run in directory `dir`.
  explicit RunLayout(std::string dir);

  std::string dir;
  // The FP32 phase (fp32/).
  std::string fp32_dir;      ///< fp32/
  std::string fp32_last;     ///< fp32/last.h5: resumes training
  std::string fp32_best;     ///< fp32/best.h5: the best epoch's (evaluated) weights
  std::string fp32_metrics;  ///< fp32/metrics.csv
  std::string fp32_onnx;     ///< fp32/model.fp32.onnx
  // The candidate and the reports of `qat train`.
  std::string model;             ///< model.int8.onnx
  std::string manifest;          ///< model.int8.threshold.json
  std::string student;           ///< qat/best.h5: the exported student
  std::string rejected_model;    ///< rejected.model.int8.onnx: exported, refused in ONNX Runtime
  std::string rejected_student;  ///< qat/rejected.best.h5
  std::string report;            ///< report.json
  std::string metrics;           ///< metrics.csv: one row per QAT epoch (PTQ first)
  std::string html;              ///< report.html (and its main chart, report.svg)
  // The other commands' reports.
  std::string ptq_report;    ///< ptq/report.json (`qat ptq`)
  std::string sweep_report;  ///< sweep/report.json (`qat sweep`)

  /// `path` under this process's staging name (core/run_lock.h), in the same directory.
  static std::string staged(const std::string& path);
};

/// The directory of a recipe's run: <output_dir>/<name>.
std::string run_directory(const Recipe& recipe);

}  // namespace qat::train
