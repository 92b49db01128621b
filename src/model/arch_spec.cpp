#include "qat/model/arch_spec.h"

#include "qat/core/atomic_file.h"
#include "qat/core/yaml_map.h"

namespace qat::model {
namespace {

// Which keys each block type reads (besides `type`); the rest are unknown keys.
// A channel count at `node`: at least `least` (2 for a C2f, which splits its channels
// in two halves), at most 4096.
void check_channels(const KeyPath& path, const YAML::Node& node, int64_t channels, int64_t least) {
  if (channels < least || channels > 4096) {
    throw path.error(node, "must be in [" + std::to_string(least) + ", 4096], got " + std::to_string(channels));
  }
}

BlockSpec block_from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  BlockSpec b;
  b.type = m.require_choice("type", {"conv", "c2f", "sppf"});
  b.out = m.require<int64_t>("out");
  check_channels(m.path("out"), m.node("out"), b.out, b.type == "c2f" ? 2 : 1);
  if (b.type == "conv") {
    b.kernel = m.get_in<int64_t>("kernel", 3, 1, 7);
    b.stride = m.get_in<int64_t>("stride", 1, 1, 2);
  } else if (b.type == "c2f") {
    b.blocks = m.get_in<int64_t>("blocks", 1, 1, 16);
    b.shortcut = m.get("shortcut", true);
  } else {
    b.kernel = m.get_in<int64_t>("kernel", 5, 3, 9);
  }
  m.finish();
  return b;
}

}  // namespace

ArchSpec ArchSpec::from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  ArchSpec a;
  a.file = path.file();
  a.name = m.require<std::string>("name");
  a.activation = m.get_choice("activation", a.activation, {"silu", "relu"});
  const YAML::Node backbone = m.node("backbone");
  if (!backbone.IsSequence() || backbone.size() == 0) {
    throw m.path("backbone").error(backbone.IsDefined() ? backbone : node, "expected a non-empty list of blocks");
  }
  for (size_t i = 0; i < backbone.size(); ++i) {
    a.backbone.push_back(block_from_yaml(backbone[i], m.path("backbone")[i]));
    // SPPF pools half of its input's channels.
    if (a.backbone.back().type == "sppf" && i > 0 && a.backbone[i - 1].out < 2) {
      throw m.path("backbone")[i].error(backbone[i], "sppf needs at least 2 input channels; backbone[" +
                                                         std::to_string(i - 1) + "] gives 1");
    }
  }

  YamlMap neck(m.node("neck"), m.path("neck"));
  a.neck_from = neck.require<std::vector<int64_t>>("from");
  a.neck_channels = neck.require<std::vector<int64_t>>("channels");
  a.neck_blocks = neck.get_in<int64_t>("blocks", 1, 1, 8);
  if (a.neck_from.size() != 3) {
    throw neck.path("from").error(neck.node("from"), "expected 3 backbone indices (strides 8, 16, 32)");
  }
  if (a.neck_channels.size() != 3) {
    throw neck.path("channels").error(neck.node("channels"), "expected 3 channel counts");
  }
  for (size_t i = 0; i < 3; ++i) {  // each neck stage is a C2f
    check_channels(neck.path("channels")[i], neck.node("channels")[i], a.neck_channels[i], 2);
  }
  for (size_t i = 0; i < 3; ++i) {
    if (a.neck_from[i] < 0 || a.neck_from[i] >= static_cast<int64_t>(a.backbone.size())) {
      throw neck.path("from")[i].error(neck.node("from")[i], "no backbone block " + std::to_string(a.neck_from[i]));
    }
  }
  neck.finish();

  YamlMap head(m.node("head"), m.path("head"));
  a.head_channels = head.get_in<int64_t>("channels", a.head_channels, 4, 1024);
  head.finish();
  m.finish();
  return a;
}

YAML::Node ArchSpec::to_yaml() const {
  YAML::Node n;
  n["name"] = name;
  n["activation"] = activation;
  for (const auto& b : backbone) {
    YAML::Node block;
    block["type"] = b.type;
    block["out"] = b.out;
    if (b.type == "conv") {
      block["kernel"] = b.kernel;
      block["stride"] = b.stride;
    } else if (b.type == "c2f") {
      block["blocks"] = b.blocks;
      block["shortcut"] = b.shortcut;
    } else {
      block["kernel"] = b.kernel;
    }
    n["backbone"].push_back(block);
  }
  n["neck"]["from"] = neck_from;
  n["neck"]["channels"] = neck_channels;
  n["neck"]["blocks"] = neck_blocks;
  n["head"]["channels"] = head_channels;
  return n;
}

ArchSpec load_arch(const std::string& file) {
  return ArchSpec::from_yaml(load_yaml_file(file), KeyPath(file));
}

}  // namespace qat::model
