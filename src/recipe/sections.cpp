// The field tables of the recipe sections: each key once, with its range or choices
// and its meaning. from_yaml/to_yaml of every section are its table's read and write.
#include "qat/recipe/sections.h"

#include "qat/core/yaml_map.h"
#include "qat/dist/device.h"
#include "qat/metrics/behaviour_metrics.h"
#include "qat/quant/registry.h"
#include "qat/recipe/recipe_fields.h"

namespace qat {

namespace {

// A string naming a graph value: given, it must not be empty.
template <typename S>
Field<S> graph_value(const std::string& key, std::string S::*member, std::string meaning) {
  return field(key, member, std::move(meaning)).then([key, member](S& s, YamlMap& m) {
    if ((s.*member).empty()) throw m.path(key).error(m.node(key), "must name a graph value");
  });
}

}  // namespace

const FieldTable<DataSection>& data_fields() {
  using S = DataSection;
  static const FieldTable<S> table({
      field("path", &S::path, "HDF5 detection dataset"),
      field("train_split", &S::train_split, "group of the training images"),
      field("val_split", &S::val_split, "group of the validation images"),
      field("image_size", &S::image_size, in(32, 4096), "network input side, a multiple of 32")
          .then([](S& s, YamlMap& m) {
            if (s.image_size % 32 != 0) {
              throw m.path("image_size").error(m.node("image_size"),
                                               "must be a multiple of 32 (the largest stride), got " +
                                                   std::to_string(s.image_size));
            }
          }),
      field("batch_size", &S::batch_size, in(1, 4096), "images per batch"),
      field("prefetch", &S::prefetch, in(1, 64), "batches the loader thread prepares ahead"),
      field("hflip", &S::hflip, in(0.0, 1.0), "probability of a horizontal flip in training"),
  });
  return table;
}

const FieldTable<OnnxHeadSection>& onnx_head_fields() {
  using S = OnnxHeadSection;
  // A key of another layout is refused rather than ignored.
  auto only_in = [](std::string where) -> Field<S>::Refuse {
    return [where](const S& s, YamlMap& m, const std::string& key) {
      throw m.path(key).error(m.node(key), "is a key of layout " + where + ", not of " + s.layout);
    };
  };
  auto ultralytics = [](const S& s) { return s.layout == "ultralytics"; };
  auto general = [](const S& s) { return s.layout == "general"; };
  auto product = [](const S& s) { return s.layout == "general" && s.score == "product"; };
  static const FieldTable<S> table({
      field("layout", &S::layout, one_of({"boxes_scores", "ultralytics", "general"}),
            "how the outputs hold the boxes and scores"),
      graph_value("input", &S::input, "graph input, float [B,3,S,S] in [0,1]"),
      graph_value("output", &S::output, "ultralytics: the one output [B,4+C,A]")
          .only_if(ultralytics, only_in("ultralytics")),
      graph_value("boxes", &S::boxes, "boxes_scores, general: graph output of the boxes")
          .only_if([=](const S& s) { return !ultralytics(s); }, only_in("boxes_scores and general")),
      field("box_format", &S::box_format, one_of({"xyxy", "cxcywh", "xywh"}), "general: how a box is written")
          .only_if(general, only_in("general")),
      field("channels", &S::channels, one_of({"last", "first"}), "general: [B,A,4] (last) or [B,4,A] (first)")
          .only_if(general, only_in("general")),
      field("score", &S::score, one_of({"none", "sigmoid", "softmax", "product"}),
            "general: what makes the scores from the scores output")
          .only_if(general, only_in("general")),
      field("score_inputs", &S::score_inputs, "general, score product: the factor outputs")
          .only_if(product,
                   [=](const S& s, YamlMap& m, const std::string& key) {
                     only_in(general(s) ? "general with score: product" : "general")(s, m, key);
                   })
          .then([](S& s, YamlMap& m) {
            s.scores.clear();
            if (s.score_inputs.empty()) {
              throw m.path("score").error(m.node("score"),
                                          "product needs score_inputs: the outputs whose sigmoids are multiplied");
            }
          }),
      graph_value("scores", &S::scores, "boxes_scores, general: graph output of the scores")
          .only_if([=](const S& s) { return !ultralytics(s) && !product(s); },
                   [=](const S& s, YamlMap& m, const std::string& key) {
                     only_in(ultralytics(s) ? "boxes_scores and general"
                                            : "general with a score other than product (product reads score_inputs)")(
                         s, m, key);
                   }),
      field("logits", &S::logits, "value whose sigmoid is the scores; empty: found automatically"),
      field("anchor_points", &S::anchor_points, "initializer or Constant of the anchor centres; empty: none"),
      field("anchor_strides", &S::anchor_strides, "initializer or Constant of the anchor strides; empty: none")
          .then([](S& s, YamlMap& m) {
            if (s.anchor_points.empty() != s.anchor_strides.empty()) {
              const std::string given = s.anchor_points.empty() ? "anchor_strides" : "anchor_points";
              throw m.path(given).error(m.node(given),
                                        "anchor_points and anchor_strides go together; give both or neither");
            }
          }),
  });
  return table;
}

const FieldTable<ModelSection>& model_fields() {
  using S = ModelSection;
  auto exclusive = [](YamlMap& m) {
    throw m.path("onnx").error(m.node("onnx"), "'arch' and 'onnx' are mutually exclusive; give one");
  };
  static const FieldTable<S> table(
      {
          field("onnx", &S::onnx, "FP32 ONNX detector to import instead of arch").then([](S& s, YamlMap& m) {
            if (m.has("onnx") && s.onnx.empty()) throw m.path("onnx").error(m.node("onnx"), "must name an ONNX file");
          }).written_if([](const S& s) { return s.is_onnx(); }),
          field("arch", &S::arch, "architecture YAML of the native detector")
              .only_if([](const S& s) { return !s.is_onnx(); },
                       [=](const S&, YamlMap& m, const std::string&) { exclusive(m); }),
          section("head", &S::head, onnx_head_fields(), "only with onnx: where the contract's values are")
              .only_if([](const S& s) { return s.is_onnx(); },
                       [](const S&, YamlMap& m, const std::string& key) {
                         throw m.path(key).error(m.node(key), "only an imported model ('onnx') has a head section");
                       }),
      },
      // Before onnx is read: the two exclude each other whatever onnx holds.
      [=](S& s, YamlMap& m) {
        if (!m.has("onnx")) return;
        if (m.has("arch")) exclusive(m);
        s.arch.clear();
      });
  return table;
}

const FieldTable<Fp32Section>& fp32_fields() {
  using S = Fp32Section;
  static const FieldTable<S> table({
      field("epochs", &S::epochs, in(0, 100000), "FP32 warm-start epochs"),
      field("optimizer", &S::optimizer, one_of({"sgd", "adamw"}), "sgd (Nesterov momentum) or adamw"),
      field("lr", &S::lr, in(0.0, 10.0), "peak learning rate"),
      field("momentum", &S::momentum, in(0.0, 1.0), "sgd momentum, adamw beta1"),
      field("weight_decay", &S::weight_decay, in(0.0, 1.0), "on conv weights only"),
      field("warmup_epochs", &S::warmup_epochs, in(0.0, 1000.0), "linear warm-up from 0.1 x lr"),
      field("schedule", &S::schedule,
            EnumNames<LrScheduleKind>{{"cosine", LrScheduleKind::cosine}, {"constant", LrScheduleKind::constant}},
            "learning-rate schedule after warm-up"),
      field("min_lr_ratio", &S::min_lr_ratio, in(0.0, 1.0), "final lr = lr x min_lr_ratio"),
      field("ema_decay", &S::ema_decay, in(0.0, 0.999999), "weight EMA decay; 0 turns it off"),
      field("ema_tau", &S::ema_tau, in(1.0, 1e9), "iterations over which the EMA decay ramps up"),
      field("max_bad_batches", &S::max_bad_batches, in(0, 1000000),
            "non-finite batches skipped before the phase stops (0: stop at the first)"),
  });
  return table;
}

const FieldTable<EvalSection>& eval_fields() {
  using S = EvalSection;
  static const FieldTable<S> table({
      field("score_threshold", &S::score_threshold, in(0.0, 1.0), "the deployed confidence threshold"),
      field("nms_iou", &S::nms_iou, in(0.0, 1.0), "per-class NMS IoU"),
      field("match_iou", &S::match_iou, in(0.0, 1.0), "IoU for matching detections (mAP, behaviour)"),
      field("max_detections", &S::max_detections, in(1, 100000), "detections kept per image"),
  });
  return table;
}

const FieldTable<QuantTensorSection>& quant_tensor_fields() {
  using S = QuantTensorSection;
  static const FieldTable<S> table({
      field("bits", &S::bits, in(2, 16), "integer width"),
      field("per_channel", &S::per_channel, "one scale per output channel (weights only)"),
      field("symmetric", &S::symmetric, "zero point 0 (TensorRT requires it)"),
      field("narrow_range", &S::narrow_range, "[-127, 127] instead of [-128, 127]"),
      field("observer", &S::observer, Choices([] { return quant::observer_registry().names(); }),
            "how the range is found in calibration"),
  });
  return table;
}

namespace {

// `quant.calibration.oversample: {Bag: 10}`: class name (or id) -> weight in (0, 1000].
Field<QuantSection> oversample_field() {
  using S = QuantSection;
  return custom<S>(
      "oversample",
      [](S& s, YamlMap& m) {
        const YAML::Node n = m.node("oversample");
        if (!n.IsDefined()) return;
        if (!n.IsMap()) throw m.path("oversample").error(n, "must map class names (or ids) to weights");
        s.calibration_oversample.clear();
        for (const auto& kv : n) {
          const std::string name = kv.first.as<std::string>();
          const double w = parse_value<double>(kv.second, m.path("oversample") / name);
          if (!(w > 0 && w <= 1000)) {
            throw (m.path("oversample") / name).error(kv.second, "must be in (0, 1000], got " + kv.second.as<std::string>());
          }
          s.calibration_oversample[name] = w;
        }
      },
      [](const S& s, YAML::Node& n) {
        YAML::Node map(YAML::NodeType::Map);
        for (const auto& [name, w] : s.calibration_oversample) map[name] = yaml_number(w);
        n["oversample"] = map;
      },
      "class name (or id) -> weight of its share in class_balanced");
}

}  // namespace

const FieldTable<QuantSection>& quant_fields() {
  using S = QuantSection;
  static const FieldTable<S> calibration(
      {
          field("sampling", &S::calibration_sampling, one_of({"sequential", "random", "class_balanced"}),
                "which train images calibrate"),
          oversample_field(),
      },
      {}, [](S& s, YamlMap& m) {
        if (!s.calibration_oversample.empty() && s.calibration_sampling != "class_balanced") {
          throw m.path("oversample").error(m.node("oversample"), "needs sampling: class_balanced");
        }
      });
  static const FieldTable<S> table({
      field("include", &S::include, "node-name patterns of the quantized ops"),
      field("exclude", &S::exclude, "node-name patterns left in FP32"),
      section("weights", &S::weights, quant_tensor_fields(), "the weight quantizers"),
      section("activations", &S::activations, quant_tensor_fields(), "the activation quantizers")
          .then([](S& s, YamlMap& m) {
            if (s.activations.per_channel) {
              throw m.path("activations")
                  .error(m.node("activations"),
                         "per_channel activations are not supported (TensorRT quantizes activations per tensor)");
            }
          }),
      field("quantize_residual_add", &S::quantize_residual_add, "also quantize both inputs of residual Adds"),
      field("share_concat_scales", &S::share_concat_scales, "the quantized inputs of a quantized Concat share one scale"),
      field("learnable_scale", &S::learnable_scale, "LSQ: scales are trained in QAT"),
      field("calibration_images", &S::calibration_images, in(1, 1000000), "calibration images from the train split"),
      // Written only when not the defaults: the recipe hash (in every model's metadata) stays.
      group("calibration", calibration, "how the calibration images are drawn")
          .written_if([](const S& s) { return s.calibration_sampling != "random" || !s.calibration_oversample.empty(); }),
  });
  return table;
}

const FieldTable<DistributedSection>& distributed_fields() {
  using S = DistributedSection;
  static const FieldTable<S> table({
      field("backend", &S::backend, one_of({"gloo", "nccl"}), "collectives between ranks (nccl: CUDA builds)"),
      field("timeout_s", &S::timeout_s, in<int64_t>(1, 86400),
            "seconds a rank waits for a peer at rendezvous and in each collective"),
      // cuda:N is open-ended, so not a list of choices; whether CUDA exists is the run's
      // question (dist::resolve_device), not the recipe's.
      field("device", &S::device, "cpu, cuda (cuda:LOCAL_RANK) or cuda:N").then([](S& s, YamlMap& m) {
        if (!dist::parse_device(s.device)) {
          throw m.path("device").error(m.node("device"), "must be cpu, cuda or cuda:N, got '" + s.device + "'");
        }
      }),
  });
  return table;
}

const FieldTable<ExportSection>& export_fields() {
  using S = ExportSection;
  static const FieldTable<S> table({
      field("profile", &S::profile, one_of({"tensorrt", "ort"}), "Q/DQ export profile"),
      field("opset", &S::opset, in(13, 17), "ONNX opset of the exported model"),
  });
  return table;
}

const FieldTable<QatSection>& qat_fields() {
  using S = QatSection;
  static const FieldTable<S> threshold_search(
      {
          field("lo", &S::threshold_lo, in(0.0, 1.0), "lowest threshold tried"),
          field("hi", &S::threshold_hi, in(0.0, 1.0), "highest threshold tried"),
          field("step", &S::threshold_step, in(1e-4, 1.0), "step between thresholds"),
      },
      {}, [](S& s, YamlMap& m) {
        if (s.threshold_hi < s.threshold_lo) throw m.path("hi").error(m.node("hi"), "must not be below lo");
      });
  static const FieldTable<S> table({
      field("epochs", &S::epochs, in(0, 100000), "QAT epochs after calibration"),
      field("optimizer", &S::optimizer, one_of({"same", "sgd", "adamw"}), "sgd, adamw or same (as fp32.optimizer)"),
      field("lr", &S::lr, in(0.0, 10.0), "learning rate; 0: fp32.lr / 10"),
      field("weight_decay", &S::weight_decay, in(0.0, 1.0), "on conv weights"),
      field("observer_freeze_epoch", &S::observer_freeze_epoch, in(0, 100000),
            "activation ranges follow the student until this epoch"),
      field("max_bad_batches", &S::max_bad_batches, in(0, 1000000), "as fp32.max_bad_batches"),
      field("gate", &S::gate, "the behaviour gate file"),
      field("objective", &S::objective, Choices(metrics::objective_names), "what makes a passing epoch the best"),
      group("threshold_search", threshold_search, "where the threshold is searched when the teacher's misses the gate"),
      field("fp32_weights", &S::fp32_weights, "FP32 checkpoint to start from; empty: train the fp32 phase"),
      custom<S>(
          "losses",
          [](S& s, YamlMap& m) {
            if (m.has("losses")) s.losses = distill::losses_from_yaml(m.node("losses"), m.path("losses"));
          },
          [](const S& s, YAML::Node& n) { n["losses"] = distill::losses_to_yaml(s.losses); },
          "the distillation losses (docs/distillation.md)"),
  });
  return table;
}

// A section's from_yaml and to_yaml are its table's read and write.
#define QAT_SECTION_READ_WRITE(Section, table)                                      \
  Section Section::from_yaml(const YAML::Node& node, const KeyPath& path) {        \
    return table().from_yaml(node, path);                                           \
  }                                                                                 \
  YAML::Node Section::to_yaml() const { return table().write(*this); }

QAT_SECTION_READ_WRITE(DataSection, data_fields)
QAT_SECTION_READ_WRITE(OnnxHeadSection, onnx_head_fields)
QAT_SECTION_READ_WRITE(ModelSection, model_fields)
QAT_SECTION_READ_WRITE(Fp32Section, fp32_fields)
QAT_SECTION_READ_WRITE(EvalSection, eval_fields)
QAT_SECTION_READ_WRITE(QuantSection, quant_fields)
QAT_SECTION_READ_WRITE(ExportSection, export_fields)
QAT_SECTION_READ_WRITE(QatSection, qat_fields)
QAT_SECTION_READ_WRITE(DistributedSection, distributed_fields)
#undef QAT_SECTION_READ_WRITE

// The weights and activations defaults differ (QuantSection's members): read over them.
QuantTensorSection QuantTensorSection::from_yaml(const YAML::Node& node, const KeyPath& path,
                                                const QuantTensorSection& defaults) {
  QuantTensorSection s = defaults;
  quant_tensor_fields().read(s, node, path);
  return s;
}
YAML::Node QuantTensorSection::to_yaml() const { return quant_tensor_fields().write(*this); }

}  // namespace qat
