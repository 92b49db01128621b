#include "qat/train/pipeline.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/interrupt.h"
#include "qat/core/logging.h"
#include "qat/core/run_lock.h"
#include "qat/core/sha256.h"
#include "qat/dist/process_group.h"
#include "qat/runtime/onnx_runtime.h"
#include "qat/train/phases.h"
#include "qat/train/run_context.h"
#include "train/distributed.h"
#include "train/report_writer.h"

namespace qat::train {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// The candidate an earlier run published here, as its report names it, when the
// model file is still the one it names; null otherwise.
nlohmann::json published_candidate(const RunLayout& layout) {
  try {
    if (!fs::exists(layout.report) || !fs::exists(layout.model) || !fs::exists(layout.manifest)) return nullptr;
    const auto old = nlohmann::json::parse(read_file(layout.report));
    // Its own candidate, or the one an earlier failed run kept.
    for (const char* key : {"candidate", "kept_candidate"}) {
      const auto it = old.find(key);
      if (it == old.end() || !it->is_object() || !it->contains("model_sha256")) continue;
      return (*it)["model_sha256"] == sha256_file(layout.model) ? *it : nlohmann::json(nullptr);
    }
    return nullptr;
  } catch (const std::exception&) {
    return nullptr;  // an unreadable old report names nothing
  }
}

// The pipeline's phases in run order; phase_name() spells them for report.json and the log.
enum class Phase { setup, fp32, calibrate, qat, export_model, onnxruntime, publish, done };

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::setup: return "setup";
    case Phase::fp32: return "fp32";
    case Phase::calibrate: return "calibrate";
    case Phase::qat: return "qat";
    case Phase::export_model: return "export";
    case Phase::onnxruntime: return "onnxruntime";
    case Phase::publish: return "publish";
    case Phase::done: return "done";
  }
  QAT_ASSERT(false, "unnamed pipeline phase");
}

// The phases in order; `phase` names the one running (for the report when it fails).
void run_phases(RunContext& ctx, const PipelineOptions& options, ReportWriter& report, PipelineResult& result,
                Phase& phase) {
  // One phase: its result goes to the report, then an interrupt stops the run.
  auto step = [&](Phase which, auto&& run) {
    phase = which;
    auto r = run();
    report.add(r);
    throw_if_interrupted();
    return r;
  };
  phase = Phase::setup;
  report.add(open_run(ctx));
  check_run(ctx);
  throw_if_interrupted();
  step(Phase::fp32, [&] { return fp32_phase(ctx, options.resume); });
  PtqPhaseResult ptq = step(Phase::calibrate, [&] { return ptq_phase(ctx); });
  const QatPhaseResult qat = step(Phase::qat, [&] { return qat_phase(ctx, ptq); });
  // The ranks trained the same student; rank 0 alone exports, checks and publishes it.
  if (ctx.group() != nullptr && !ctx.group()->writes()) {
    phase = Phase::done;
    return;
  }
  const auto versions = run_versions();
  report.add(versions);
  if (!qat.qat.selected) {
    report.add_no_passing_epoch(qat.qat);
    phase = Phase::done;
    return;
  }
  ExportResult exported = step(Phase::export_model, [&] { return export_phase(ctx, ptq, qat); });
  const VerifyResult verified = step(Phase::onnxruntime, [&] { return verify_phase(ctx, exported); });
  phase = Phase::publish;
  const PublishResult published = publish_phase(ctx, exported, verified, versions);
  report.add(published);
  result.candidate = published.candidate;
  if (published.candidate) result.threshold = verified.threshold;
  phase = Phase::done;
}

// Training finished: export and the ONNX Runtime re-check failing keep the run (the
// report has every epoch) and say so in the exit code.
bool failed_after_training(Phase phase, const Error& e) {
  return (phase == Phase::export_model || phase == Phase::onnxruntime) && dynamic_cast<const Interrupted*>(&e) == nullptr;
}

void log_outcome(const PipelineResult& result, const ReportWriter& report) {
  const std::string rare = report.rare_classes().empty() ? "" : "; rare classes: " + report.rare_classes();
  if (result.candidate) {
    logger().info("candidate: {} at threshold {:.2f} (manifest {}){}", result.model_path, result.threshold,
                  result.manifest_path, rare);
    return;
  }
  logger().error("no candidate: {}{}", report.refusal(), rare);
  if (!report.published().is_null()) logger().info("the earlier candidate {} stays in place", result.model_path);
}

// The pipeline in this process: the whole run, or the training part of a rank other than 0.
PipelineResult run_here(const Recipe& recipe, const PipelineOptions& options, dist::Group* group) {
  const auto start = Clock::now();
  const InterruptScope interrupts;
  const RankScratch scratch(group);
  RunContext ctx(recipe);
  if (group != nullptr) ctx.join(*group, scratch.dir());
  const RunLayout& layout = ctx.layout();
  PipelineResult result;
  result.run_dir = layout.dir;
  result.model_path = layout.model;
  result.manifest_path = layout.manifest;
  result.report_path = layout.report;
  // One run per directory (RunLock creates it); what killed runs left behind goes first.
  const RunLock lock(layout.dir);
  for (const auto& p : remove_stale_temp_files(layout.dir)) logger().info("removed {} (its run is gone)", p);
  for (const auto& p : runtime::remove_stale_scratch_dirs()) logger().info("removed {} (its run is gone)", p);
  // An earlier candidate stays published until this run has a complete one to replace it.
  ReportWriter report(ctx, published_candidate(layout));
  Phase phase = Phase::setup;
  try {
    run_phases(ctx, options, report, result, phase);
  } catch (const Error& e) {
    const bool after_training = failed_after_training(phase, e);
    const int code = !after_training              ? e.exit_code()
                     : phase == Phase::export_model ? kExitExportFailed
                                                    : kExitRuntimeCheckFailed;
    report.write_failure(phase_name(phase), e.what(), code, since(start));
    if (!after_training) throw;
    logger().error("{} failed: {}", phase == Phase::export_model ? "export" : "the ONNX Runtime re-check", e.what());
    logger().error("no candidate; the report with every epoch is {}", result.report_path);
    result.exit_code = code;
    return result;
  } catch (const std::exception& e) {
    report.write_failure(phase_name(phase), e.what(), kExitInternal, since(start));
    throw;
  }
  if (group != nullptr && !group->writes()) return result;  // rank 0 reports the run
  report.write(result.candidate, since(start));
  result.exit_code = result.candidate ? kExitOk : kExitGateFailed;
  log_outcome(result, report);
  return result;
}

}  // namespace

PipelineResult run_pipeline(const Recipe& recipe, const PipelineOptions& options) {
  const std::unique_ptr<dist::Group> group = dist::join_from_environment(recipe.distributed);
  PipelineResult result = run_here(recipe, options, group.get());
  if (group == nullptr) return result;
  // Rank 0 tells the others how the run ended (they wait while it exports and checks),
  // and they exit with its code. A rank 0 that fails exits instead: the others lose it.
  const std::string key = "qat/run_exit_code";
  if (group->writes()) {
    group->post(key, std::to_string(result.exit_code));
  } else {
    result.exit_code = std::stoi(group->await(key));
  }
  return result;
}

}  // namespace qat::train
