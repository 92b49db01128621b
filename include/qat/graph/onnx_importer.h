// Reads an FP32 ONNX model (as torch.onnx.export writes it, opset 11 to 17) into
// a Graph, the inverse of exporter::to_onnx.
//
// Node names are kept (unnamed nodes are called "<OpType>_<index in the file>");
// float initializers become trainable parameters unless a node reads them as
// statistics or configuration (BatchNormalization mean/var, Resize scales, Clip
// bounds); other initializers are constants. Older-opset forms are rewritten to
// the IR's (opset 13) so kernels see one form: Squeeze/Unsqueeze/ReduceSum axes
// and Split sizes become constant inputs, empty Resize roi/scales become omitted
// inputs. Constant subgraphs (Constant, Shape of a statically known shape, and
// whatever computes only from constants) are folded into initializers with the
// graph's own kernels (graph::fold_constants).
#pragma once

#include <ATen/ATen.h>

#include <string>

#include "qat/graph/graph.h"

namespace onnx { class ModelProto; }

namespace qat::graph {

constexpr int kMinImportOpset = 11;
constexpr int kMaxImportOpset = 17;

struct ImportOptions {
  bool fold_constants = true;  ///< fold constant subgraphs into initializers
};

/// Reads `path`. Throws IoError naming the file (and the node, where one is at
/// fault) when it cannot be read, is not an ONNX model, uses an opset outside
/// 11 to 17, or uses an op or attribute qat does not run.
Graph import_onnx(const std::string& path, const ImportOptions& options = {});

/// The same for a model in memory; `where` names it in errors.
Graph import_onnx(const onnx::ModelProto& model, const std::string& where, const ImportOptions& options = {});

/// Reads a serialized onnx.TensorProto (the ONNX test data's input_0.pb, ...).
at::Tensor read_onnx_tensor(const std::string& path);

}  // namespace qat::graph
