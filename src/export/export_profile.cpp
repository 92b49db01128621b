#include "qat/export/export_profile.h"

#include "qat/core/error.h"

namespace qat::exporter {

void ExportProfile::validate(const graph::Graph&, const quant::QuantPlan& plan,
                             const std::map<std::string, quant::QParams>&) const {
  for (const auto& p : plan.points) {
    QAT_CHECK(p.spec.bits == 8, name(), " takes 8-bit quantization only: '", p.value, "' has ", p.spec.bits,
              " bits");
  }
}

PreparedExport ExportProfile::prepare(const graph::Graph&, const quant::QuantPlan&,
                                      const std::map<std::string, quant::QParams>&) const {
  return {};
}

void ExportProfile::rewrite(const graph::Graph&, const PreparedExport&, detail::QdqRewrite&) const {}

std::unique_ptr<ExportProfile> make_export_profile(const std::string& name) {
  return export_profile_registry().get(name)();
}

}  // namespace qat::exporter
