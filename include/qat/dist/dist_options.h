// The `distributed:` section of a recipe: how a data-parallel run's ranks talk
// (docs/distributed.md). Read and written by recipe/sections.cpp; a single-process
// run reads only its device.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

#include "qat/core/key_path.h"

namespace qat {

/// `distributed:` the process group of a run launched with --nproc, torchrun or srun.
struct DistributedSection {
  std::string backend = "gloo";  ///< gloo (CPU); nccl needs a CUDA build of libtorch
  int64_t timeout_s = 60;        ///< rendezvous and every collective: a missing peer fails after this
  std::string device = "cpu";    ///< cpu, cuda (cuda:LOCAL_RANK) or cuda:N; cuda needs a CUDA build (dist/device.h)

  bool operator==(const DistributedSection& o) const {
    return backend == o.backend && timeout_s == o.timeout_s && device == o.device;
  }
  static DistributedSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

}  // namespace qat
