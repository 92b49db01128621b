// The sections of a recipe. Each reads itself strictly from YAML (from_yaml)
// and writes itself back with every default filled in (to_yaml), so that
// `qat recipe show` prints exactly what a run will use.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "qat/distill/loss_spec.h"
#include "qat/recipe/key_path.h"

namespace qat {

/// `data:` where the detection dataset is and how batches are made.
struct DataSection {
  std::string path = "data/fmnist-scenes-8k.h5";  ///< HDF5 detection dataset; this one is scripts/default-data's
  std::string train_split = "train";
  std::string val_split = "val";
  int image_size = 160;  ///< network input side; images are letterboxed to it
  int batch_size = 32;
  int prefetch = 2;      ///< batches prepared ahead by the loader thread
  double hflip = 0.5;    ///< probability of a horizontal flip in training

  static DataSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

/// `model.head:` where an imported ONNX detector's contract values are, in one of
/// three layouts (docs/recipes.md "Imported models"); model/head_adapter.h turns
/// each into the contract's boxes [B,A,4] xyxy and scores [B,A,C].
struct OnnxHeadSection {
  /// boxes_scores: outputs `boxes` [B,A,4] xyxy and `scores` [B,A,C] as they are;
  /// ultralytics: one output `output` [B,4+C,A], cx,cy,w,h then sigmoid scores;
  /// general: outputs `boxes` and `scores` (or the `score_inputs` factors) in
  /// `box_format`, channel-last or channel-first, `score` applied to them.
  std::string layout = "boxes_scores";
  std::string input = "images";    ///< graph input, float [B,3,S,S] in [0,1]
  std::string output = "output0";  ///< ultralytics: the one output [B,4+C,A]
  std::string boxes = "boxes";     ///< boxes_scores, general: graph output of the boxes
  std::string scores = "scores";   ///< boxes_scores, general: graph output of the scores
  std::string box_format = "xyxy"; ///< general: xyxy | cxcywh | xywh (x,y the top-left corner)
  std::string channels = "last";   ///< general: last ([B,A,4], [B,A,C]) | first ([B,4,A], [B,C,A])
  /// general: none (the scores output is in [0,1]) | sigmoid | softmax (over the
  /// classes, of the scores output) | product (geometric mean of the sigmoids of
  /// `score_inputs`, e.g. FCOS's sqrt(sigmoid(cls) * sigmoid(ctr)))
  std::string score = "none";
  std::vector<std::string> score_inputs;  ///< general, score product: the factor outputs ([B,A,C] or [B,A,1])
  /// value whose sigmoid is the scores, in the layout's orientation; empty: found
  /// automatically (the input of the Sigmoid making the scores), else none
  std::string logits;
  std::string anchor_points;     ///< initializer or Constant [A,2], [2,A], [1,2,A] or [1,A,2] (cx, cy) pixels; empty: none
  std::string anchor_strides;    ///< initializer or Constant [A], [A,1], [1,A] or [1,1,A] pixels; empty: none

  static OnnxHeadSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

/// `model:` which detector to build (`arch:`) or import (`onnx:` + `head:`).
struct ModelSection {
  std::string arch = "configs/arch/yolo-nano.yaml";  ///< architecture YAML; empty when onnx is set
  std::string onnx;      ///< FP32 ONNX detector (graph::import_onnx); excludes arch
  OnnxHeadSection head;  ///< only with onnx

  bool is_onnx() const { return !onnx.empty(); }

  static ModelSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

/// `fp32:` the FP32 warm-start training phase.
struct Fp32Section {
  int epochs = 30;
  std::string optimizer = "sgd";  ///< sgd | adamw
  double lr = 0.01;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  double warmup_epochs = 1.0;
  std::string schedule = "cosine";  ///< cosine | constant
  double min_lr_ratio = 0.05;       ///< final lr = lr * min_lr_ratio
  /// Weight EMA (train/weight_ema.h): evaluate and keep the average; 0 turns it off.
  double ema_decay = 0;
  double ema_tau = 100;  ///< in iterations: the decay ramps up over the first few tau
  /// Batches with a non-finite loss or gradient skipped before the phase stops (0: stop at the first).
  int max_bad_batches = 0;

  static Fp32Section from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

/// `eval:` how detections are produced and matched.
struct EvalSection {
  double score_threshold = 0.70;  ///< the deployed confidence threshold
  double nms_iou = 0.6;
  double match_iou = 0.5;
  int max_detections = 100;

  static EvalSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

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

  static QuantSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

/// `export:` how the quantized student is written as a Q/DQ ONNX model (docs/export.md).
struct ExportSection {
  std::string profile = "tensorrt";  ///< tensorrt | ort
  int opset = 13;                    ///< 13 to 17; 0: an imported model's own (Recipe)

  static ExportSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

/// `qat:` fine-tuning the fake-quantized student against the frozen FP32 teacher.
struct QatSection {
  int epochs = 6;
  /// sgd | adamw | same (fp32.optimizer). Adam's per-weight step sizes suit BN-folded
  /// weights, whose scales differ by orders of magnitude between channels.
  std::string optimizer = "same";
  double lr = 0;             ///< 0: fp32.lr / 10
  /// On conv weights; folded weights are not scale-invariant as under BatchNorm, so
  /// decay pulls the function itself (default 0).
  double weight_decay = 0;
  int observer_freeze_epoch = 0;  ///< activation ranges follow the student until this epoch (0: frozen after calibration)
  int max_bad_batches = 0;        ///< as fp32.max_bad_batches
  std::string gate = "configs/gates/default.yaml";
  /// What makes one gate-passing epoch better than another: recall | precision_agreement |
  /// median_iou | confidence_mae (lower is better) | f1 (of recall and precision agreement).
  std::string objective = "recall";
  double threshold_lo = 0.60;   ///< threshold search range when the teacher threshold misses the gate
  double threshold_hi = 0.75;
  double threshold_step = 0.01;
  std::string fp32_weights;     ///< FP32 checkpoint to start from; empty: train the fp32 phase
  std::vector<distill::LossSpec> losses = distill::default_losses();

  static QatSection from_yaml(const YAML::Node& node, const KeyPath& path);
  YAML::Node to_yaml() const;
};

}  // namespace qat
