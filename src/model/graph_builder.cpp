#include "qat/model/graph_builder.h"

#include <cmath>

#include "qat/core/error.h"

namespace qat::model {

GraphBuilder::GraphBuilder(graph::Graph& graph, std::string activation)
    : graph_(graph), activation_(std::move(activation)) {
  QAT_CHECK(activation_ == "silu" || activation_ == "relu", "unknown activation '", activation_,
            "' (known: relu, silu)");
}

namespace {

// PyTorch's default Conv2d initialization (kaiming uniform, a = sqrt(5)), so the
// native detector starts like its PyTorch counterpart would.
at::Tensor conv_weight(int64_t out, int64_t in, int64_t k) {
  const double fan_in = static_cast<double>(in * k * k);
  const double bound = 1.0 / std::sqrt(fan_in);
  return at::empty({out, in, k, k}).uniform_(-bound, bound);
}

}  // namespace

std::string GraphBuilder::conv_bn_act(const std::string& name, const std::string& input,
                                      int64_t out_channels, int64_t kernel, int64_t stride) {
  const int64_t in_channels = channels(input);
  const int64_t pad = kernel / 2;
  graph_.set_initializer(name + ".conv.weight", conv_weight(out_channels, in_channels, kernel), true);
  graph::Attributes conv_attrs;
  conv_attrs.set("kernel_shape", std::vector<int64_t>{kernel, kernel});
  conv_attrs.set("strides", std::vector<int64_t>{stride, stride});
  conv_attrs.set("pads", std::vector<int64_t>{pad, pad, pad, pad});
  graph_.add_node({name + ".conv", "Conv", {input, name + ".conv.weight"}, {name + ".conv"}, conv_attrs});

  graph_.set_initializer(name + ".bn.scale", at::ones({out_channels}), true);
  graph_.set_initializer(name + ".bn.bias", at::zeros({out_channels}), true);
  graph_.set_initializer(name + ".bn.mean", at::zeros({out_channels}));
  graph_.set_initializer(name + ".bn.var", at::ones({out_channels}));
  graph::Attributes bn_attrs;
  bn_attrs.set("epsilon", 1e-3);
  bn_attrs.set("momentum", 0.97);
  graph_.add_node({name + ".bn", "BatchNormalization",
                   {name + ".conv", name + ".bn.scale", name + ".bn.bias", name + ".bn.mean", name + ".bn.var"},
                   {name + ".bn"}, bn_attrs});

  std::string out;
  if (activation_ == "silu") {
    graph_.add_node({name + ".act_sigmoid", "Sigmoid", {name + ".bn"}, {name + ".act_sigmoid"}, {}});
    out = op(name + ".act", "Mul", {name + ".bn", name + ".act_sigmoid"});
  } else {
    out = op(name + ".act", "Relu", {name + ".bn"});
  }
  channels_[out] = out_channels;
  return out;
}

std::string GraphBuilder::conv(const std::string& name, const std::string& input,
                               int64_t out_channels, int64_t kernel, double bias_init) {
  const int64_t pad = kernel / 2;
  graph_.set_initializer(name + ".weight", conv_weight(out_channels, channels(input), kernel), true);
  graph_.set_initializer(name + ".bias", at::full({out_channels}, bias_init), true);
  graph::Attributes attrs;
  attrs.set("kernel_shape", std::vector<int64_t>{kernel, kernel});
  attrs.set("pads", std::vector<int64_t>{pad, pad, pad, pad});
  graph_.add_node({name, "Conv", {input, name + ".weight", name + ".bias"}, {name}, attrs});
  channels_[name] = out_channels;
  return name;
}

std::string GraphBuilder::op(const std::string& name, const std::string& op_type,
                             const std::vector<std::string>& inputs, graph::Attributes attrs) {
  graph_.add_node({name, op_type, inputs, {name}, std::move(attrs)});
  return name;
}

std::string GraphBuilder::constant(const std::string& name, const at::Tensor& value) {
  graph_.set_initializer(name, value);
  return name;
}

int64_t GraphBuilder::channels(const std::string& value) const {
  auto it = channels_.find(value);
  QAT_ASSERT(it != channels_.end(), "channels of '", value, "' are unknown");
  return it->second;
}

void GraphBuilder::set_channels(const std::string& value, int64_t channels) {
  channels_[value] = channels;
}

}  // namespace qat::model
