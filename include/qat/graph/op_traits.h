// What an op supports, declared beside it in src/graph/ops/registry.cpp (as ncnn's
// layers declare one_blob_only or support_inplace): the importer, the quant plan, BN
// folding, `qat inspect` and the Q/DQ exporter ask these traits instead of testing
// op types, so a new op joins every pass by its registry line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "qat/graph/graph.h"

namespace qat::graph {

/// The Executor runs x * Sigmoid(x) as one SiLU kernel.
enum class SiluRole {
  none,
  sigmoid,  ///< Sigmoid(x)
  product,  ///< x * Sigmoid(x) (Mul)
};

/// How an op passes a weight through to a quantizable reader.
enum class WeightView {
  none,         ///< not see-through: a weight behind it is an activation
  same_layout,  ///< the reader gets the weight itself (Identity)
  relayout,     ///< the same elements in another shape; its other inputs must be constants (Reshape)
};

struct OpTraits {
  /// Inputs holding statistics or configuration: an imported float initializer there
  /// is a constant, never a trained parameter (BatchNormalization 3 and 4, Resize 1-3).
  std::vector<size_t> constant_inputs;
  /// Of those, the ones training updates in place (running statistics): Graph::buffers().
  std::vector<size_t> updated_inputs;
  /// Inputs an empty constant tensor marks as not given (Resize's roi and scales).
  std::vector<size_t> empty_means_omitted;

  /// Quantizable ops: the input that holds the weight (its data input is 0).
  std::optional<size_t> weight_input;
  /// The weight's output-channel axis for per-channel quantization, from the node and
  /// the rank of the weight as the node reads it. Set whenever weight_input is.
  int64_t (*weight_axis)(const Node& node, int64_t weight_rank) = nullptr;
  /// The bias input of a quantizable op, per output channel (Conv 2).
  std::optional<size_t> bias_input;
  /// The ort export profile quantizes its output and its bias to int32, the group
  /// ONNX Runtime fuses into one integer kernel (Conv → QLinearConv).
  bool ort_integer_output = false;

  /// A BatchNormalization reading its output (its only reader) folds into its weight and bias.
  bool bn_foldable = false;
  /// The op is a per-channel affine normalization that folds into a bn_foldable producer:
  /// inputs 1-4 scale, bias, mean, variance; attribute epsilon.
  bool folds_into_producer = false;
  /// How a weight reaching a quantizable op through this op is seen.
  WeightView weight_view = WeightView::none;

  /// The output joins the inputs (Concat): quant.share_concat_scales puts them on one grid.
  bool joins_inputs = false;
  /// A residual sum of two activations (Add): quant.quantize_residual_add quantizes both.
  bool residual_sum = false;
  /// The output depends on input 0's shape only (Shape): folds when that shape is static.
  bool reads_shape_only = false;
  /// The input holding the output's shape, where an element 0 copies input 0's
  /// dimension unless the node's allowzero is set (Reshape 1): a static batch baked
  /// into it can be made to follow the input.
  std::optional<size_t> target_shape_input;
  /// The output is the node's `value` attribute (Constant): a constant without an initializer.
  bool value_from_attribute = false;
  /// The output is a probability distribution over an axis (Softmax): a quantizable op
  /// reading it decodes that distribution (YOLOv8's DFL), so it belongs to the head.
  bool distribution = false;
  SiluRole silu = SiluRole::none;
  /// Integer attributes whose every element must be at least 1 (Conv's strides,
  /// dilations, kernel_shape and group): ONNX's shape inference divides by them, so the
  /// importer refuses a zero or negative one before inference runs.
  std::vector<std::string> positive_attributes;

  bool quantizable() const { return weight_input.has_value(); }
  bool is_constant_input(size_t index) const;
};

/// The traits of a registered op; an unregistered op has none (every field default).
const OpTraits& op_traits(const std::string& op_type);

}  // namespace qat::graph
