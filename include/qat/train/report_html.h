// The run report a person looks at: report.html (one self-contained XHTML file, charts
// as inline SVG, no scripts and no network fetches) and report.svg (its main chart, for
// the nightly summary), both made from report.json's text alone.
#pragma once

#include <string>

namespace qat::train {

/// The behaviour of each epoch (PTQ first) against the teacher at the teacher's threshold
/// (recall, precision agreement, median IoU, 1 - confidence MAE) with the gate's bounds
/// (qat.gate_limits) dashed and the selected epoch marked: a standalone <svg>.
std::string report_main_chart_svg(const std::string& report_json);

/// report.html: the verdict, behaviour per epoch, per-class recall of PTQ and the selected
/// epoch, misses by cause, the ONNX Runtime re-check, the A/B table (`ab`, when the report
/// has one), FP32 vs INT8 latency (`onnxruntime.latency`, when present), timings and the
/// FP32 history; sections whose figures the report lacks are left out. Every figure taken
/// from the report is the text of an element whose `data-ref` is its JSON pointer in the
/// report (`/qat/epochs/1/at_teacher_threshold/recall`), with `data-decimals` for a
/// fraction (by the figure's meaning: a recall written 1 shows 1.0000), so a reader (or a
/// test) can check each against report.json. The A/B columns come in the order the report's
/// text first has them, with scripts/ab's ab.md decimals (threshold 2, seconds 1, else 4).
std::string report_html(const std::string& report_json);

/// Throws qat::Error when `report_json` is not JSON.
/// Writes `run_dir`/report.html and `run_dir`/report.svg (atomically, each).
void write_html_report(const std::string& run_dir, const std::string& report_json);

/// The files render_run_report wrote.
struct RenderedReport {
  std::string html;  ///< <run_dir>/report.html
  std::string svg;   ///< <run_dir>/report.svg
};

/// `qat report RUN_DIR`: report.html and report.svg made again from the run's report.json
/// alone, without training (scripts/ab calls it after adding `ab`). Holds the run
/// directory's lock while it reads and writes, so a `qat train` of the run in progress is
/// refused, not raced. Throws IoError naming the path when `run_dir` is not a directory,
/// has no report.json, or its report.json is not a JSON object.
RenderedReport render_run_report(const std::string& run_dir);

}  // namespace qat::train
