#include "qat/model/detector.h"

#include <cmath>

#include "qat/core/error.h"
#include "qat/model/blocks.h"

namespace qat::model {
namespace {

graph::Attributes axis_attr(int64_t axis) {
  graph::Attributes a;
  a.set("axis", axis);
  return a;
}

std::string upsample(GraphBuilder& b, const std::string& name, const std::string& input) {
  const std::string scales = b.constant(name + ".scales", at::tensor({1.0f, 1.0f, 2.0f, 2.0f}));
  graph::Attributes attrs;
  attrs.set("mode", std::string("nearest"));
  attrs.set("coordinate_transformation_mode", std::string("asymmetric"));
  attrs.set("nearest_mode", std::string("floor"));
  b.graph().add_node({name, "Resize", {input, "", scales}, {name}, attrs});
  b.set_channels(name, b.channels(input));
  return name;
}

std::string concat(GraphBuilder& b, const std::string& name, const std::vector<std::string>& inputs) {
  const std::string out = b.op(name, "Concat", inputs, axis_attr(1));
  int64_t c = 0;
  for (const auto& in : inputs) c += b.channels(in);
  b.set_channels(out, c);
  return out;
}

// YOLOv8-style PAN: top-down (upsample + concat) then bottom-up (stride-2 conv + concat).
std::vector<std::string> build_neck(GraphBuilder& b, const ArchSpec& arch,
                                    const std::vector<std::string>& features) {
  const auto& ch = arch.neck_channels;
  const int64_t n = arch.neck_blocks;
  const std::string up5 = upsample(b, "neck.0.up", features[2]);
  const std::string n4 = c2f_block(b, "neck.2", concat(b, "neck.1.concat", {up5, features[1]}), ch[1], n, false);
  const std::string up4 = upsample(b, "neck.3.up", n4);
  const std::string out3 = c2f_block(b, "neck.5", concat(b, "neck.4.concat", {up4, features[0]}), ch[0], n, false);
  const std::string d3 = b.conv_bn_act("neck.6", out3, ch[0], 3, 2);
  const std::string out4 = c2f_block(b, "neck.8", concat(b, "neck.7.concat", {d3, n4}), ch[1], n, false);
  const std::string d4 = b.conv_bn_act("neck.9", out4, ch[1], 3, 2);
  const std::string out5 = c2f_block(b, "neck.11", concat(b, "neck.10.concat", {d4, features[2]}), ch[2], n, false);
  return {out3, out4, out5};
}

// The backbone blocks in order; returns the outputs of the blocks the neck reads,
// checked to have strides 8, 16 and 32.
std::vector<std::string> build_backbone(GraphBuilder& b, const ArchSpec& arch, const std::string& input) {
  std::vector<std::string> outputs;
  std::vector<int64_t> strides;
  std::string x = input;
  int64_t stride = 1;
  for (size_t i = 0; i < arch.backbone.size(); ++i) {
    const auto& spec = arch.backbone[i];
    x = block_registry().get(spec.type)(b, "backbone." + std::to_string(i), x, spec);
    if (spec.type == "conv") stride *= spec.stride;
    outputs.push_back(x);
    strides.push_back(stride);
  }
  std::vector<std::string> features;
  for (size_t level = 0; level < 3; ++level) {
    const int64_t idx = arch.neck_from[level];
    const int64_t want = int64_t{8} << level;
    QAT_CHECK(strides[idx] == want, arch.file, ": neck.from[", level, "]: backbone block ", idx,
              " has stride ", strides[idx], ", expected ", want);
    features.push_back(outputs[idx]);
  }
  return features;
}

// The head's per-level predictions, flattened to [B, C, HW], and the anchor centres and strides.
struct HeadLevels {
  std::vector<std::string> cls_flat, box_flat;
  std::vector<at::Tensor> points, point_strides;
};

// Decoupled head per level; records each level's stride in `info`.
HeadLevels build_head_levels(GraphBuilder& b, const ArchSpec& arch, const std::vector<std::string>& pyramid,
                             DetectorInfo& info) {
  const double prior = 0.01;  // initial score of every anchor, as in RetinaNet/YOLO
  HeadLevels heads;
  for (size_t level = 0; level < 3; ++level) {
    const int64_t s = int64_t{8} << level;
    info.strides.push_back(s);
    const std::string h = "head." + std::to_string(level);
    const std::string stem = b.conv_bn_act(h + ".stem", pyramid[level], arch.head_channels, 1, 1);
    const std::string cls = b.conv_bn_act(h + ".cls.0", stem, arch.head_channels, 3, 1);
    const std::string cls_pred = b.conv(h + ".cls_pred", cls, info.num_classes, 1, -std::log((1 - prior) / prior));
    const std::string box = b.conv_bn_act(h + ".box.0", stem, arch.head_channels, 3, 1);
    const std::string box_pred = b.conv(h + ".box_pred", box, 4, 1, 1.0);
    const std::string shape_c =
        b.constant(h + ".cls_shape", at::tensor(std::vector<int64_t>{0, info.num_classes, -1}));
    const std::string shape_4 = b.constant(h + ".box_shape", at::tensor(std::vector<int64_t>{0, 4, -1}));
    heads.cls_flat.push_back(b.op(h + ".cls_flat", "Reshape", {cls_pred, shape_c}));
    heads.box_flat.push_back(b.op(h + ".box_flat", "Reshape", {box_pred, shape_4}));

    const int64_t cells = info.image_size / s;
    const auto centers = (at::arange(cells, at::kFloat) + 0.5f) * static_cast<float>(s);
    const auto grid = at::meshgrid({centers, centers}, "ij");  // grid[0] = y, grid[1] = x
    heads.points.push_back(at::stack({grid[1].reshape({-1}), grid[0].reshape({-1})}, 1));
    heads.point_strides.push_back(at::full({cells * cells, 1}, static_cast<float>(s)));
  }
  return heads;
}

// Joins the levels into scores [B, A, C] (sigmoid of the logits) and boxes [B, A, 4]
// (x1y1x2y2 from the anchor centres and exp'd ltrb distances in stride units), the graph outputs.
void build_decode(GraphBuilder& b, graph::Graph& g, const DetectorInfo& info, const HeadLevels& heads) {
  const std::string anchor_points = b.constant(info.anchor_points, at::cat(heads.points, 0));
  const std::string anchor_strides = b.constant(info.anchor_strides, at::cat(heads.point_strides, 0));

  graph::Attributes perm;
  perm.set("perm", std::vector<int64_t>{0, 2, 1});
  const std::string cls_all = b.op("head.cls_cat", "Concat", heads.cls_flat, axis_attr(2));
  g.add_node({"head.logits", "Transpose", {cls_all}, {info.logits}, perm});
  g.add_node({"head.scores", "Sigmoid", {info.logits}, {info.scores}, {}});

  const std::string box_all = b.op("head.box_cat", "Concat", heads.box_flat, axis_attr(2));
  const std::string raw = b.op("head.box_raw", "Transpose", {box_all}, perm);
  const std::string units = b.op("head.box_exp", "Exp", {raw});
  const std::string ltrb = b.op("head.ltrb", "Mul", {units, anchor_strides});
  const std::string halves = b.constant("head.ltrb_split", at::tensor(std::vector<int64_t>{2, 2}));
  g.add_node({"head.ltrb_split", "Split", {ltrb, halves}, {"head.lt", "head.rb"}, axis_attr(2)});
  const std::string x1y1 = b.op("head.x1y1", "Sub", {anchor_points, "head.lt"});
  const std::string x2y2 = b.op("head.x2y2", "Add", {anchor_points, "head.rb"});
  g.add_node({"head.boxes", "Concat", {x1y1, x2y2}, {info.boxes}, axis_attr(2)});

  const int64_t anchors = g.initializer(anchor_points).size(0);
  g.add_output({info.boxes, {-1, anchors, 4}});
  g.add_output({info.scores, {-1, anchors, info.num_classes}});
}

}  // namespace

Detector build_detector(const ArchSpec& arch, const std::vector<std::string>& class_names,
                        int64_t image_size, uint64_t seed) {
  const int64_t num_classes = static_cast<int64_t>(class_names.size());
  QAT_CHECK(num_classes > 0, "a detector needs at least one class");
  QAT_CHECK(image_size % 32 == 0, "image size ", image_size, " is not a multiple of 32");
  at::manual_seed(seed);

  Detector det;
  det.info.arch = arch.name;
  det.info.num_classes = num_classes;
  det.info.class_names = class_names;
  det.info.image_size = image_size;
  graph::Graph& g = det.graph;
  g.add_input({det.info.input, {-1, 3, image_size, image_size}});
  GraphBuilder b(g, arch.activation);
  b.set_channels(det.info.input, 3);

  const auto features = build_backbone(b, arch, det.info.input);
  const auto pyramid = build_neck(b, arch, features);
  const HeadLevels heads = build_head_levels(b, arch, pyramid, det.info);
  build_decode(b, g, det.info, heads);
  g.metadata()["qat.arch"] = arch.name;
  g.validate();
  return det;
}

at::Tensor Detector::anchor_points() const {
  QAT_CHECK(has_anchors(), "model '", info.arch, "' has no anchor constants (model.head.anchor_points)");
  return graph.initializer(info.anchor_points);
}

at::Tensor Detector::anchor_strides() const {
  QAT_CHECK(has_anchors(), "model '", info.arch, "' has no anchor constants (model.head.anchor_strides)");
  return graph.initializer(info.anchor_strides).reshape({-1});
}

Detector clone_detector(const Detector& detector) {
  Detector copy;
  copy.info = detector.info;
  const graph::Graph& g = detector.graph;
  for (const auto& in : g.inputs()) copy.graph.add_input(in);
  for (const auto& out : g.outputs()) copy.graph.add_output(out);
  for (const auto& n : g.nodes()) copy.graph.add_node(n);
  for (const auto& [name, t] : g.initializers()) {
    copy.graph.set_initializer(name, t.detach().clone(), g.is_trainable(name));
  }
  copy.graph.metadata() = g.metadata();
  return copy;
}

}  // namespace qat::model
