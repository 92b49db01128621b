// Reads an FP32 ONNX model (as torch.onnx.export writes it, opset 11 to 17) into
// a Graph, the inverse of exporter::to_onnx.
//
// Node names are kept (unnamed nodes are called "<OpType>_<index in the file>");
// float initializers become trainable parameters unless a node reads them as
// statistics or configuration (BatchNormalization mean/var, Resize scales, Clip
// bounds); other initializers are constants. Older-opset forms are rewritten to
// the IR's (opset 13) so kernels see one form: Squeeze/Unsqueeze/ReduceSum axes
// and Split sizes become constant inputs, empty Resize roi/scales become omitted
// inputs, Softmax/LogSoftmax/Hardmax before opset 13 (2-D at `axis`) become
// Flatten -> op(axis -1) -> Reshape(Shape(x)) unless `axis` is the last one.
// Every value that does not depend on the input's data is folded: ONNX shape
// inference with data propagation (graph::infer_shapes) and constant folding with
// the graph's own kernels (graph::fold_constants) alternate until nothing changes,
// so Shape -> Gather/Slice -> Concat/Cast/Unsqueeze chains over static dims become
// initializers while values that depend on a symbolic (batch) dim stay computed.
// Graph output shapes are the declared ones with what inference found filled in.
// ImportOptions::batch says at which batch the model will run; a static-batch
// input used at another batch is made dynamic or refused (ImportOptions::static_batch).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "qat/graph/graph.h"

namespace onnx { class ModelProto; }

namespace qat::graph {

constexpr int kMinImportOpset = 11;
constexpr int kMaxImportOpset = 17;

/// The batch size an imported model will run at.
struct BatchSize {
  enum class Kind { kAsDeclared, kAny, kFixed };
  Kind kind = Kind::kAsDeclared;
  int64_t value = 0;  ///< with kFixed

  static BatchSize as_declared() { return {}; }
  static BatchSize any() { return {Kind::kAny, 0}; }
  static BatchSize fixed(int64_t n) { return {Kind::kFixed, n}; }
  /// "batch 4", "any batch", "the declared batch".
  std::string describe() const;
};

/// What to do with an input exported with a static batch that differs from the run's.
enum class StaticBatch {
  kMakeDynamic,  ///< make dimension 0 symbolic (and Reshape targets that fix it copy it); refuse when that cannot be done
  kRefuse,       ///< refuse the model naming the input and the batch
};

struct ImportOptions {
  bool fold_constants = true;  ///< fold constant subgraphs (and shape arithmetic inference finds) into initializers
  BatchSize batch;             ///< the batch the model will run at
  StaticBatch static_batch = StaticBatch::kMakeDynamic;
};

/// Reads `path`. Throws IoError naming the file (and the node, where one is at
/// fault) when it cannot be read, is not an ONNX model, uses an opset outside
/// 11 to 17, or uses an op or attribute qat does not run.
Graph import_onnx(const std::string& path, const ImportOptions& options = {});

/// The same for a model in memory; `where` names it in errors.
Graph import_onnx(const onnx::ModelProto& model, const std::string& where, const ImportOptions& options = {});

/// The ai.onnx opset `path` imports (what torch.onnx.export's opset_version was).
/// Throws IoError naming the file when it cannot be read or imports none.
int onnx_opset(const std::string& path);

/// Reads a serialized onnx.TensorProto (the ONNX test data's input_0.pb, ...).
at::Tensor read_onnx_tensor(const std::string& path);

}  // namespace qat::graph
