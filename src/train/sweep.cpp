#include "qat/train/sweep.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/logging.h"
#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/export/export_profile.h"
#include "qat/metrics/behaviour_metrics.h"
#include "qat/graph/fold_batch_norm.h"
#include "qat/graph/name_pattern.h"
#include "qat/model/imported_defaults.h"
#include "qat/quant/quant_plan.h"
#include "qat/train/calibrate.h"
#include "qat/train/detection_set.h"
#include "qat/train/fp32_trainer.h"
#include "qat/train/ptq.h"
#include "qat/train/qat_trainer.h"
#include "qat/train/quantized_student.h"
#include "qat/train/run_context.h"
#include "train/behaviour_json.h"

namespace qat::train {
namespace {

std::string block_of(const std::string& node) {
  const auto first = node.find('.');
  if (first == std::string::npos) return node;
  const auto second = node.find('.', first + 1);
  return second == std::string::npos ? node : node.substr(0, second);
}

// The regions to measure, narrowest first for `blocks`.
std::vector<SweepRow> planned_regions(const graph::Graph& folded, const QuantSection& quant, SweepMode mode) {
  std::vector<SweepRow> rows;
  if (mode == SweepMode::blocks) {
    const auto blocks = region_blocks(folded, quant);
    for (size_t k = 0; k < blocks.size(); ++k) {
      SweepRow row;
      row.region = k == 0 ? blocks[0] : blocks[0] + " .. " + blocks[k];
      row.include.assign(blocks.begin(), blocks.begin() + static_cast<std::ptrdiff_t>(k) + 1);
      row.exclude = quant.exclude;
      rows.push_back(row);
    }
  } else {
    for (const auto& node : quant::make_quant_plan(folded, quant).quantized_nodes) {
      SweepRow row;
      row.region = node;
      row.include = {node};
      rows.push_back(row);
    }
  }
  return rows;
}

nlohmann::json row_json(const SweepRow& r) {
  return {{"region", r.region},   {"include", r.include},
          {"exclude", r.exclude}, {"quantized_ops", r.quantized_ops},
          {"behaviour", behaviour_to_json(r.stats)}, {"gate", r.verdict.summary()}};
}

// The chosen row: the widest passing block range, or for layers the recipe's region
// less every layer that fails alone, measured as a whole (failures may add up).
void choose_region(SweepResult& result, const QuantSection& quant, const std::function<void(SweepRow&)>& measure) {
  if (result.mode == SweepMode::blocks) {
    for (size_t i = 0; i < result.rows.size(); ++i) {
      if (result.rows[i].verdict.passed) result.chosen = i;
    }
    return;
  }
  SweepRow combined;
  combined.region = "region without failing layers";
  combined.include = quant.include;
  combined.exclude = quant.exclude;
  for (const auto& row : result.rows) {
    if (!row.verdict.passed) combined.exclude.push_back(row.region);
  }
  if (combined.exclude.size() - quant.exclude.size() < result.rows.size()) {
    measure(combined);
    result.rows.push_back(combined);
    if (combined.verdict.passed) result.chosen = result.rows.size() - 1;
  }
}

// sweep/report.json, and the outcome in the log.
void write_sweep_report(const RunContext& ctx, const SweepOptions& options, const std::string& weights,
                        SweepResult& result) {
  const Recipe& recipe = ctx.recipe();
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : result.rows) rows.push_back(row_json(r));
  nlohmann::json report = {{"recipe", recipe.name},        {"recipe_hash", recipe.hash()},
                           {"weights", weights},           {"mode", to_string(options.mode)},
                           {"qat_epochs", options.qat_epochs}, {"score_threshold", recipe.eval.score_threshold},
                           {"gate", recipe.qat.gate},      {"rows", rows}};
  report["chosen"] = result.chosen ? rows[*result.chosen] : nlohmann::json(nullptr);
  result.report_path = ctx.layout().sweep_report;
  write_file_atomic(result.report_path, report.dump(2) + "\n");
  if (result.chosen) {
    const auto& c = result.rows[*result.chosen];
    logger().info("sweep: widest passing region '{}' ({} quantized ops)", c.region, c.quantized_ops);
  } else {
    logger().warn("sweep: no region passes the gate {}", recipe.qat.gate);
  }
}

}  // namespace

const std::vector<std::string>& sweep_mode_names() {
  static const std::vector<std::string> names = {"blocks", "layers"};
  return names;
}

const std::string& to_string(SweepMode mode) { return sweep_mode_names()[static_cast<size_t>(mode)]; }

std::optional<SweepMode> sweep_mode_from_name(const std::string& name) {
  const auto& names = sweep_mode_names();
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return std::nullopt;
  return static_cast<SweepMode>(it - names.begin());
}

std::vector<std::string> region_blocks(const graph::Graph& graph, const QuantSection& quant) {
  std::vector<std::string> blocks;
  for (const auto& node : quant::make_quant_plan(graph, quant).quantized_nodes) {
    const std::string b = block_of(node);
    if (std::find(blocks.begin(), blocks.end(), b) == blocks.end()) blocks.push_back(b);
  }
  return blocks;
}

SweepResult run_sweep(const Recipe& recipe, const SweepOptions& options) {
  QAT_CHECK(options.qat_epochs >= 0, "sweep --qat-epochs must be >= 0, got ", options.qat_epochs);
  RunContext ctx(recipe);
  const std::string weights = options.weights.empty() ? ctx.layout().fp32_best : options.weights;
  const metrics::Gate& gate = ctx.gate();
  ctx.open_datasets();
  ctx.set_teacher(load_fp32_detector(recipe, ctx.class_names(), weights));
  const model::Detector& teacher = ctx.teacher();
  const auto val_loader = ctx.loader(LoaderPurpose::eval, LoaderPhase::check);
  const double t = recipe.eval.score_threshold;
  const DetectionSet& teacher_set = ctx.teacher_val_detections();
  const int classes = static_cast<int>(teacher.info.num_classes);

  model::Detector folded = model::clone_detector(teacher);
  graph::fold_batch_norm(folded.graph);
  SweepResult result;
  result.mode = options.mode;
  // The region `qat train` and `qat ptq` would quantize: an imported model's empty
  // include is every Conv/Gemm/MatMul but the head layers (model/imported_defaults.h).
  // Those stay excluded, or a block pattern that names their module would take them in.
  QuantSection quant = model::resolve_quant_region(teacher, recipe.quant);
  if (recipe.quant.include.empty()) {
    for (const auto& node : model::find_head_layers(teacher).nodes) quant.exclude.push_back(node);
  }
  result.rows = planned_regions(folded.graph, quant, options.mode);
  logger().info("sweep ({}): {} regions, {}", to_string(options.mode), result.rows.size(),
                options.qat_epochs > 0 ? std::to_string(options.qat_epochs) + " QAT epochs each" : "PTQ");

  QuantSection region_quant = recipe.quant;
  QatSection region_qat = recipe.qat;
  region_qat.epochs = options.qat_epochs;
  // Each region as its export profile would deploy it.
  const quant::Placement placement = exporter::make_export_profile(recipe.export_.profile)->placement();
  auto measure = [&](SweepRow& row) {
    region_quant.include = row.include;
    region_quant.exclude = row.exclude;
    QuantizedStudent student(teacher, region_quant, placement);
    row.quantized_ops = static_cast<int64_t>(student.quantizers().plan().quantized_nodes.size());
    calibrate(ctx, student, recipe.quant);
    if (options.qat_epochs > 0) train_qat(ctx, student, region_qat);
    const DetectionSet student_set = collect_detections(student.executor(), teacher.info, *val_loader, recipe.eval, t);
    row.stats = behaviour(teacher_set, t, student_set, t, classes, recipe.eval.match_iou);
    row.verdict = gate.check(row.stats, teacher.info.class_names);
    logger().info("sweep {}: {} ops, {} -> {}", row.region, row.quantized_ops,
                  metrics::format_behaviour(row.stats, ", "), row.verdict.summary());
  };
  for (auto& row : result.rows) measure(row);

  choose_region(result, quant, measure);
  write_sweep_report(ctx, options, weights, result);
  return result;
}

std::string format_sweep_table(const SweepResult& result) {
  size_t width = std::string("region").size();
  for (const auto& r : result.rows) width = std::max(width, r.region.size());
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof(line), "  %-*s %5s %8s %8s %8s %8s  %s\n", static_cast<int>(width), "region", "ops",
                "recall", "prec.ag", "med.iou", "conf.mae", "gate");
  out << line;
  for (size_t i = 0; i < result.rows.size(); ++i) {
    const auto& r = result.rows[i];
    std::snprintf(line, sizeof(line), "%c %-*s %5lld %8.4f %8.4f %8.4f %8.4f  %s\n",
                  result.chosen == i ? '*' : ' ', static_cast<int>(width), r.region.c_str(),
                  static_cast<long long>(r.quantized_ops), r.stats.recall, r.stats.precision_agreement,
                  r.stats.median_iou, r.stats.confidence_mae, r.verdict.summary().c_str());
    out << line;
  }
  if (!result.chosen) out << "no region passes the gate\n";
  return out.str();
}

}  // namespace qat::train
