#include "qat/train/report_html.h"

#include <gmock/gmock.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "qat/core/atomic_file.h"
#include "support/test_support.h"

namespace qat::train {
namespace {

using json = nlohmann::json;

void collect_error(void* errors, const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof(buf), format, args);
  va_end(args);
  *static_cast<std::string*>(errors) += buf;
}

// A parsed XML document (strict: no recovery, no network, no entity loading).
struct Xml {
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> doc{nullptr, xmlFreeDoc};
  std::string errors;

  explicit Xml(const std::string& text) {
    xmlSetGenericErrorFunc(&errors, collect_error);
    doc.reset(xmlReadMemory(text.data(), static_cast<int>(text.size()), "report.html", "UTF-8", XML_PARSE_NONET));
    xmlSetGenericErrorFunc(nullptr, nullptr);
  }

  struct Node {
    std::string name;
    std::map<std::string, std::string> attributes;
    std::string text;
  };

  // The elements `xpath` selects (prefixes h: XHTML, s: SVG).
  std::vector<Node> select(const std::string& xpath) const {
    std::vector<Node> out;
    std::unique_ptr<xmlXPathContext, void (*)(xmlXPathContextPtr)> ctx(xmlXPathNewContext(doc.get()),
                                                                        xmlXPathFreeContext);
    xmlXPathRegisterNs(ctx.get(), BAD_CAST "h", BAD_CAST "http://www.w3.org/1999/xhtml");
    xmlXPathRegisterNs(ctx.get(), BAD_CAST "s", BAD_CAST "http://www.w3.org/2000/svg");
    std::unique_ptr<xmlXPathObject, void (*)(xmlXPathObjectPtr)> found(
        xmlXPathEvalExpression(BAD_CAST xpath.c_str(), ctx.get()), xmlXPathFreeObject);
    if (!found || found->nodesetval == nullptr) return out;
    for (int i = 0; i < found->nodesetval->nodeNr; ++i) {
      xmlNodePtr n = found->nodesetval->nodeTab[i];
      Node node;
      node.name = reinterpret_cast<const char*>(n->name);
      for (xmlAttrPtr a = n->properties; a != nullptr; a = a->next) {
        xmlChar* v = xmlNodeGetContent(reinterpret_cast<xmlNodePtr>(a));
        node.attributes[reinterpret_cast<const char*>(a->name)] = reinterpret_cast<const char*>(v);
        xmlFree(v);
      }
      xmlChar* text = xmlNodeGetContent(n);
      node.text = reinterpret_cast<const char*>(text);
      xmlFree(text);
      out.push_back(node);
    }
    return out;
  }
};

json behaviour(double recall, double precision, double iou, double mae, std::vector<double> per_class,
               std::vector<int64_t> teacher_per_class, std::vector<int64_t> misses) {
  return {{"teacher_count", 200},
          {"student_count", 198},
          {"matched", 200 - (misses[0] + misses[1] + misses[2] + misses[3])},
          {"recall", recall},
          {"precision_agreement", precision},
          {"median_iou", iou},
          {"confidence_mae", mae},
          {"recall_per_class", per_class},
          {"teacher_per_class", teacher_per_class},
          {"misses",
           {{"below_threshold", misses[0]},
            {"wrong_class", misses[1]},
            {"box", misses[2]},
            {"absent", misses[3]},
            {"teacher_scores", {0.71, 0.72}}}}};
}

json epoch(json label, double loss, json stats, bool passed) {
  json e = {{"epoch", label}, {"lr", 0.0001},  {"loss", loss},     {"loss_parts", json::object()},
            {"at_teacher_threshold", stats}, {"gate_at_teacher_threshold", passed ? "passed" : "recall 0.9475 < 0.95"},
            {"passed", passed}, {"seconds", 61.25}};
  if (passed) e["threshold"] = 0.69, e["at_threshold"] = stats, e["objective"] = 0.99;
  return e;
}

// A report as run_pipeline writes it: PTQ fails the gate, epoch 2 passes and is selected.
json sample_report() {
  json r = {{"recipe", "rare & <skewed>"}, {"recipe_hash", "abc123"}, {"seed", 0}};
  r["data"] = {{"train_images", 96}, {"val_images", 24}, {"classes", {"Bag", "Coat", "Sandal"}}};
  r["fp32"] = {{"best_epoch", 2},
               {"best_val_map50", 0.8653},
               {"history",
                {{{"epoch", 0}, {"lr", 0.0185}, {"loss", 7.3}, {"loss_cls", 4.2}, {"loss_box", 0.6},
                  {"val_map50", 0.5}, {"val_recall_at_threshold", 0.25}, {"seconds", 8.2}},
                 {{"epoch", 1}, {"lr", 0.0013}, {"loss", 6.4}, {"loss_cls", 3.9}, {"loss_box", 0.4},
                  {"val_map50", 0.8653}, {"val_recall_at_threshold", 0.5}, {"seconds", 4.1}}}}};
  r["quant"] = {{"quantized_ops", 50}, {"quantizers", 95}, {"calibration_images", 256}};
  r["qat"] = {{"epochs",
               {epoch("ptq", 0, behaviour(0.9475, 0.96, 0.991, 0.012, {0.91, 0.96, 1}, {40, 160, 0}, {5, 3, 2, 1}),
                      false),
                epoch(1, 0.52, behaviour(0.97, 0.975, 0.992, 0.01, {0.95, 0.975, 1}, {40, 160, 0}, {3, 1, 1, 1}),
                      true),
                epoch(2, 0.48, behaviour(0.99, 0.985, 0.993, 0.008, {0.975, 0.99375, 1}, {40, 160, 0}, {1, 1, 0, 0}),
                      true)}},
              {"gate", "configs/gates/default.yaml"},
              {"objective", "recall"},
              {"selected", 2},
              {"lowest_loss", 2},
              {"teacher_threshold", 0.7},
              {"gate_limits",
               {{"min_recall", 0.95}, {"min_precision_agreement", 0.95}, {"min_median_iou", 0.98},
                {"max_confidence_mae", 0.05}, {"min_class_recall", 0.9}}}};
  r["side_by_side"] = {{"ptq", r["qat"]["epochs"][0]}, {"qat", r["qat"]["epochs"][2]}};
  r["export"] = {{"profile", "tensorrt"}, {"opset", 13}, {"checkpoint", "qat/best.h5"}};
  r["onnxruntime"] = {{"threshold", 0.69},
                      {"behaviour", behaviour(0.985, 0.98, 0.993, 0.009, {0.975, 0.9875, 1}, {40, 160, 0}, {2, 1, 0, 0})},
                      {"gate", "passed"},
                      {"latency",
                       {{"profile", "tensorrt"}, {"batch", 1}, {"threads", 2}, {"runs", 20}, {"optimization", "all"},
                        {"fp32_ms", 4.25}, {"int8_ms", 3.125}, {"fp32_over_int8", 1.36}}}};
  r["candidate"] = {{"model", "model.int8.onnx"}, {"model_sha256", "ff"}, {"manifest", "model.int8.threshold.json"},
                    {"threshold", 0.69}, {"teacher_threshold", 0.7}};
  r["ab"] = {{"teacher", "runs/rare/fp32/best.h5"},
             {"teacher_threshold", 0.7},
             {"rows",
              {{{"name", "ptq"}, {"recall", 0.9475}, {"threshold", 0.7}, {"seconds", 12.5}},
               {{"name", "ptq class_balanced"}, {"recall", 0.962}, {"threshold", 0.7}, {"seconds", 13.25}},
               {{"name", "qat"}, {"recall", 0.99}, {"threshold", 0.69}, {"seconds", 600.0}}}}};
  r["timings"] = {{"fp32_s", 433.5}, {"calibrate_s", 3.25}, {"qat_s", 610.0}, {"total_s", 1100.75}};
  return r;
}

// The text report.html must show for the figure `v`: a number with data-decimals with that
// many decimals (whether the JSON writes it 1 or 1.0), a count as written.
std::string expected_text(const json& v, const std::map<std::string, std::string>& attributes) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() && attributes.count("data-decimals")) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*f", std::stoi(attributes.at("data-decimals")), v.get<double>());
    return buf;
  }
  return v.dump();
}

// Every figure the page shows next to its pointer, checked against the report.
std::set<std::string> checked_refs(const Xml& xml, const json& report) {
  std::set<std::string> refs;
  for (const auto& node : xml.select("//*[@data-ref]")) {
    const std::string& ref = node.attributes.at("data-ref");
    const json::json_pointer p(ref);
    if (!report.contains(p)) {
      ADD_FAILURE() << ref << " is not in the report";
      continue;
    }
    EXPECT_EQ(node.text, expected_text(report.at(p), node.attributes)) << ref;
    refs.insert(ref);
  }
  return refs;
}

}  // namespace

TEST(ReportHtml, ParsesAsXhtmlAndShowsEveryFigureItClaimsFromTheReport) {
  const json report = sample_report();
  const std::string html = report_html(report.dump());
  const Xml xml(html);
  ASSERT_NE(xml.doc, nullptr) << xml.errors;
  EXPECT_EQ(xml.errors, "");
  ASSERT_EQ(xml.select("/h:html/h:body").size(), 1u);
  EXPECT_EQ(xml.select("/h:html/h:head/h:title")[0].text, "qat run rare & <skewed>");

  const std::set<std::string> refs = checked_refs(xml, report);
  // What each section claims to show is there.
  std::vector<std::string> wanted = {"/candidate/threshold", "/candidate/teacher_threshold", "/qat/selected",
                                     "/onnxruntime/threshold", "/onnxruntime/gate", "/onnxruntime/latency/fp32_ms",
                                     "/onnxruntime/latency/int8_ms", "/onnxruntime/latency/fp32_over_int8",
                                     "/timings/total_s", "/timings/qat_s", "/fp32/history/1/val_map50",
                                     "/qat/gate_limits/min_recall", "/qat/gate_limits/max_confidence_mae"};
  for (const std::string m : {"recall", "precision_agreement", "median_iou", "confidence_mae"}) {
    for (int e = 0; e < 3; ++e) wanted.push_back("/qat/epochs/" + std::to_string(e) + "/at_teacher_threshold/" + m);
    wanted.push_back("/onnxruntime/behaviour/" + m);
  }
  for (const std::string cause : {"below_threshold", "wrong_class", "box", "absent"}) {
    for (int e = 0; e < 3; ++e) wanted.push_back("/qat/epochs/" + std::to_string(e) + "/at_teacher_threshold/misses/" + cause);
    wanted.push_back("/onnxruntime/behaviour/misses/" + cause);
  }
  for (int c = 0; c < 2; ++c) {  // class 2 has no teacher detections: no recall to show
    wanted.push_back("/qat/epochs/0/at_teacher_threshold/recall_per_class/" + std::to_string(c));
    wanted.push_back("/qat/epochs/2/at_teacher_threshold/recall_per_class/" + std::to_string(c));
  }
  for (int row = 0; row < 3; ++row) {
    for (const std::string k : {"name", "recall", "threshold", "seconds"}) {
      wanted.push_back("/ab/rows/" + std::to_string(row) + "/" + k);
    }
  }
  wanted.push_back("/ab/teacher");
  wanted.push_back("/ab/teacher_threshold");
  for (const auto& w : wanted) EXPECT_TRUE(refs.count(w)) << w << " is not shown";
  // The A/B figures with ab.md's decimals: behaviour 4, thresholds 2, seconds 1.
  auto ab_cell = [&](const std::string& ref) {
    const auto cells = xml.select("//h:section[@id='ab']//h:td[@data-ref='" + ref + "']");
    return cells.size() == 1 ? cells[0].text : "(" + std::to_string(cells.size()) + " cells)";
  };
  EXPECT_EQ(ab_cell("/ab/rows/0/recall"), "0.9475");
  EXPECT_EQ(ab_cell("/ab/rows/2/threshold"), "0.69");
  EXPECT_EQ(ab_cell("/ab/rows/1/seconds"), "13.2");  // 13.25 is 13.25 exactly: printf rounds half to even
  EXPECT_FALSE(refs.count("/qat/epochs/0/at_teacher_threshold/recall_per_class/2"));
  EXPECT_FALSE(refs.count("/qat/epochs/1/at_teacher_threshold/recall_per_class/0"));  // not the selected epoch

  // Self-contained: charts inline, nothing fetched, no scripts.
  EXPECT_EQ(xml.select("//s:svg").size(), 5u);  // behaviour, per class, misses, latency, timings
  EXPECT_TRUE(xml.select("//*[@src or @href]").empty());
  EXPECT_TRUE(xml.select("//h:script | //h:link | //h:img | //h:iframe").empty());
  // Per-class dots: PTQ and the selected epoch for the two classes with teacher detections.
  EXPECT_EQ(xml.select("//h:section[@id='per-class']//s:circle").size(), 4u);
  EXPECT_EQ(xml.select("//h:section[@id='per-class']//s:circle/s:title")[0].text, "ptq, Bag: 0.9100");
}

TEST(ReportHtml, MainChartTicksAreRoundAndLabelledWhereTheyAre) {
  json report = sample_report();
  report["qat"].erase("gate_limits");  // the values alone span 0.9475 .. 0.993 (1 - MAE at most 0.992)
  const std::string svg = report_main_chart_svg(report.dump());
  const Xml xml(svg);
  ASSERT_NE(xml.doc, nullptr) << xml.errors;
  const auto ticks = xml.select("/s:svg/s:text[@class='tick']");
  std::vector<std::string> labels;
  for (const auto& t : ticks) labels.push_back(t.text);
  EXPECT_THAT(labels, ::testing::ElementsAre("0.94", "0.95", "0.96", "0.97", "0.98", "0.99", "1.00"));
  // The plot spans y 332 (0.94) to 40 (1.00); a label sits 4 px below its gridline.
  for (size_t k = 0; k < ticks.size(); ++k) {
    char y[32];
    std::snprintf(y, sizeof(y), "%.1f", 332.0 - 292.0 * static_cast<double>(k) / 6 + 4);
    EXPECT_EQ(ticks[k].attributes.at("y"), y) << labels[k];
  }
  // The points: PTQ's recall 0.9475 is 1/8 of a tick above 0.94.
  const auto points = xml.select("/s:svg/s:circle");
  ASSERT_EQ(points.size(), 12u);  // 4 series x 3 epochs
  char y[32];
  std::snprintf(y, sizeof(y), "%.1f", 332.0 - 292.0 * (0.9475 - 0.94) / 0.06);
  EXPECT_EQ(points[0].attributes.at("cy"), y);
  EXPECT_EQ(points[0].text, "recall, ptq: 0.9475");
}

TEST(ReportHtml, LeavesOutWhatTheReportLacksAndShowsTheFailure) {
  json report = sample_report();
  report.erase("ab");
  report["onnxruntime"].erase("latency");
  report.erase("candidate");
  report["error"] = {{"phase", "onnxruntime"}, {"message", "onnxruntime crashed <signal 9>"}, {"exit_code", 5}};
  const Xml xml(report_html(report.dump()));
  ASSERT_NE(xml.doc, nullptr) << xml.errors;
  EXPECT_TRUE(xml.select("//h:section[@id='ab']").empty());
  EXPECT_TRUE(xml.select("//h:section[@id='latency']").empty());
  EXPECT_EQ(xml.select("//h:section").size(), 6u);  // behaviour, per class, misses, onnxruntime, timings, fp32
  const auto error = xml.select("//h:p[@class='fail']");
  ASSERT_EQ(error.size(), 1u);
  EXPECT_EQ(error[0].text, "The run failed in phase onnxruntime (exit code 5): onnxruntime crashed <signal 9>");
  checked_refs(xml, report);
}

// scripts/ab writes its rows with JavaScript, whose keys keep their order and whose 1.0 is 1:
// the columns come in the order they first appear, the figures with ab.md's decimals.
TEST(ReportHtml, AbColumnsInTheirOrderWithTheirDecimals) {
  const std::string text = R"({"recipe": "r", "ab": {"teacher": "runs/r/fp32/best.h5", "teacher_threshold": 0.7,
    "rows": [{"row": "ptq", "sampling": "random", "recall": 1, "threshold": null, "seconds": 41.5},
             {"row": "qat epoch 1", "recall": 0.9895, "recall[Bag/x]": 0.97, "threshold": 0.7, "seconds": 287}]}})";
  const Xml xml(report_html(text));
  ASSERT_NE(xml.doc, nullptr) << xml.errors;
  std::vector<std::string> header, cells;
  for (const auto& th : xml.select("//h:section[@id='ab']//h:tr[1]/h:th")) header.push_back(th.text);
  EXPECT_THAT(header, ::testing::ElementsAre("row", "sampling", "recall", "threshold", "seconds", "recall[Bag/x]"));
  for (const auto& td : xml.select("//h:section[@id='ab']//h:tr/h:td")) cells.push_back(td.text);
  EXPECT_THAT(cells, ::testing::ElementsAre("ptq", "random", "1.0000", "-", "41.5", "-",  //
                                            "qat epoch 1", "-", "0.9895", "0.70", "287.0", "0.9700"));
  EXPECT_EQ(xml.select("//h:section[@id='ab']//h:td[@data-ref='/ab/rows/1/recall[Bag~1x]']").size(), 1u);
  const auto intro = xml.select("//h:section[@id='ab']/h:p");
  ASSERT_EQ(intro.size(), 1u);
  EXPECT_THAT(intro[0].text, ::testing::StartsWith("Teacher runs/r/fp32/best.h5, figures at its threshold 0.70; "));
  checked_refs(xml, json::parse(text));
}

// A fraction written as an integer (JavaScript's 1 for 1.0) reads as the same page.
TEST(ReportHtml, AFractionWrittenAsAnIntegerShowsItsDecimals) {
  json a = sample_report();
  a["qat"]["epochs"][2]["at_teacher_threshold"]["recall"] = 1.0;
  a["qat"]["epochs"][2]["loss"] = 0.0;
  json b = a;
  b["qat"]["epochs"][2]["at_teacher_threshold"]["recall"] = 1;
  b["qat"]["epochs"][2]["loss"] = 0;
  EXPECT_EQ(report_html(a.dump()), report_html(b.dump()));
  const Xml xml(report_html(b.dump()));
  EXPECT_EQ(xml.select("//h:td[@data-ref='/qat/epochs/2/at_teacher_threshold/recall']")[0].text, "1.0000");
  checked_refs(xml, b);
}

TEST(ReportHtml, WritesTheHtmlAndTheMainChart) {
  const testing::TempDir dir;
  const json report = sample_report();
  write_html_report(dir.path().string(), report.dump());
  EXPECT_EQ(read_file(dir.file("report.html")), report_html(report.dump()));
  EXPECT_EQ(read_file(dir.file("report.svg")), report_main_chart_svg(report.dump()));
  try {
    report_html("{not json");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("the report is not JSON: [json.exception.parse_error.101]"));
  }
}

// `qat report RUN_DIR`: the page and its chart again from report.json alone, or an error
// naming the path; nothing is written (not even the run lock) where there is no report.
TEST(ReportHtml, RendersARunDirectoryAgainFromItsReport) {
  const testing::TempDir dir;
  const std::string run = dir.file("run");
  std::filesystem::create_directories(run);
  const std::string text = sample_report().dump(2);
  write_file_atomic(run + "/report.json", text);
  write_file_atomic(run + "/report.html", "stale");
  const RenderedReport written = render_run_report(run + "/");
  EXPECT_EQ(written.html, run + "/report.html");
  EXPECT_EQ(written.svg, run + "/report.svg");
  EXPECT_EQ(read_file(written.html), report_html(text));
  EXPECT_EQ(read_file(written.svg), report_main_chart_svg(text));

  ASSERT_THROWS_WITH(render_run_report(dir.file("nope")), IoError, dir.file("nope") + ": no such run directory");
  const std::string empty = dir.file("empty");
  std::filesystem::create_directories(empty);
  ASSERT_THROWS_WITH(render_run_report(empty), IoError,
                     empty + "/report.json: missing: not a run directory, or `qat train` has not written its report yet");
  EXPECT_TRUE(std::filesystem::is_empty(empty));
  write_file_atomic(empty + "/report.json", "[1, 2]");
  ASSERT_THROWS_WITH(render_run_report(empty), IoError, empty + "/report.json: not a run report (a JSON object)");
  write_file_atomic(empty + "/report.json", "{not json");
  try {
    render_run_report(empty);
    FAIL() << "expected an IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith(empty + "/report.json: not JSON: [json.exception.parse_error.101]"));
  }
  EXPECT_FALSE(std::filesystem::exists(empty + "/report.html"));
}

}  // namespace qat::train
