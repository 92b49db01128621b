#include "qat/train/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/run_lock.h"
#include "qat/train/run_layout.h"
#include "qat/train/svg_chart.h"

namespace qat::train {
namespace {

using json = nlohmann::ordered_json;  // keys in their order in the text: the A/B columns as written
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The behaviour metrics the charts and tables show, with their gate bounds and colours.
struct Metric {
  const char* key;
  const char* label;
  const char* bound;  // key in qat.gate_limits
  const char* color;
  bool lower_is_better;
};
constexpr Metric kMetrics[] = {
    {"recall", "recall", "min_recall", "#1f77b4", false},
    {"precision_agreement", "precision agreement", "min_precision_agreement", "#2ca02c", false},
    {"median_iou", "median IoU", "min_median_iou", "#ff7f0e", false},
    {"confidence_mae", "confidence MAE", "max_confidence_mae", "#9467bd", true},
};

struct Cause {
  const char* key;
  const char* label;
  const char* color;
};
constexpr Cause kCauses[] = {
    {"below_threshold", "below threshold", "#ff7f0e"},
    {"wrong_class", "wrong class", "#d62728"},
    {"box", "box", "#9467bd"},
    {"absent", "absent", "#7f7f7f"},
};

const json* find(const json& report, const std::string& pointer) {
  const json::json_pointer p(pointer);
  return report.contains(p) ? &report.at(p) : nullptr;
}

double number_at(const json& report, const std::string& pointer) {
  const json* v = find(report, pointer);
  return v != nullptr && v->is_number() ? v->get<double>() : kNaN;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

// The text a figure shows: a number with `decimals` decimals when it has any, else as it is
// written (a count). By the figure's meaning, not its JSON type: JavaScript writes a
// recall of 1.0 as 1 (scripts/ab rewrites report.json), and the page shows 1.0000 either way.
std::string figure_text(const json& v, int decimals) {
  if (v.is_number() && decimals > 0) return fixed(v.get<double>(), decimals);
  if (v.is_number()) return v.dump();
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_null()) return "-";
  return v.dump();
}

// An element showing the figure at `pointer`, tagged with it; "-" when the report lacks it.
// `decimals`: 0 for counts, ids and text, else the fraction's decimals (data-decimals).
std::string fig(const json& report, const std::string& pointer, int decimals = 0, const char* tag = "td") {
  const std::string open = std::string("<") + tag;
  const std::string close = std::string("</") + tag + ">";
  const json* v = find(report, pointer);
  if (v == nullptr || v->is_null() || v->is_structured()) return open + ">-" + close;
  std::string attrs = " data-ref=\"" + xml_escape(pointer) + "\"";
  if (v->is_number() && decimals > 0) attrs += " data-decimals=\"" + std::to_string(decimals) + "\"";
  return open + attrs + ">" + xml_escape(figure_text(*v, decimals)) + close;
}

std::string epoch_name(const json& epoch) {
  const json& e = epoch.at("epoch");
  return e.is_string() ? e.get<std::string>() : "epoch " + e.dump();
}

// Index in qat.epochs of the selected epoch; the last one when none was selected.
std::optional<size_t> selected_index(const json& report) {
  const json* epochs = find(report, "/qat/epochs");
  if (epochs == nullptr || !epochs->is_array() || epochs->empty()) return std::nullopt;
  const json* selected = find(report, "/qat/selected");
  if (selected != nullptr && !selected->is_null()) {
    for (size_t i = 0; i < epochs->size(); ++i) {
      if ((*epochs)[i].at("epoch") == *selected) return i;
    }
  }
  return std::nullopt;
}

std::string row(const std::string& header, const std::string& cells) {
  return "<tr><th>" + xml_escape(header) + "</th>" + cells + "</tr>\n";
}

std::string section(const std::string& id, const std::string& title, const std::string& body) {
  return "<section id=\"" + id + "\">\n<h2>" + xml_escape(title) + "</h2>\n" + body + "</section>\n";
}

std::string main_chart(const json& r);  // report.svg's chart, also the first of the page

std::string summary_section(const json& r) {
  std::string verdict;
  if (find(r, "/candidate") != nullptr && r.at("candidate").is_object()) {
    verdict = "<p class=\"pass\">Candidate " + fig(r, "/candidate/model", 0, "span") + " at score threshold " +
              fig(r, "/candidate/threshold", 2, "span") + " (teacher " + fig(r, "/candidate/teacher_threshold", 2, "span") +
              ").</p>\n";
  } else if (find(r, "/error") != nullptr) {
    verdict = "<p class=\"fail\">The run failed in phase " + fig(r, "/error/phase", 0, "span") + " (exit code " +
              fig(r, "/error/exit_code", 0, "span") + "): " + fig(r, "/error/message", 0, "span") + "</p>\n";
  } else if (find(r, "/refusal") != nullptr) {
    verdict = "<p class=\"fail\">No candidate: " + fig(r, "/refusal", 0, "span") + "</p>\n";
  }
  if (find(r, "/kept_candidate/model") != nullptr) {
    verdict += "<p>The earlier candidate " + fig(r, "/kept_candidate/model", 0, "span") + " stays in place.</p>\n";
  }
  std::string t = "<table class=\"facts\">\n";
  t += row("recipe", fig(r, "/recipe", 0) + fig(r, "/recipe_hash", 0));
  t += row("seed", fig(r, "/seed"));
  t += row("images (train, val)", fig(r, "/data/train_images") + fig(r, "/data/val_images"));
  t += row("FP32 teacher (best epoch, val mAP@0.5)", fig(r, "/fp32/best_epoch") + fig(r, "/fp32/best_val_map50", 4));
  t += row("quantized ops, quantizers", fig(r, "/quant/quantized_ops") + fig(r, "/quant/quantizers"));
  t += row("calibration images", fig(r, "/quant/calibration_images"));
  t += row("selected epoch (objective)", fig(r, "/qat/selected", 0) + fig(r, "/qat/objective", 0));
  t += row("lowest loss epoch", fig(r, "/qat/lowest_loss", 0));
  t += row("export profile, opset", fig(r, "/export/profile", 0) + fig(r, "/export/opset"));
  t += "</table>\n";
  return "<h1>qat run " + xml_escape(find(r, "/recipe") ? figure_text(r.at("recipe"), 0) : std::string("?")) +
         "</h1>\n" + verdict + t;
}

std::string behaviour_section(const json& r) {
  const json* epochs = find(r, "/qat/epochs");
  if (epochs == nullptr || !epochs->is_array() || epochs->empty()) return "";
  std::string t = "<table>\n<tr><th>epoch</th><th>loss</th>";
  for (const auto& m : kMetrics) t += "<th>" + std::string(m.label) + "</th>";
  t += "<th>gate at the teacher threshold</th><th>passing threshold</th><th>seconds</th></tr>\n";
  if (find(r, "/qat/gate_limits") != nullptr) {
    t += "<tr class=\"gate\"><th>gate</th><td></td>";
    for (const auto& m : kMetrics) t += fig(r, std::string("/qat/gate_limits/") + m.bound, 4);
    t += "<td></td><td></td><td></td></tr>\n";
  }
  for (size_t i = 0; i < epochs->size(); ++i) {
    const std::string e = "/qat/epochs/" + std::to_string(i);
    std::string cells = fig(r, e + "/loss", 4);
    for (const auto& m : kMetrics) cells += fig(r, e + "/at_teacher_threshold/" + m.key, 4);
    cells += fig(r, e + "/gate_at_teacher_threshold", 0) + fig(r, e + "/threshold", 2) + fig(r, e + "/seconds", 1);
    t += row(epoch_name((*epochs)[i]), cells);
  }
  t += "</table>\n";
  std::string body = "<p>Student against teacher at the teacher's threshold " +
                     fig(r, "/qat/teacher_threshold", 2, "span") +
                     "; dashed: the gate's bounds (1 - the MAE bound for 1 - confidence MAE); dotted: the selected "
                     "epoch.</p>\n";
  return section("behaviour", "Behaviour per epoch", body + "<figure>\n" + main_chart(r) + "</figure>\n" + t);
}

std::string per_class_section(const json& r) {
  const json* epochs = find(r, "/qat/epochs");
  const json* classes = find(r, "/data/classes");
  if (epochs == nullptr || !epochs->is_array() || epochs->empty() ||
      !epochs->front().at("at_teacher_threshold").contains("recall_per_class")) {
    return "";
  }
  // PTQ against the selected epoch; against the last one when PTQ or nothing was selected.
  const auto selected = selected_index(r);
  const bool compare_selected = selected && *selected > 0;
  const size_t other = compare_selected ? *selected : epochs->size() - 1;
  const std::string ptq = "/qat/epochs/0/at_teacher_threshold/";
  const std::string sel = "/qat/epochs/" + std::to_string(other) + "/at_teacher_threshold/";
  const std::string sel_name = epoch_name((*epochs)[other]) + (compare_selected ? " (selected)" : " (last)");
  RowChart chart;
  chart.title = "Recall per class at the teacher threshold";
  chart.kind = RowChart::Kind::dots;
  chart.series = {{epoch_name(epochs->front()), "#d62728", {}}, {sel_name, "#1f77b4", {}}};
  std::string t = "<table>\n<tr><th>class</th><th>teacher detections</th><th>recall " +
                  xml_escape(epoch_name(epochs->front())) + "</th><th>recall " + xml_escape(sel_name) + "</th></tr>\n";
  const size_t n = r.at(json::json_pointer(ptq + "recall_per_class")).size();
  for (size_t c = 0; c < n; ++c) {
    const std::string k = std::to_string(c);
    if (!(number_at(r, ptq + "teacher_per_class/" + k) > 0)) continue;  // no teacher detections: no recall
    const std::string name = classes != nullptr && c < classes->size() ? (*classes)[c].get<std::string>() : k;
    chart.rows.push_back(name);
    chart.series[0].values.push_back(number_at(r, ptq + "recall_per_class/" + k));
    chart.series[1].values.push_back(number_at(r, sel + "recall_per_class/" + k));
    t += row(name, fig(r, ptq + "teacher_per_class/" + k) + fig(r, ptq + "recall_per_class/" + k, 4) +
                       fig(r, sel + "recall_per_class/" + k, 4));
  }
  t += "</table>\n";
  const double floor = number_at(r, "/qat/gate_limits/min_class_recall");
  if (floor > 0) chart.lines.push_back({"gate min class recall", floor, "#000000"});
  return section("per-class", "Recall per class: " + epoch_name(epochs->front()) + " and " + sel_name,
                 "<figure>\n" + render_svg(chart) + "</figure>\n" + t);
}

std::string misses_section(const json& r) {
  const json* epochs = find(r, "/qat/epochs");
  if (epochs == nullptr || !epochs->is_array() || epochs->empty()) return "";
  std::vector<std::pair<std::string, std::string>> rows;  // name, pointer to the behaviour
  for (size_t i = 0; i < epochs->size(); ++i) {
    rows.emplace_back(epoch_name((*epochs)[i]), "/qat/epochs/" + std::to_string(i) + "/at_teacher_threshold");
  }
  if (find(r, "/onnxruntime/behaviour/misses") != nullptr) rows.emplace_back("onnxruntime", "/onnxruntime/behaviour");
  RowChart chart;
  chart.title = "Missed teacher detections by cause";
  chart.integers = true;
  for (const auto& c : kCauses) chart.series.push_back({c.label, c.color, {}});
  std::string t = "<table>\n<tr><th></th><th>teacher detections</th><th>matched</th>";
  for (const auto& c : kCauses) t += "<th>" + std::string(c.label) + "</th>";
  t += "</tr>\n";
  for (const auto& [name, p] : rows) {
    chart.rows.push_back(name);
    std::string cells = fig(r, p + "/teacher_count") + fig(r, p + "/matched");
    for (size_t k = 0; k < std::size(kCauses); ++k) {
      chart.series[k].values.push_back(number_at(r, p + "/misses/" + kCauses[k].key));
      cells += fig(r, p + "/misses/" + kCauses[k].key);
    }
    t += row(name, cells);
  }
  t += "</table>\n";
  return section("misses", "Misses by cause",
                 "<p>The epochs at the teacher threshold; onnxruntime at the deployed threshold.</p>\n<figure>\n" +
                     render_svg(chart) + "</figure>\n" + t);
}

std::string onnxruntime_section(const json& r) {
  if (find(r, "/onnxruntime/behaviour") == nullptr) return "";
  std::string t = "<table>\n<tr><th>threshold</th>";
  for (const auto& m : kMetrics) t += "<th>" + std::string(m.label) + "</th>";
  t += "<th>gate</th></tr>\n<tr>" + fig(r, "/onnxruntime/threshold", 2);
  for (const auto& m : kMetrics) t += fig(r, std::string("/onnxruntime/behaviour/") + m.key, 4);
  t += fig(r, "/onnxruntime/gate", 0) + "</tr>\n</table>\n";
  return section("onnxruntime", "The exported model in ONNX Runtime", t);
}

// `key` as one JSON pointer token: a column "recall[T-shirt/top]" is "recall[T-shirt~1top]".
std::string pointer_token(const std::string& key) {
  std::string out;
  for (char ch : key) out += ch == '~' ? std::string("~0") : ch == '/' ? std::string("~1") : std::string(1, ch);
  return out;
}

// The decimals of an A/B column, as scripts/ab's ab.md prints it: thresholds 2, seconds 1,
// behaviour 4.
int ab_decimals(const std::string& column) { return column == "threshold" ? 2 : column == "seconds" ? 1 : 4; }

// The A/B table: `ab` is an array of rows (or {teacher, teacher_threshold, rows: [...]});
// each row's numbers and strings are its columns, in the order they first appear.
std::string ab_section(const json& r) {
  const json* ab = find(r, "/ab");
  if (ab == nullptr) return "";
  std::string base = "/ab";
  if (ab->is_object() && ab->contains("rows")) ab = &ab->at("rows"), base = "/ab/rows";
  if (!ab->is_array() || ab->empty()) return "";
  std::vector<std::string> columns;
  for (const auto& row_json : *ab) {
    if (!row_json.is_object()) continue;
    for (const auto& [k, v] : row_json.items()) {
      if (v.is_primitive() && std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
    }
  }
  std::string t = "<table>\n<tr>";
  for (const auto& c : columns) t += "<th>" + xml_escape(c) + "</th>";
  t += "</tr>\n";
  for (size_t i = 0; i < ab->size(); ++i) {
    t += "<tr>";
    for (const auto& c : columns) {
      t += fig(r, base + "/" + std::to_string(i) + "/" + pointer_token(c), ab_decimals(c));
    }
    t += "</tr>\n";
  }
  t += "</table>\n";
  std::string intro;
  if (find(r, "/ab/teacher") != nullptr && find(r, "/ab/teacher_threshold") != nullptr) {
    intro = "<p>Teacher " + fig(r, "/ab/teacher", 0, "span") + ", figures at its threshold " +
            fig(r, "/ab/teacher_threshold", 2, "span") +
            "; threshold: where each passes the gate (- none in qat.threshold_search); seconds: the qat ptq "
            "process, or calibration and the QAT phase.</p>\n";
  }
  return section("ab", "A/B: the same teacher and validation split", intro + t);
}

std::string latency_section(const json& r) {
  const json* l = find(r, "/onnxruntime/latency");
  if (l == nullptr || !l->is_object() || !l->contains("fp32_ms") || !l->contains("int8_ms")) return "";
  RowChart chart;
  chart.title = "Latency in ONNX Runtime (ms, median)";
  chart.rows = {"FP32", "INT8"};
  chart.series = {{"FP32", "#1f77b4", {number_at(r, "/onnxruntime/latency/fp32_ms"), kNaN}},
                  {"INT8", "#2ca02c", {kNaN, number_at(r, "/onnxruntime/latency/int8_ms")}}};
  std::string t = "<table>\n<tr><th>FP32 ms</th><th>INT8 ms</th><th>FP32 / INT8</th><th>profile</th><th>batch</th>"
                  "<th>threads</th><th>runs</th></tr>\n<tr>";
  const std::string p = "/onnxruntime/latency/";
  t += fig(r, p + "fp32_ms", 2) + fig(r, p + "int8_ms", 2) + fig(r, p + "fp32_over_int8", 2) + fig(r, p + "profile", 0) +
       fig(r, p + "batch") + fig(r, p + "threads") + fig(r, p + "runs") + "</tr>\n</table>\n";
  return section("latency", "FP32 and INT8 latency", "<figure>\n" + render_svg(chart) + "</figure>\n" + t);
}

std::string timings_section(const json& r) {
  const json* timings = find(r, "/timings");
  if (timings == nullptr || !timings->is_object() || timings->empty()) return "";
  RowChart chart;
  chart.title = "Wall time per phase (s)";
  chart.series = {{"seconds", "#7f7f7f", {}}};
  std::vector<std::string> keys = {"fp32_s", "calibrate_s", "qat_s", "export_s", "onnxruntime_s"};  // run order
  for (const auto& [k, v] : timings->items()) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end() && k != "total_s") keys.push_back(k);
  }
  keys.push_back("total_s");
  std::string t = "<table>\n";
  for (const auto& k : keys) {
    const json* v = find(r, "/timings/" + k);
    if (v == nullptr || !v->is_number()) continue;
    if (k != "total_s") chart.rows.push_back(k), chart.series[0].values.push_back(v->get<double>());
    t += row(k, fig(r, "/timings/" + k, 1));
  }
  t += "</table>\n";
  return section("timings", "Timings", "<figure>\n" + render_svg(chart) + "</figure>\n" + t);
}

std::string fp32_section(const json& r) {
  const json* h = find(r, "/fp32/history");
  if (h == nullptr || !h->is_array() || h->empty()) return "";
  std::string t = "<table>\n<tr><th>epoch</th><th>lr</th><th>loss</th><th>val mAP@0.5</th><th>val recall at the "
                  "threshold</th><th>seconds</th></tr>\n";
  for (size_t i = 0; i < h->size(); ++i) {
    const std::string e = "/fp32/history/" + std::to_string(i);
    t += "<tr>" + fig(r, e + "/epoch") + fig(r, e + "/lr", 5) + fig(r, e + "/loss", 4) + fig(r, e + "/val_map50", 4) +
         fig(r, e + "/val_recall_at_threshold", 4) + fig(r, e + "/seconds", 1) + "</tr>\n";
  }
  t += "</table>\n";
  return section("fp32", "FP32 teacher training (epochs from 0)", t);
}

constexpr const char* kStyle = R"(body { font-family: sans-serif; margin: 2em auto; max-width: 980px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #f4f4f4; }
table.facts th { text-align: left; }
tr.gate td { color: #888; font-style: italic; }
.pass { color: #1a7f37; font-weight: bold; }
.fail { color: #c62828; font-weight: bold; }
figure { margin: 0.5em 0; }
)";

std::string main_chart(const json& r) {
  LineChart chart;
  const json* epochs = find(r, "/qat/epochs");
  const double t = number_at(r, "/qat/teacher_threshold");
  chart.title = "Student vs teacher per epoch" + (std::isnan(t) ? std::string() : " at " + fixed(t, 2));
  for (const auto& m : kMetrics) {
    chart.series.push_back({m.lower_is_better ? std::string("1 - ") + m.label : m.label, m.color, {}});
    const double bound = number_at(r, std::string("/qat/gate_limits/") + m.bound);
    if (!std::isnan(bound)) {
      chart.lines.push_back({std::string("gate ") + (m.lower_is_better ? "1 - max " : "min ") + m.label,
                             m.lower_is_better ? 1 - bound : bound, m.color});
    }
  }
  if (epochs != nullptr && epochs->is_array()) {
    for (size_t i = 0; i < epochs->size(); ++i) {
      const std::string e = "/qat/epochs/" + std::to_string(i) + "/at_teacher_threshold/";
      chart.x.push_back(epoch_name((*epochs)[i]));
      for (size_t k = 0; k < std::size(kMetrics); ++k) {
        const double v = number_at(r, e + kMetrics[k].key);
        chart.series[k].values.push_back(kMetrics[k].lower_is_better ? 1 - v : v);
      }
    }
  }
  chart.marked = selected_index(r);
  return render_svg(chart);
}

json parse(const std::string& text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw Error(std::string("the report is not JSON: ") + e.what());
  }
}

}  // namespace

std::string report_main_chart_svg(const std::string& report_json) { return main_chart(parse(report_json)); }

std::string report_html(const std::string& report_json) {
  const json r = parse(report_json);
  std::string h = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
                  "<meta charset=\"utf-8\"/>\n<title>qat run " +
                  xml_escape(find(r, "/recipe") ? figure_text(r.at("recipe"), 0) : std::string("?")) +
                  "</title>\n<style>\n" + kStyle + "</style>\n</head>\n<body>\n";
  h += summary_section(r);
  h += behaviour_section(r);
  h += per_class_section(r);
  h += misses_section(r);
  h += onnxruntime_section(r);
  h += ab_section(r);
  h += latency_section(r);
  h += timings_section(r);
  h += fp32_section(r);
  return h + "</body>\n</html>\n";
}

void write_html_report(const std::string& run_dir, const std::string& report_json) {
  write_file_atomic(run_dir + "/report.html", report_html(report_json));
  write_file_atomic(run_dir + "/report.svg", report_main_chart_svg(report_json));
}

RenderedReport render_run_report(const std::string& run_dir) {
  namespace fs = std::filesystem;
  std::string dir = run_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw IoError(dir, "", "no such run directory");
  const RunLayout layout(dir);
  // Checked before the lock, which would leave a .lock in a directory that is no run.
  if (!fs::is_regular_file(layout.report, ec)) {
    throw IoError(layout.report, "", "missing: not a run directory, or `qat train` has not written its report yet");
  }
  const RunLock lock(dir);
  const std::string text = read_file(layout.report);
  json report;
  try {
    report = json::parse(text);
  } catch (const json::exception& e) {
    throw IoError(layout.report, "", std::string("not JSON: ") + e.what());
  }
  if (!report.is_object()) throw IoError(layout.report, "", "not a run report (a JSON object)");
  write_html_report(dir, text);
  return {layout.html, dir + "/report.svg"};
}

}  // namespace qat::train
