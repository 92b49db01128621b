// The built-in export profiles: one line each.
#include "qat/export/export_profile.h"

#include "qat/core/registry_of.h"

namespace qat::exporter {

const Registry<ExportProfileFactory>& export_profile_registry() {
  static const auto registry = registry_of<ExportProfileFactory>("export profile", {
      {"tensorrt", make_tensorrt_profile},
      {"ort", make_ort_profile},
  });
  return registry;
}

}  // namespace qat::exporter
