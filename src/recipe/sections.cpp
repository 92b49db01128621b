#include "qat/recipe/sections.h"

#include "qat/core/yaml_map.h"

namespace qat {

DataSection DataSection::from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  DataSection s;
  s.path = m.get("path", s.path);
  s.train_split = m.get("train_split", s.train_split);
  s.val_split = m.get("val_split", s.val_split);
  s.image_size = m.get_in("image_size", s.image_size, 32, 4096);
  if (s.image_size % 32 != 0) {
    throw m.path("image_size").error(m.node("image_size"),
                                     "must be a multiple of 32 (the largest stride), got " +
                                         std::to_string(s.image_size));
  }
  s.batch_size = m.get_in("batch_size", s.batch_size, 1, 4096);
  s.prefetch = m.get_in("prefetch", s.prefetch, 1, 64);
  s.hflip = m.get_in("hflip", s.hflip, 0.0, 1.0);
  m.finish();
  return s;
}

YAML::Node DataSection::to_yaml() const {
  YAML::Node n;
  n["path"] = path;
  n["train_split"] = train_split;
  n["val_split"] = val_split;
  n["image_size"] = image_size;
  n["batch_size"] = batch_size;
  n["prefetch"] = prefetch;
  n["hflip"] = yaml_number(hflip);
  return n;
}

OnnxHeadSection OnnxHeadSection::from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  OnnxHeadSection s;
  s.layout = m.get_choice("layout", s.layout, {"boxes_scores", "ultralytics", "general"});
  auto required_name = [&m](const std::string& key, std::string& field) {
    field = m.get(key, field);
    if (field.empty()) throw m.path(key).error(m.node(key), "must name a graph value");
  };
  // A key of another layout is refused rather than ignored.
  auto only_in = [&m, &s](const std::string& key, const std::string& where) {
    if (m.has(key)) throw m.path(key).error(m.node(key), "is a key of layout " + where + ", not of " + s.layout);
  };
  required_name("input", s.input);
  if (s.layout == "ultralytics") {
    required_name("output", s.output);
    for (const char* key : {"boxes", "scores"}) only_in(key, "boxes_scores and general");
  } else {
    only_in("output", "ultralytics");
    required_name("boxes", s.boxes);
  }
  if (s.layout == "general") {
    s.box_format = m.get_choice("box_format", s.box_format, {"xyxy", "cxcywh", "xywh"});
    s.channels = m.get_choice("channels", s.channels, {"last", "first"});
    s.score = m.get_choice("score", s.score, {"none", "sigmoid", "softmax", "product"});
    if (s.score == "product") {
      only_in("scores", "general with a score other than product (product reads score_inputs)");
      s.scores.clear();
      s.score_inputs = m.get("score_inputs", s.score_inputs);
      if (s.score_inputs.empty()) {
        throw m.path("score").error(m.node("score"), "product needs score_inputs: the outputs whose sigmoids are multiplied");
      }
    } else {
      only_in("score_inputs", "general with score: product");
      required_name("scores", s.scores);
    }
  } else {
    for (const char* key : {"box_format", "channels", "score", "score_inputs"}) only_in(key, "general");
    if (s.layout == "boxes_scores") required_name("scores", s.scores);
  }
  s.logits = m.get("logits", s.logits);
  s.anchor_points = m.get("anchor_points", s.anchor_points);
  s.anchor_strides = m.get("anchor_strides", s.anchor_strides);
  if (s.anchor_points.empty() != s.anchor_strides.empty()) {
    const std::string given = s.anchor_points.empty() ? "anchor_strides" : "anchor_points";
    throw m.path(given).error(m.node(given), "anchor_points and anchor_strides go together; give both or neither");
  }
  m.finish();
  return s;
}

YAML::Node OnnxHeadSection::to_yaml() const {
  YAML::Node n;
  n["layout"] = layout;
  n["input"] = input;
  if (layout == "ultralytics") {
    n["output"] = output;
  } else {
    n["boxes"] = boxes;
  }
  if (layout == "general") {
    n["box_format"] = box_format;
    n["channels"] = channels;
    n["score"] = score;
    if (score == "product") {
      n["score_inputs"] = score_inputs;
    } else {
      n["scores"] = scores;
    }
  } else if (layout == "boxes_scores") {
    n["scores"] = scores;
  }
  n["logits"] = logits;
  n["anchor_points"] = anchor_points;
  n["anchor_strides"] = anchor_strides;
  return n;
}

ModelSection ModelSection::from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  ModelSection s;
  if (m.has("onnx")) {
    if (m.has("arch")) {
      throw m.path("onnx").error(m.node("onnx"), "'arch' and 'onnx' are mutually exclusive; give one");
    }
    s.arch.clear();
    s.onnx = m.get("onnx", s.onnx);
    if (s.onnx.empty()) throw m.path("onnx").error(m.node("onnx"), "must name an ONNX file");
    s.head = OnnxHeadSection::from_yaml(m.node("head"), m.path("head"));
  } else {
    s.arch = m.get("arch", s.arch);
    if (m.has("head")) throw m.path("head").error(m.node("head"), "only an imported model ('onnx') has a head section");
  }
  m.finish();
  return s;
}

YAML::Node ModelSection::to_yaml() const {
  YAML::Node n;
  if (is_onnx()) {
    n["onnx"] = onnx;
    n["head"] = head.to_yaml();
  } else {
    n["arch"] = arch;
  }
  return n;
}

Fp32Section Fp32Section::from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  Fp32Section s;
  s.epochs = m.get_in("epochs", s.epochs, 0, 100000);
  s.optimizer = m.get_choice("optimizer", s.optimizer, {"sgd", "adamw"});
  s.lr = m.get_in("lr", s.lr, 0.0, 10.0);
  s.momentum = m.get_in("momentum", s.momentum, 0.0, 1.0);
  s.weight_decay = m.get_in("weight_decay", s.weight_decay, 0.0, 1.0);
  s.warmup_epochs = m.get_in("warmup_epochs", s.warmup_epochs, 0.0, 1000.0);
  s.schedule = m.get_choice("schedule", s.schedule, {"cosine", "constant"});
  s.min_lr_ratio = m.get_in("min_lr_ratio", s.min_lr_ratio, 0.0, 1.0);
  s.ema_decay = m.get_in("ema_decay", s.ema_decay, 0.0, 0.999999);
  s.ema_tau = m.get_in("ema_tau", s.ema_tau, 1.0, 1e9);
  s.max_bad_batches = m.get_in("max_bad_batches", s.max_bad_batches, 0, 1000000);
  m.finish();
  return s;
}

YAML::Node Fp32Section::to_yaml() const {
  YAML::Node n;
  n["epochs"] = epochs;
  n["optimizer"] = optimizer;
  n["lr"] = yaml_number(lr);
  n["momentum"] = yaml_number(momentum);
  n["weight_decay"] = yaml_number(weight_decay);
  n["warmup_epochs"] = yaml_number(warmup_epochs);
  n["schedule"] = schedule;
  n["min_lr_ratio"] = yaml_number(min_lr_ratio);
  n["ema_decay"] = yaml_number(ema_decay);
  n["ema_tau"] = yaml_number(ema_tau);
  n["max_bad_batches"] = max_bad_batches;
  return n;
}

EvalSection EvalSection::from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  EvalSection s;
  s.score_threshold = m.get_in("score_threshold", s.score_threshold, 0.0, 1.0);
  s.nms_iou = m.get_in("nms_iou", s.nms_iou, 0.0, 1.0);
  s.match_iou = m.get_in("match_iou", s.match_iou, 0.0, 1.0);
  s.max_detections = m.get_in("max_detections", s.max_detections, 1, 100000);
  m.finish();
  return s;
}

YAML::Node EvalSection::to_yaml() const {
  YAML::Node n;
  n["score_threshold"] = yaml_number(score_threshold);
  n["nms_iou"] = yaml_number(nms_iou);
  n["match_iou"] = yaml_number(match_iou);
  n["max_detections"] = max_detections;
  return n;
}

QuantTensorSection QuantTensorSection::from_yaml(const YAML::Node& node, const KeyPath& path,
                                                const QuantTensorSection& defaults) {
  YamlMap m(node, path);
  QuantTensorSection s = defaults;
  s.bits = m.get_in("bits", s.bits, 2, 16);
  s.per_channel = m.get("per_channel", s.per_channel);
  s.symmetric = m.get("symmetric", s.symmetric);
  s.narrow_range = m.get("narrow_range", s.narrow_range);
  s.observer = m.get_choice("observer", s.observer, {"minmax", "ema_minmax", "percentile", "mse", "entropy"});
  m.finish();
  return s;
}

YAML::Node QuantTensorSection::to_yaml() const {
  YAML::Node n;
  n["bits"] = bits;
  n["per_channel"] = per_channel;
  n["symmetric"] = symmetric;
  n["narrow_range"] = narrow_range;
  n["observer"] = observer;
  return n;
}

QuantSection QuantSection::from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  QuantSection s;
  s.include = m.get("include", s.include);
  s.exclude = m.get("exclude", s.exclude);
  s.weights = QuantTensorSection::from_yaml(m.node("weights"), m.path("weights"), s.weights);
  s.activations = QuantTensorSection::from_yaml(m.node("activations"), m.path("activations"), s.activations);
  if (s.activations.per_channel) {
    throw m.path("activations").error(m.node("activations"),
                                      "per_channel activations are not supported (TensorRT quantizes activations per tensor)");
  }
  s.quantize_residual_add = m.get("quantize_residual_add", s.quantize_residual_add);
  s.share_concat_scales = m.get("share_concat_scales", s.share_concat_scales);
  s.learnable_scale = m.get("learnable_scale", s.learnable_scale);
  s.calibration_images = m.get_in("calibration_images", s.calibration_images, 1, 1000000);
  m.finish();
  return s;
}

YAML::Node QuantSection::to_yaml() const {
  YAML::Node n;
  n["include"] = include;
  n["exclude"] = exclude;
  n["weights"] = weights.to_yaml();
  n["activations"] = activations.to_yaml();
  n["quantize_residual_add"] = quantize_residual_add;
  n["share_concat_scales"] = share_concat_scales;
  n["learnable_scale"] = learnable_scale;
  n["calibration_images"] = calibration_images;
  return n;
}

ExportSection ExportSection::from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  ExportSection s;
  s.profile = m.get_choice("profile", s.profile, {"tensorrt", "ort"});
  s.opset = m.get_in("opset", s.opset, 13, 17);
  m.finish();
  return s;
}

YAML::Node ExportSection::to_yaml() const {
  YAML::Node n;
  n["profile"] = profile;
  n["opset"] = opset;
  return n;
}

QatSection QatSection::from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  QatSection s;
  s.epochs = m.get_in("epochs", s.epochs, 0, 100000);
  s.optimizer = m.get_choice("optimizer", s.optimizer, {"same", "sgd", "adamw"});
  s.lr = m.get_in("lr", s.lr, 0.0, 10.0);
  s.weight_decay = m.get_in("weight_decay", s.weight_decay, 0.0, 1.0);
  s.observer_freeze_epoch = m.get_in("observer_freeze_epoch", s.observer_freeze_epoch, 0, 100000);
  s.max_bad_batches = m.get_in("max_bad_batches", s.max_bad_batches, 0, 1000000);
  s.gate = m.get("gate", s.gate);
  s.objective = m.get_choice("objective", s.objective,
                             {"recall", "precision_agreement", "median_iou", "confidence_mae", "f1"});
  YamlMap search(m.node("threshold_search"), m.path("threshold_search"));
  s.threshold_lo = search.get_in("lo", s.threshold_lo, 0.0, 1.0);
  s.threshold_hi = search.get_in("hi", s.threshold_hi, 0.0, 1.0);
  s.threshold_step = search.get_in("step", s.threshold_step, 1e-4, 1.0);
  if (s.threshold_hi < s.threshold_lo) {
    throw search.path("hi").error(search.node("hi"), "must not be below lo");
  }
  search.finish();
  s.fp32_weights = m.get("fp32_weights", s.fp32_weights);
  if (m.has("losses")) s.losses = distill::losses_from_yaml(m.node("losses"), m.path("losses"));
  m.finish();
  return s;
}

YAML::Node QatSection::to_yaml() const {
  YAML::Node n;
  n["epochs"] = epochs;
  n["optimizer"] = optimizer;
  n["lr"] = yaml_number(lr);
  n["weight_decay"] = yaml_number(weight_decay);
  n["observer_freeze_epoch"] = observer_freeze_epoch;
  n["max_bad_batches"] = max_bad_batches;
  n["gate"] = gate;
  n["objective"] = objective;
  n["threshold_search"]["lo"] = yaml_number(threshold_lo);
  n["threshold_search"]["hi"] = yaml_number(threshold_hi);
  n["threshold_search"]["step"] = yaml_number(threshold_step);
  n["fp32_weights"] = fp32_weights;
  n["losses"] = distill::losses_to_yaml(losses);
  return n;
}

}  // namespace qat
