#include "qat/model/blocks.h"

#include "qat/core/registry_of.h"

namespace qat::model {
namespace {

std::string conv_block(GraphBuilder& b, const std::string& name, const std::string& input,
                       const BlockSpec& spec) {
  return b.conv_bn_act(name, input, spec.out, spec.kernel, spec.stride);
}

std::string c2f(GraphBuilder& b, const std::string& name, const std::string& input, const BlockSpec& spec) {
  return c2f_block(b, name, input, spec.out, spec.blocks, spec.shortcut);
}

// SPPF: three chained 5x5 max pools share work of 5/9/13 pyramid pooling.
std::string sppf(GraphBuilder& b, const std::string& name, const std::string& input, const BlockSpec& spec) {
  const int64_t hidden = b.channels(input) / 2;
  const std::string x = b.conv_bn_act(name + ".cv1", input, hidden, 1, 1);
  graph::Attributes pool;
  const int64_t k = spec.kernel;
  pool.set("kernel_shape", std::vector<int64_t>{k, k});
  pool.set("strides", std::vector<int64_t>{1, 1});
  pool.set("pads", std::vector<int64_t>{k / 2, k / 2, k / 2, k / 2});
  const std::string p1 = b.op(name + ".pool1", "MaxPool", {x}, pool);
  const std::string p2 = b.op(name + ".pool2", "MaxPool", {p1}, pool);
  const std::string p3 = b.op(name + ".pool3", "MaxPool", {p2}, pool);
  graph::Attributes cat;
  cat.set("axis", int64_t{1});
  const std::string c = b.op(name + ".concat", "Concat", {x, p1, p2, p3}, cat);
  b.set_channels(c, 4 * hidden);
  return b.conv_bn_act(name + ".cv2", c, spec.out, 1, 1);
}

}  // namespace

std::string c2f_block(GraphBuilder& b, const std::string& name, const std::string& input,
                      int64_t out, int64_t blocks, bool shortcut) {
  const int64_t hidden = out / 2;
  const std::string x = b.conv_bn_act(name + ".cv1", input, 2 * hidden, 1, 1);
  const std::string sizes = b.constant(name + ".split_sizes", at::tensor(std::vector<int64_t>{hidden, hidden}));
  graph::Attributes axis;
  axis.set("axis", int64_t{1});
  b.graph().add_node({name + ".split", "Split", {x, sizes}, {name + ".split.0", name + ".split.1"}, axis});
  std::vector<std::string> parts = {name + ".split.0", name + ".split.1"};
  b.set_channels(parts[0], hidden);
  b.set_channels(parts[1], hidden);
  std::string y = parts[1];
  for (int64_t i = 0; i < blocks; ++i) {
    const std::string m = name + ".m." + std::to_string(i);
    const std::string h = b.conv_bn_act(m + ".cv1", y, hidden, 3, 1);
    std::string z = b.conv_bn_act(m + ".cv2", h, hidden, 3, 1);
    if (shortcut) {
      z = b.op(m + ".add", "Add", {y, z});
      b.set_channels(z, hidden);
    }
    parts.push_back(z);
    y = z;
  }
  const std::string c = b.op(name + ".concat", "Concat", parts, axis);
  b.set_channels(c, hidden * static_cast<int64_t>(parts.size()));
  return b.conv_bn_act(name + ".cv2", c, out, 1, 1);
}

const Registry<BlockBuilder>& block_registry() {
  static const auto registry = registry_of<BlockBuilder>("block", {
      {"conv", conv_block},
      {"c2f", c2f},
      {"sppf", sppf},
  });
  return registry;
}

}  // namespace qat::model
