#include "qat/export/onnx_summary.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "qat/core/error.h"
#include "qat/graph/onnx_importer.h"
#include "qat/graph/op_traits.h"

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
  std::map<std::string, const onnx::NodeProto*> producer;  // value → the ONNX-domain node writing it
  for (const auto& n : g.node()) {
    const bool onnx_domain = n.domain().empty() || n.domain() == "ai.onnx";
    ++s.op_counts[onnx_domain ? n.op_type() : n.domain() + ":" + n.op_type()];
    if (onnx_domain && (n.op_type() == "QuantizeLinear" || n.op_type() == "DequantizeLinear")) {
      auto& count = s.qdq_by_region[region_of(n.name())];
      ++(n.op_type() == "QuantizeLinear" ? count.quantize : count.dequantize);
    }
    for (const auto& out : n.output()) {
      if (onnx_domain) producer[out] = &n;
    }
  }
  // Whether `value` comes from a DequantizeLinear, directly or through see-through ops
  // (a shared weight's DequantizeLinear feeds an Identity per extra reader).
  auto from_dq = [&](std::string value) {
    for (auto it = producer.find(value); it != producer.end(); it = producer.find(value)) {
      const onnx::NodeProto& p = *it->second;
      if (p.op_type() == "DequantizeLinear") return true;
      if (graph::op_traits(p.op_type()).weight_view == graph::WeightView::none || p.input_size() == 0) return false;
      value = p.input(0);
    }
    return false;
  };
  for (const auto& n : g.node()) {
    const bool onnx_domain = n.domain().empty() || n.domain() == "ai.onnx";
    const graph::OpTraits& traits = graph::op_traits(n.op_type());
    if (!onnx_domain || !traits.quantizable()) continue;
    const int wi = static_cast<int>(*traits.weight_input);
    if (n.input_size() > wi && from_dq(n.input(0)) && from_dq(n.input(wi))) s.quantized_nodes.push_back(n.name());
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

std::vector<NodeName> pattern_names(const std::string& path) {
  const graph::Graph g = graph::import_onnx(path);
  std::vector<NodeName> names;
  for (const auto& n : g.nodes()) names.push_back({n.name, n.op_type, graph::op_traits(n.op_type).quantizable()});
  return names;
}

std::string format_names(const std::vector<NodeName>& names) {
  const auto quantizable = std::count_if(names.begin(), names.end(), [](const NodeName& n) { return n.quantizable; });
  std::ostringstream out;
  out << "nodes: " << names.size() << " (" << quantizable << " quantizable)\n";
  for (const auto& n : names) out << n.name << " " << n.op_type << (n.quantizable ? " quantizable" : "") << "\n";
  return out.str();
}

}  // namespace qat::exporter
