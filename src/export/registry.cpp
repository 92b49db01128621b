// The built-in export profiles: one line each.
#include "qat/export/export_profile.h"

namespace qat::exporter {

const Registry<ExportProfileFactory>& export_profile_registry() {
  static const Registry<ExportProfileFactory> registry = [] {
    Registry<ExportProfileFactory> reg("export profile");
    reg.add("tensorrt", make_tensorrt_profile);
    reg.add("ort", make_ort_profile);
    return reg;
  }();
  return registry;
}

}  // namespace qat::exporter
