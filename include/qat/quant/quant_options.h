// The `quant:` section of a recipe: the quantized region and how weights and
// activations are quantized. Read and written by recipe/sections.cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "qat/core/key_path.h"

namespace qat {

/// How one kind of tensor (weights or activations) is quantized.
struct QuantTensorSection {
  int bits = 8;
  bool per_channel = false;   ///< weights: one scale per output channel (axis 0)
  bool symmetric = true;      ///< zero point 0 (TensorRT requires it)
  bool narrow_range = false;  ///< [-127, 127] instead of [-128, 127]
  std::string observer = "minmax";

  static QuantTensorSection from_yaml(const YAML::Node& node, const KeyPath& path,
                                      const QuantTensorSection& defaults);
  YAML::Node to_yaml() const;
};

/// `quant:` which region is quantized and how.
struct QuantSection {
  /// Node-name patterns (docs/quantization.md): a quantizable op (Conv, Gemm,
  /// MatMul) is quantized when an include pattern matches it and no exclude does.
  std::vector<std::string> include = {"backbone.**", "neck.**", "head.**"};
  std::vector<std::string> exclude = {"head.*.cls_pred", "head.*.box_pred"};
  QuantTensorSection weights{8, true, true, true, "minmax"};
  QuantTensorSection activations{8, false, true, false, "percentile"};
  bool quantize_residual_add = false;  ///< also quantize both inputs of residual Adds
  /// A Concat whose output is quantized: its inputs that are quantized points share one
  /// quantizer (one scale), so the concatenated values sit on one grid.
  bool share_concat_scales = false;
  bool learnable_scale = false;        ///< LSQ: scales are trained in QAT
  int calibration_images = 256;        ///< drawn from the train split
  /// `calibration.sampling`: which train images calibrate: `sequential` (file order),
  /// `random` (the seeded shuffle, as calibration has always drawn) or `class_balanced`
  /// (docs/quantization.md, "Calibration sampling").
  std::string calibration_sampling = "random";
  /// `calibration.oversample`: class name (or id) -> weight of its share in class_balanced.
  std::map<std::string, double> calibration_oversample;

  static QuantSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

}  // namespace qat
