// TensorRT's rule: Q/DQ at the inputs of quantized ops only (its builder fuses them
// into the layers), symmetric grids, float biases.
#include "qat/core/error.h"
#include "qat/export/export_profile.h"

namespace qat::exporter {
namespace {

class TensorrtProfile final : public ExportProfile {
 public:
  std::string name() const override { return "tensorrt"; }
  quant::Placement placement() const override { return {}; }
  bool uint8_activations() const override { return false; }

  void validate(const graph::Graph& graph, const quant::QuantPlan& plan,
                const std::map<std::string, quant::QParams>& qparams) const override {
    ExportProfile::validate(graph, plan, qparams);
    for (const auto& p : plan.points) {
      const int64_t zp = qparams.at(p.value).zero_point.abs().max().item<int64_t>();
      QAT_CHECK(zp == 0, "tensorrt needs symmetric quantization: '", p.value, "' has zero point ", zp);
    }
  }
};

}  // namespace

std::unique_ptr<ExportProfile> make_tensorrt_profile() { return std::make_unique<TensorrtProfile>(); }

}  // namespace qat::exporter
