// The architecture YAML (configs/arch/*.yaml): a backbone of named blocks, a
// PAN neck over three backbone outputs and a decoupled anchor-free head.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "qat/core/key_path.h"

namespace qat::model {

/// One backbone block: `type` picks a builder from the block registry; the
/// other fields are read only when that type uses them.
struct BlockSpec {
  std::string type;     ///< conv | c2f | sppf
  int64_t out = 0;      ///< output channels
  int64_t kernel = 3;   ///< conv, sppf (pool size)
  int64_t stride = 1;   ///< conv
  int64_t blocks = 1;   ///< c2f bottlenecks
  bool shortcut = true; ///< c2f residual adds
};

struct ArchSpec {
  std::string name;
  std::string file;
  std::string activation = "silu";
  std::vector<BlockSpec> backbone;
  std::vector<int64_t> neck_from;       ///< backbone block indices feeding strides 8, 16, 32
  std::vector<int64_t> neck_channels;   ///< channels of the three neck outputs
  int64_t neck_blocks = 1;
  int64_t head_channels = 32;

  static ArchSpec from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

/// Reads and validates an architecture file. Throws IoError / ConfigError.
ArchSpec load_arch(const std::string& file);

}  // namespace qat::model
