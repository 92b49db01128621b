#include "qat/export/onnx_summary.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "qat/core/error.h"

namespace qat::exporter {
namespace {

std::string region_of(const std::string& node_name) {
  const auto end = node_name.find_first_of("./");
  return node_name.substr(0, end);
}

std::string element_type_name(int32_t type) {
  if (!onnx::TensorProto_DataType_IsValid(type)) return "type " + std::to_string(type);
  std::string name = onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(type));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

}  // namespace

onnx::ModelProto read_onnx_model(const std::string& path) {
  std::error_code ec;
  std::ifstream in(path, std::ios::binary);
  // A directory opens as a stream on Linux; only a regular file is a model file.
  if (!std::filesystem::is_regular_file(path, ec) || !in) throw IoError(path, "", "cannot read the file");
  std::stringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) throw IoError(path, "", "cannot read the file");
  onnx::ModelProto model;
  // Protobuf accepts many byte strings (even an empty one); a model has an IR version and a graph.
  if (!model.ParseFromString(bytes.str()) || model.ir_version() <= 0 || !model.has_graph()) {
    throw IoError(path, "", "not an ONNX model");
  }
  return model;
}

OnnxSummary inspect_onnx(const std::string& path) {
  const onnx::ModelProto model = read_onnx_model(path);

  OnnxSummary s;
  s.path = path;
  s.ir_version = model.ir_version();
  s.producer = model.producer_name() + (model.producer_version().empty() ? "" : " " + model.producer_version());
  for (const auto& o : model.opset_import()) s.opsets[o.domain() == "ai.onnx" ? "" : o.domain()] = o.version();
  const auto& g = model.graph();
  std::map<std::string, std::string> producer_op;  // value → op type of the node writing it
  for (const auto& n : g.node()) {
    const bool onnx_domain = n.domain().empty() || n.domain() == "ai.onnx";
    ++s.op_counts[onnx_domain ? n.op_type() : n.domain() + ":" + n.op_type()];
    if (onnx_domain && (n.op_type() == "QuantizeLinear" || n.op_type() == "DequantizeLinear")) {
      auto& count = s.qdq_by_region[region_of(n.name())];
      ++(n.op_type() == "QuantizeLinear" ? count.quantize : count.dequantize);
    }
    for (const auto& out : n.output()) producer_op[out] = onnx_domain ? n.op_type() : "";
  }
  for (const auto& n : g.node()) {
    const bool onnx_domain = n.domain().empty() || n.domain() == "ai.onnx";
    if (!onnx_domain || (n.op_type() != "Conv" && n.op_type() != "Gemm" && n.op_type() != "MatMul")) continue;
    auto from_dq = [&](int i) {
      auto it = i < n.input_size() ? producer_op.find(n.input(i)) : producer_op.end();
      return it != producer_op.end() && it->second == "DequantizeLinear";
    };
    if (from_dq(0) && from_dq(1)) s.quantized_nodes.push_back(n.name());
  }
  for (const auto& t : g.initializer()) ++s.initializer_types[element_type_name(t.data_type())];
  for (const auto& p : model.metadata_props()) s.metadata[p.key()] = p.value();
  return s;
}

std::string format_summary(const OnnxSummary& s) {
  std::ostringstream out;
  out << "model: " << s.path << "\n";
  out << "ir_version: " << s.ir_version << "\n";
  if (!s.producer.empty()) out << "producer: " << s.producer << "\n";
  for (const auto& [domain, version] : s.opsets) {
    out << "opset" << (domain.empty() ? "" : " " + domain) << ": " << version << "\n";
  }
  int nodes = 0;
  for (const auto& [op, n] : s.op_counts) nodes += n;
  out << "ops: " << nodes << " nodes\n";
  for (const auto& [op, n] : s.op_counts) out << "  " << op << ": " << n << "\n";
  out << "qdq by region: QuantizeLinear DequantizeLinear\n";
  for (const auto& [region, c] : s.qdq_by_region) {
    out << "  " << (region.empty() ? "(unnamed)" : region) << ": " << c.quantize << " " << c.dequantize << "\n";
  }
  out << "quantized nodes: " << s.quantized_nodes.size() << "\n";
  for (const auto& n : s.quantized_nodes) out << "  " << n << "\n";
  out << "initializers:\n";
  for (const auto& [type, n] : s.initializer_types) out << "  " << type << ": " << n << "\n";
  out << "metadata:\n";
  for (const auto& [k, v] : s.metadata) out << "  " << k << ": " << v << "\n";
  return out.str();
}

}  // namespace qat::exporter
