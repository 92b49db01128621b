#include "qat/recipe/recipe_check.h"

#include <algorithm>
#include <set>

#include "qat/core/did_you_mean.h"
#include "qat/core/error.h"
#include "qat/export/onnx_exporter.h"
#include "qat/graph/name_pattern.h"
#include "qat/graph/onnx_importer.h"
#include "qat/model/imported_defaults.h"
#include "qat/model/onnx_detector.h"
#include "qat/quant/quant_plan.h"

namespace qat {
namespace {

std::vector<std::string> value_names(const graph::Graph& g) {
  std::vector<std::string> names;
  for (const auto& in : g.inputs()) names.push_back(in.name);
  for (const auto& n : g.nodes()) {
    for (const auto& out : n.outputs) names.push_back(out);
  }
  return names;
}

std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string guess = closest_match(word, candidates);
  return guess.empty() ? "" : "; did you mean '" + guess + "'?";
}

}  // namespace

void check_recipe_names(const model::Detector& det, const Recipe& recipe) {
  const graph::Graph& g = det.graph;
  const auto values = value_names(g);
  const std::set<std::string> known(values.begin(), values.end());
  const auto losses = model::resolve_loss_taps(det, recipe.qat.losses);
  for (size_t i = 0; i < losses.size(); ++i) {
    for (const auto& tap : losses[i].taps) {
      if (known.count(tap)) continue;
      throw ConfigError(recipe.file, 0, 0, "qat.losses[" + std::to_string(i) + "].taps",
                        "'" + tap + "' is not a value of model " + det.info.arch + suggestion(tap, values));
    }
  }
  std::vector<std::string> node_names, quantizable;
  for (const auto& n : g.nodes()) {
    node_names.push_back(n.name);
    if (quant::is_quantizable(n.op_type)) quantizable.push_back(n.name);
  }
  const QuantSection quant = model::resolve_quant_region(det, recipe.quant);
  auto check_patterns = [&](const std::vector<std::string>& patterns, const std::vector<std::string>& names,
                            const std::string& key, const std::string& what) {
    for (size_t i = 0; i < patterns.size(); ++i) {
      const graph::NamePattern pattern(patterns[i]);
      bool hit = false;
      for (const auto& name : names) hit = hit || pattern.matches(name);
      if (hit) continue;
      throw ConfigError(recipe.file, 0, 0, key + "[" + std::to_string(i) + "]",
                        "'" + patterns[i] + "' matches no " + what + " of model " + det.info.arch +
                            suggestion(patterns[i], names));
    }
  };
  // An include computed from the graph names nodes that exist.
  if (!recipe.quant.include.empty()) check_patterns(quant.include, quantizable, "quant.include", "Conv/Gemm/MatMul node");
  check_patterns(quant.exclude, node_names, "quant.exclude", "node");
}

int export_opset(const Recipe& recipe) {
  if (recipe.export_.opset != 0) return recipe.export_.opset;
  QAT_ASSERT(recipe.model.is_onnx(), "export.opset 0 without model.onnx");
  return std::max(13, graph::onnx_opset(recipe.model.onnx));
}

void check_imported_model(const Recipe& recipe) {
  if (!recipe.model.is_onnx()) return;
  const model::Detector det = model::load_onnx_detector(recipe.model);
  check_recipe_names(det, recipe);
  exporter::check_opset(det.graph, export_opset(recipe), graph::onnx_opset(recipe.model.onnx));
}

}  // namespace qat
