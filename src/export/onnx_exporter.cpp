#include "qat/export/onnx_exporter.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cerrno>
#include <cmath>
#include <fstream>
#include <set>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/system_reason.h"
#include "qat/graph/onnx_tensor.h"

namespace qat::exporter {
namespace {

void set_value_info(const graph::ValueInfo& info, onnx::ValueInfoProto& v) {
  v.set_name(info.name);
  auto* tensor_type = v.mutable_type()->mutable_tensor_type();
  tensor_type->set_elem_type(graph::onnx_dtype(info.dtype));
  auto* shape = tensor_type->mutable_shape();
  for (size_t i = 0; i < info.shape.size(); ++i) {
    auto* dim = shape->add_dim();
    if (info.shape[i] >= 0) {
      dim->set_dim_value(info.shape[i]);
    } else {
      dim->set_dim_param(i == 0 ? "batch" : "dim" + std::to_string(i));
    }
  }
}

}  // namespace

onnx::ModelProto to_onnx(const graph::Graph& graph, const ExportOptions& options) {
  QAT_CHECK(options.opset >= 13 && options.opset <= 17, "ONNX opset ", options.opset,
            " is not supported (13 to 17)");
  onnx::ModelProto model;
  model.set_ir_version(8);  // ONNX 1.12, read by ONNX Runtime >= 1.13
  model.set_producer_name("qat");
  model.set_producer_version(QAT_VERSION);
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(options.opset);
  auto metadata = graph.metadata();
  for (const auto& [k, v] : options.metadata) metadata[k] = v;
  for (const auto& [k, v] : metadata) {
    auto* p = model.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }

  auto* g = model.mutable_graph();
  g->set_name(options.graph_name);
  std::set<std::string> used;
  for (const auto& node : graph.nodes()) {
    auto* n = g->add_node();
    n->set_name(node.name);
    n->set_op_type(node.op_type);
    for (const auto& in : node.inputs) {
      n->add_input(in);
      used.insert(in);
    }
    for (const auto& out : node.outputs) n->add_output(out);
    for (const auto& [name, value] : node.attrs.all()) graph::to_onnx_attribute(name, value, *n->add_attribute());
  }
  for (const auto& in : graph.inputs()) {
    if (!graph.has_initializer(in.name)) set_value_info(in, *g->add_input());
  }
  for (const auto& out : graph.outputs()) set_value_info(out, *g->add_output());
  for (const auto& [name, tensor] : graph.initializers()) {
    if (used.count(name)) graph::to_onnx_tensor(tensor, name, *g->add_initializer());
  }
  return model;
}

void check_onnx(onnx::ModelProto& model, const std::string& where) {
  try {
    onnx::checker::check_model(model);
    onnx::ShapeInferenceOptions strict(/*check_type=*/true, /*error_mode=*/1, /*data_prop=*/false);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& e) {
    throw IoError(where, "", std::string("ONNX check failed: ") + e.what());
  }
}

void check_finite_weights(const graph::Graph& graph, const std::string& path) {
  for (const auto& [name, t] : graph.initializers()) {
    if (!t.is_floating_point() || t.numel() == 0) continue;
    const int64_t bad = (~at::isfinite(t)).sum().item<int64_t>();
    if (bad > 0) {
      throw IoError(path, name, std::to_string(bad) + " of " + std::to_string(t.numel()) +
                                    " weights are not finite (NaN or infinite): refusing to export a diverged model");
    }
  }
}

namespace {

// The first opset in (opset, 17] whose schema of `op` satisfies `fits`, or 0.
template <typename Fits>
int first_opset_where(const std::string& op, int opset, Fits fits) {
  for (int v = opset + 1; v <= 17; ++v) {
    const auto* schema = onnx::OpSchemaRegistry::Schema(op, v, "");
    if (schema != nullptr && fits(*schema)) return v;
  }
  return 0;
}

}  // namespace

void check_opset(const graph::Graph& graph, int opset, std::optional<int> model_opset) {
  QAT_CHECK(opset >= 13 && opset <= 17, "export.opset: ONNX opset ", opset, " is not supported (13 to 17)");
  const std::string head = "export.opset " + std::to_string(opset) + ": node '";
  const std::string model = model_opset ? " (the model is opset " + std::to_string(*model_opset) + ")" : "";
  auto refuse = [&](const graph::Node& node, const std::string& what, int since) {
    throw Error(head + node.name + "' is a " + node.op_type + what + ", which ONNX defines from opset " +
                std::to_string(since) + model + "; set export.opset to " + std::to_string(since) + " or higher");
  };
  for (const auto& node : graph.nodes()) {
    const auto* schema = onnx::OpSchemaRegistry::Schema(node.op_type, opset, "");
    if (schema == nullptr) {
      const auto* latest = onnx::OpSchemaRegistry::Schema(node.op_type, 17, "");
      if (latest == nullptr) {
        throw Error(head + node.name + "' is a " + node.op_type + ", which ONNX does not define (up to opset 17)");
      }
      refuse(node, "", latest->since_version());
    }
    // An op whose later version added an attribute changed meaning there
    // (Reshape's allowzero from 14): the node needs the version it was written for.
    for (const auto& [name, value] : node.attrs.all()) {
      if (schema->attributes().count(name)) continue;
      const int since = first_opset_where(node.op_type, opset, [&](const onnx::OpSchema& s) {
        return s.attributes().count(name) > 0;
      });
      if (since == 0) {
        throw Error(head + node.name + "' is a " + node.op_type + " with attribute '" + name +
                    "', which ONNX does not define (up to opset 17)");
      }
      refuse(node, " with attribute '" + name + "'", since);
    }
  }
}

void export_onnx(const graph::Graph& graph, const std::string& path, const ExportOptions& options) {
  check_finite_weights(graph, path);
  onnx::ModelProto model = to_onnx(graph, options);
  write_checked_onnx(model, path);
}

void write_checked_onnx(onnx::ModelProto& model, const std::string& path) {
  check_onnx(model, path);
  // Shape inference added value_info; the written model keeps only what we built.
  model.mutable_graph()->clear_value_info();
  AtomicFile file(path);
  {
    errno = 0;
    std::ofstream out(file.temp_path(), std::ios::binary);
    const bool written = out && model.SerializeToOstream(&out);
    out.close();
    if (!written || !out) throw IoError(path, "", "cannot write the ONNX model" + system_reason());
  }
  file.commit();
}

}  // namespace qat::exporter
