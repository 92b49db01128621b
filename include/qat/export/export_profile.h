// Export profiles: what a Q/DQ export targets. A profile owns its Q/DQ placement (rules
// as data, quant/placement.h: the plan puts a fake quantizer wherever the profile will
// write a Q/DQ pair, so training and the ONNX Runtime re-check see the deployed graph),
// its checks, the constants it derives from the trained qparams, and its additions to
// the rewrite. Built-ins (src/export/registry.cpp): tensorrt, ort. docs/export.md.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qat/core/registry.h"
#include "qat/graph/executor.h"
#include "qat/graph/graph.h"
#include "qat/quant/quantizer_set.h"
#include "qat/quant/placement.h"
#include "qat/quant/quant_plan.h"

namespace qat::exporter {

namespace detail { struct QdqRewrite; }

/// An int32 Conv bias on its accumulator's grid (scale = input scale x weight scale).
struct Int32Bias {
  std::string node;     ///< the Conv reading it
  size_t input = 0;     ///< its bias input slot
  at::Tensor q;         ///< int32 [M]
  at::Tensor scale;     ///< float [M] or 0-d
};

/// What prepare() derives from the plan and the trained qparams for the rewrite.
struct PreparedExport {
  std::vector<Int32Bias> biases;
};

class ExportProfile {
 public:
  virtual ~ExportProfile() = default;

  /// The registry name (also written as the model's qat.profile metadata).
  virtual std::string name() const = 0;

  /// The quantizers the target needs besides the quantized ops' inputs.
  virtual quant::Placement placement() const = 0;

  /// Activation Q/DQ pairs on the uint8 grid (the same real values: q + 128).
  virtual bool uint8_activations() const = 0;

  /// Throws qat::Error when a point cannot be deployed on the target (any profile: a width
  /// other than 8 bits).
  virtual void validate(const graph::Graph& graph, const quant::QuantPlan& plan,
                        const std::map<std::string, quant::QParams>& qparams) const;

  /// Constants computed from the trained qparams (through quant, not by observing again).
  virtual PreparedExport prepare(const graph::Graph& graph, const quant::QuantPlan& plan,
                                 const std::map<std::string, quant::QParams>& qparams) const;

  /// Adds `prepared` to the Q/DQ rewrite of the planned points.
  virtual void rewrite(const graph::Graph& graph, const PreparedExport& prepared, detail::QdqRewrite& rewrite) const;

  /// The libtorch image of the deployed graph: the plan's fake quantizers on `executor`
  /// (the plan already holds every point the profile writes).
  void simulate(quant::QuantizerSet& quantizers, graph::Executor& executor) const { quantizers.attach(executor); }
};

using ExportProfileFactory = std::unique_ptr<ExportProfile> (*)();

/// The built-in profiles (src/export/registry.cpp).
const Registry<ExportProfileFactory>& export_profile_registry();

/// The profile called `name`; throws qat::Error listing the known ones.
std::unique_ptr<ExportProfile> make_export_profile(const std::string& name);

/// TensorRT: Q/DQ at the inputs of quantized ops only, zero points 0, float biases.
std::unique_ptr<ExportProfile> make_tensorrt_profile();
/// ONNX Runtime's CPU kernels: uint8 activations, int32 Conv biases and Q/DQ pairs
/// around every op it has an integer kernel for (ort_placement()).
std::unique_ptr<ExportProfile> make_ort_profile();

/// The ort profile's placement rules (one entry each; tests/quant/placement_test.cpp).
quant::Placement ort_placement();

}  // namespace qat::exporter
