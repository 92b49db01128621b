// What an ONNX file contains, for `qat inspect`: opsets, op counts, where the
// QuantizeLinear/DequantizeLinear nodes are, which Conv/Gemm/MatMul nodes run on
// dequantized inputs, initializer element types and metadata. Reads any ONNX model
// (also ONNX Runtime's optimized ones, to count QLinearConv fusions) without checking it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace onnx { class ModelProto; }

namespace qat::exporter {

struct OnnxSummary {
  struct QdqCount {
    int quantize = 0;    ///< QuantizeLinear nodes
    int dequantize = 0;  ///< DequantizeLinear nodes
  };

  std::string path;
  int64_t ir_version = 0;
  std::string producer;                  ///< "name version"
  std::map<std::string, int64_t> opsets;  ///< domain ("" for ONNX) → version
  std::map<std::string, int> op_counts;  ///< op type ("domain:Op" outside ONNX) → nodes
  /// Region (node name up to its first '.' or '/') → Q/DQ nodes; regions without any are left out.
  std::map<std::string, QdqCount> qdq_by_region;
  /// Quantizable nodes (OpTraits: Conv, Gemm, MatMul) whose input 0 and weight input both come
  /// from DequantizeLinear (directly or through see-through ops such as Identity), in graph order.
  std::vector<std::string> quantized_nodes;
  std::map<std::string, int> initializer_types;  ///< element type ("float", "int8", ...) → initializers
  std::map<std::string, std::string> metadata;
};

/// Reads any ONNX model file without checking it. Throws IoError "<path>: cannot read
/// the file" when it cannot be opened and "<path>: not an ONNX model" when it does not
/// parse as one (no IR version or graph).
onnx::ModelProto read_onnx_model(const std::string& path);

/// Reads `path` (read_onnx_model). Throws IoError "<path>: cannot read the file" when it cannot be opened
/// and "<path>: not an ONNX model" when it does not parse as one (no IR version or graph).
OnnxSummary inspect_onnx(const std::string& path);

/// The summary as text, one fact per line (stable: scripts may grep it).
std::string format_summary(const OnnxSummary& summary);

/// A node by the name quant.include / quant.exclude patterns see (graph/name_pattern.h).
struct NodeName {
  std::string name;
  std::string op_type;
  bool quantizable = false;  ///< a quantizable op (OpTraits): what a region selects
};

/// The nodes of `path` as qat imports it (graph::import_onnx: unnamed nodes get
/// "<OpType>_<index>", constant subgraphs are folded away), in graph order. Throws
/// the importer's IoError for a model qat cannot import.
std::vector<NodeName> pattern_names(const std::string& path);

/// One node a line, "<name> <op type>", quantizable ones ending in " quantizable",
/// after a header line counting them.
std::string format_names(const std::vector<NodeName>& names);

}  // namespace qat::exporter
