// The phases of `qat train` (train/pipeline.h): each is a function from the run
// context and the previous phase's result to a typed result. run_pipeline calls
// them in order and hands every result to the report writer (train/report_writer.h).
//
//   open_run → fp32_phase → ptq_phase → qat_phase → export_phase → verify_phase → publish_phase
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qat/export/manifest.h"
#include "qat/metrics/behaviour.h"
#include "qat/metrics/gate.h"
#include "qat/train/calibration_set.h"
#include "qat/train/fp32_trainer.h"
#include "qat/train/qat_trainer.h"
#include "qat/train/quantized_student.h"
#include "qat/train/run_context.h"
#include "qat/train/staged_files.h"

namespace qat::train {

/// The data a run reads (report.json "data").
struct DataSummary {
  std::string path, sha256;
  int64_t train_images = 0, val_images = 0;
  std::vector<std::string> classes;
};

/// Opens the run: the gate and both splits (a bad gate file or split fails first).
DataSummary open_run(RunContext& context);

/// Loads the teacher the recipe gives (an imported model, or qat.fp32_weights) and
/// checks what a later phase would refuse (opset, export profile), so a recipe does
/// not train for an hour and then fail at export.
void check_run(RunContext& context);

/// Where the teacher came from.
enum class TeacherSource { trained, imported, weights };

struct Fp32PhaseResult {
  TeacherSource source = TeacherSource::trained;
  std::vector<EpochRecord> history;  ///< trained: every epoch
  std::optional<int64_t> best_epoch;  ///< trained: 0-based; empty when no epoch ran
  double best_map50 = 0;
  double seconds = 0;
};

/// The FP32 teacher: trained here (exported as fp32/model.fp32.onnx, kept in memory:
/// the one this run trained, whatever else is on disk) unless check_run loaded one.
Fp32PhaseResult fp32_phase(RunContext& context, bool resume);

struct PtqPhaseResult {
  std::unique_ptr<QuantizedStudent> student;  ///< BN-folded, quantizers attached and calibrated
  CalibrationSet calibration;  ///< the images that calibrated
  double seconds = 0;
};

/// Fold, plan and calibrate the student on the train split.
PtqPhaseResult ptq_phase(RunContext& context);

struct QatPhaseResult {
  QatResult qat;
  double seconds = 0;
};

/// QAT with distillation; leaves `ptq.student` holding the selected epoch.
QatPhaseResult qat_phase(RunContext& context, PtqPhaseResult& ptq);

struct ExportResult {
  QatEpoch chosen;  ///< the selected epoch
  std::string profile;
  int opset = 0;
  /// The model, manifest and student checkpoint under this run's staging names.
  std::string staged_model, staged_manifest, staged_student;
  StagedFiles staged;  ///< removes what is not published
  double seconds = 0;
};

/// Exports the selected student as Q/DQ ONNX and as a checkpoint (re-exporting it
/// reproduces the model: qat provenance), under staging names. Needs qat.selected to hold an epoch.
ExportResult export_phase(RunContext& context, PtqPhaseResult& ptq, const QatPhaseResult& qat);

struct VerifyResult {
  double threshold = 0;  ///< the candidate's operating threshold
  metrics::BehaviourStats behaviour;
  metrics::GateVerdict verdict;
  nlohmann::json latency;  ///< FP32 vs INT8 in ONNX Runtime (report.json's onnxruntime.latency)
  double seconds = 0;
};

/// The exported model in ONNX Runtime against the teacher's val detections, through the gate.
VerifyResult verify_phase(RunContext& context, const ExportResult& exported);

struct PublishResult {
  bool candidate = false;
  exporter::ThresholdManifest manifest;  ///< when candidate
  std::string refusal;                   ///< when not
};

/// A passing model goes into place with its manifest and checkpoint (student first,
/// so the model and manifest that name it never precede it); a refused one is kept
/// as rejected.*.
PublishResult publish_phase(RunContext& context, ExportResult& exported, const VerifyResult& verified,
                            const std::map<std::string, std::string>& versions);

/// The library versions of a run's report and manifest, ONNX Runtime's included.
std::map<std::string, std::string> run_versions();

}  // namespace qat::train
