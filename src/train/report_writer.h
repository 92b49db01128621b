// The one writer of a `qat train` run's reports: report.json from the phases'
// typed results (train/phases.h), metrics.csv from the QAT phase's.
// A failed run's report.json has what its phases produced so far, the error
// (phase, message, exit code) and the earlier candidate still in place.
// Private to the library: nlohmann::json is not part of qat's public headers.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "qat/train/phases.h"

namespace qat::train {

class ReportWriter {
 public:
  /// `published`: the candidate an earlier run left in place (null when none).
  ReportWriter(const RunContext& context, nlohmann::json published);

  void add(const DataSummary& data);
  void add(const Fp32PhaseResult& fp32);
  void add(const PtqPhaseResult& ptq);
  /// Also writes metrics.csv.
  void add(const QatPhaseResult& qat);
  void add(const std::map<std::string, std::string>& versions);
  void add(const ExportResult& exported);
  void add(const VerifyResult& verified);
  void add(const PublishResult& published);
  /// The QAT phase selected no epoch.
  void add_no_passing_epoch(const QatResult& qat);

  /// report.json of a run that ran to the end, `total_seconds` after it started.
  void write(bool candidate, double total_seconds);
  /// report.json of a run that failed in `phase` (logs, never throws, when it cannot be written).
  void write_failure(const std::string& phase, const std::string& message, int exit_code, double total_seconds);

  const nlohmann::json& published() const { return published_; }
  /// Why there is no candidate (after write of a run without one).
  std::string refusal() const { return report_.value("refusal", ""); }
  /// The rare classes of the selected (else the last) QAT epoch for the summary line
  /// (metrics::format_rare_classes: below the gate's min_class_recall, else the 3 lowest).
  const std::string& rare_classes() const { return rare_classes_; }

 private:
  const RunContext& ctx_;
  nlohmann::json published_;
  nlohmann::json report_;
  std::string rare_classes_;
  nlohmann::json timings_;
};

}  // namespace qat::train
