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
  /// Conv/Gemm/MatMul nodes whose inputs 0 and 1 both come from DequantizeLinear, in graph order.
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

}  // namespace qat::exporter
