// The names a recipe uses, checked against the model it runs on (`qat recipe
// check`): model/imported_defaults.h's resolutions applied to the recipe's quant
// and qat sections, then every name looked up in the graph.
#pragma once

#include "qat/model/detector.h"
#include "qat/recipe/recipe.h"

namespace qat {

/// Checks the names `recipe` uses against `det` (after model/imported_defaults.h's resolutions):
/// every feature tap is a value of the graph, every quant.include pattern selects
/// a quantizable node, every quant.exclude pattern matches a node. Throws
/// ConfigError naming the recipe key and the closest names of the model.
void check_recipe_names(const model::Detector& det, const Recipe& recipe);

/// The opset a run exports at: export.opset when the recipe gives it (a native
/// model's default is 13), else the imported model's own (graph::onnx_opset; one
/// before 13 exports at 13, as the importer rewrites it to opset-13 forms).
int export_opset(const Recipe& recipe);

/// For `qat recipe check` of a recipe with `model.onnx`: imports the model (the
/// head section against the graph), check_recipe_names, and the export opset against
/// the model's ops (exporter::check_opset). A no-op for a native model.
void check_imported_model(const Recipe& recipe);

}  // namespace qat
