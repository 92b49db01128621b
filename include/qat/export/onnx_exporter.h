// Writes a Graph as an ONNX model. The graph already has ONNX op semantics, so
// nodes map one to one; every written model is checked with onnx::checker and
// strict shape inference before it is renamed into place.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "qat/graph/graph.h"

namespace onnx { class ModelProto; }

namespace qat::exporter {

struct ExportOptions {
  int opset = 13;  ///< 13 to 17
  std::string graph_name = "qat";
  /// Added to the graph's own metadata (recipe hash, versions, ...).
  std::map<std::string, std::string> metadata;
};

/// The ONNX model of `graph`. Dynamic (-1) dimensions become named "batch", "dim1", ....
onnx::ModelProto to_onnx(const graph::Graph& graph, const ExportOptions& options);

/// Runs the ONNX checker and strict shape inference; throws IoError naming `where`
/// (the file) and the offending node when they refuse the model.
void check_onnx(onnx::ModelProto& model, const std::string& where);

/// check_onnx, then writes `model` to `path` atomically (without the inferred value_info).
void write_checked_onnx(onnx::ModelProto& model, const std::string& path);

/// Refuses (IoError naming `path` and the initializer) a graph with a NaN or infinite
/// weight: a diverged model is never written.
void check_finite_weights(const graph::Graph& graph, const std::string& path);

/// Refuses (qat::Error naming the node, its op, the first opset that has it and
/// `model_opset`, the imported model's own, when given) a graph with an op that ONNX
/// does not define at `opset` (HardSwish needs 14) or with an attribute that opset's
/// version of the op lacks (a later version changed its meaning: Reshape's allowzero
/// needs 14), and an opset outside 13..17. The pipeline and
/// `qat recipe check` call it before training, so a recipe whose export would fail
/// stops before the first phase.
void check_opset(const graph::Graph& graph, int opset, std::optional<int> model_opset = std::nullopt);

/// check_finite_weights + to_onnx + check_onnx + write to `path` atomically.
void export_onnx(const graph::Graph& graph, const std::string& path, const ExportOptions& options);

}  // namespace qat::exporter
