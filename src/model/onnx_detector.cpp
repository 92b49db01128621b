#include "qat/model/onnx_detector.h"

#include <set>
#include <sstream>

#include "qat/core/did_you_mean.h"
#include "qat/core/error.h"
#include "qat/core/excerpt.h"
#include "qat/graph/executor.h"
#include "qat/graph/onnx_importer.h"
#include "qat/graph/op_traits.h"
#include "qat/model/head_adapter.h"
#include "graph_values.h"

namespace qat::model {
namespace {

using detail::find_value;
using detail::shape_text;

// The value of the constant `name`: an initializer or a Constant node's output.
at::Tensor constant_value(const graph::Graph& g, const std::string& name, const std::string& path) {
  if (g.has_initializer(name)) return g.initializer(name);
  const graph::Node* p = g.producer(name);
  if (p && graph::op_traits(p->op_type).value_from_attribute && p->attrs.has("value")) {
    return p->attrs.get_tensor("value");
  }
  throw IoError(path, "", "anchor constant '" + name + "' is neither an initializer nor a Constant node's output");
}

// Anchors as the contract has them: points [A,2], strides [A,1]; `points` may come
// as [2,A], [1,2,A] or [1,A,2] (Ultralytics' anchors.unsqueeze(0)), strides as
// [A], [1,A] or [1,1,A]. Returns undefined tensors when the shapes do not fit.
std::pair<at::Tensor, at::Tensor> contract_anchors(at::Tensor points, at::Tensor strides) {
  while (points.dim() > 2 && points.size(0) == 1) points = points.squeeze(0);
  strides = strides.reshape({-1, 1});
  const int64_t a = strides.size(0);
  if (points.dim() != 2 || points.numel() != 2 * a) return {};
  if (points.size(1) != 2 || (points.size(0) == 2 && a != 2)) points = points.t();
  if (points.size(1) != 2) return {};
  return {points.contiguous().to(at::kFloat), strides.contiguous().to(at::kFloat)};
}

// The contract's anchors: geometry, never trained, and read by no node (so never exported).
void set_contract_anchors(Detector& det, const at::Tensor& points, const at::Tensor& strides) {
  graph::Graph& g = det.graph;
  g.set_initializer("qat.anchor_points", points, /*trainable=*/false);
  g.set_initializer("qat.anchor_strides", strides, /*trainable=*/false);
  det.info.anchor_points = "qat.anchor_points";
  det.info.anchor_strides = "qat.anchor_strides";
  std::set<int64_t> unique;
  const auto s = strides.to(at::kLong).contiguous();
  for (int64_t i = 0; i < s.numel(); ++i) unique.insert(s.data_ptr<int64_t>()[i]);
  det.info.strides.assign(unique.begin(), unique.end());
}

void set_anchors(Detector& det, const OnnxHeadSection& head, const std::string& path) {
  graph::Graph& g = det.graph;
  const at::Tensor points_in = constant_value(g, head.anchor_points, path);
  const at::Tensor strides_in = constant_value(g, head.anchor_strides, path);
  auto [points, strides] = contract_anchors(points_in, strides_in);
  if (!points.defined()) {
    throw IoError(path, "", "anchor constants have shapes " + shape_text(points_in.sizes().vec()) + " and " +
                                shape_text(strides_in.sizes().vec()) + "; expected [A,2] and [A] or [A,1]");
  }
  // Ultralytics keeps anchor points in grid cells (make_anchors) and scales by the
  // stride after decoding; the contract's are pixels.
  if (head.layout == "ultralytics") points = points * strides;
  if (g.has_initializer(head.anchor_points)) g.set_initializer(head.anchor_points, g.initializer(head.anchor_points), false);
  if (g.has_initializer(head.anchor_strides)) {
    g.set_initializer(head.anchor_strides, g.initializer(head.anchor_strides), false);
  }
  set_contract_anchors(det, points, strides);
}

// Ultralytics' make_anchors for an `ultralytics` head whose anchors the recipe does not
// name: cell centres ((x + 0.5) s, (y + 0.5) s), row by row, level by level, for the
// level strides of the model's `stride` metadata ("8,16,32"; a single number is the
// largest of Detect's P3-P5 levels: s/4, s/2, s), else 8, 16, 32. Refused when the
// output's anchor count does not fit those grids.
void make_ultralytics_anchors(Detector& det, int64_t image_size, int64_t anchors, const std::string& path) {
  std::vector<int64_t> levels = {8, 16, 32};
  const auto& meta = det.graph.metadata();
  if (auto it = meta.find("stride"); it != meta.end()) {
    levels.clear();
    std::stringstream in(it->second);
    for (std::string item; std::getline(in, item, ',');) {
      try {
        levels.push_back(std::stoll(item));
      } catch (const std::exception&) {
        throw IoError(path, "metadata 'stride'", "is '" + excerpt(it->second) + "', not whole numbers");
      }
    }
    if (levels.size() == 1) levels = {levels[0] / 4, levels[0] / 2, levels[0]};
  }
  std::string level_text;
  for (const int64_t s : levels) level_text += (level_text.empty() ? "" : ", ") + std::to_string(s);
  std::vector<float> points, strides;
  for (const int64_t s : levels) {
    if (s <= 0 || image_size % s != 0) continue;
    for (int64_t y = 0; y < image_size / s; ++y) {
      for (int64_t x = 0; x < image_size / s; ++x) {
        points.push_back(static_cast<float>((static_cast<double>(x) + 0.5) * static_cast<double>(s)));
        points.push_back(static_cast<float>((static_cast<double>(y) + 0.5) * static_cast<double>(s)));
        strides.push_back(static_cast<float>(s));
      }
    }
  }
  if (static_cast<int64_t>(strides.size()) != anchors) {
    throw IoError(path, "", "the " + std::to_string(anchors) + " anchors of the ultralytics head do not fit the " +
                                std::to_string(image_size) + " px grids of strides " + level_text + " (" +
                                std::to_string(strides.size()) +
                                " cells); name them in model.head.anchor_points and anchor_strides");
  }
  const auto n = static_cast<int64_t>(strides.size());
  set_contract_anchors(det, at::tensor(points).reshape({n, 2}), at::tensor(strides).reshape({n, 1}));
}

// Fills the open anchor and class counts of the contract outputs by one run of
// the graph on a batch-1 zero image (dynamic exports declare them as '?').
void probe_open_dims(graph::Graph& g, const graph::ValueInfo& input, const HeadValues& v, const std::string& path) {
  std::vector<graph::ValueInfo*> open;
  for (auto& out : g.outputs()) {
    if (out.name != v.boxes && out.name != v.scores) continue;
    if (out.shape.size() == 3 && (out.shape[1] < 0 || out.shape[2] < 0)) open.push_back(&out);
  }
  if (open.empty()) return;
  if (input.shape[2] <= 0 || input.shape[3] <= 0) {
    throw IoError(path, "", "output '" + open.front()->name + "' has shape " + shape_text(open.front()->shape) +
                                " and input '" + input.name + "' has shape " + shape_text(input.shape) +
                                ": the anchor and class counts cannot be found without a static image size");
  }
  graph::ValueMap out;
  try {
    at::NoGradGuard no_grad;
    out = graph::Executor(g).run({{input.name, at::zeros({1, 3, input.shape[2], input.shape[3]})}});
  } catch (Error& e) {
    throw e.add_context("probing " + path + " with a batch-1 zero image for its anchor and class counts");
  }
  for (auto* o : open) {
    const auto& t = out.at(o->name);
    if (t.dim() != 3) {
      throw IoError(path, "", "output '" + o->name + "' has shape " + shape_text(t.sizes().vec()) + "; expected rank 3");
    }
    o->shape[1] = t.size(1);
    o->shape[2] = t.size(2);
  }
}

}  // namespace

Detector load_onnx_detector(const ModelSection& section, const std::vector<std::string>& class_names) {
  QAT_CHECK(section.is_onnx(), "model: no onnx file given");
  const std::string& path = section.onnx;
  const auto& head = section.head;
  Detector det;
  // Training, calibration and evaluation run at several batch sizes: a static-batch
  // export is made dynamic at import (or refused there, naming the input).
  graph::ImportOptions import;
  import.batch = graph::BatchSize::any();
  det.graph = graph::import_onnx(path, import);
  graph::Graph& g = det.graph;

  const auto* input_info = find_value(g.inputs(), head.input);
  if (!input_info) {
    std::vector<std::string> names;
    for (const auto& in : g.inputs()) names.push_back(in.name);
    const std::string guess = closest_match(head.input, names);
    throw IoError(path, "", "model.head.input '" + head.input + "' is not a graph input" +
                                (guess.empty() ? "" : "; did you mean '" + guess + "'?"));
  }
  const graph::ValueInfo input = *input_info;
  if (input.shape.size() != 4 || input.shape[1] != 3) {
    throw IoError(path, "", "input '" + head.input + "' has shape " + shape_text(input.shape) + "; expected [B,3,S,S]");
  }
  const HeadValues v = append_head_adapter(g, head, path);
  probe_open_dims(g, input, v, path);
  const auto* boxes = find_value(g.outputs(), v.boxes);
  const auto* scores = find_value(g.outputs(), v.scores);
  if (boxes->shape.size() != 3 || boxes->shape[2] != 4) {
    throw IoError(path, "", "output '" + v.boxes + "' has shape " + shape_text(boxes->shape) + "; expected [B,A,4]");
  }
  if (scores->shape.size() != 3 || scores->shape[2] <= 0) {
    throw IoError(path, "", "output '" + v.scores + "' has shape " + shape_text(scores->shape) +
                                "; expected [B,A,C] with a known class count C");
  }
  if (boxes->shape[1] != scores->shape[1]) {
    throw IoError(path, "", "outputs '" + v.boxes + "' " + shape_text(boxes->shape) + " and '" + v.scores + "' " +
                                shape_text(scores->shape) + " disagree on the anchor count");
  }

  DetectorInfo& info = det.info;
  info.arch = path;
  info.num_classes = scores->shape[2];
  if (class_names.empty()) {
    for (int64_t c = 0; c < info.num_classes; ++c) info.class_names.push_back("class" + std::to_string(c));
  } else {
    if (static_cast<int64_t>(class_names.size()) != info.num_classes) {
      throw IoError(path, "", "output '" + v.scores + "' has " + std::to_string(info.num_classes) +
                                  " classes but the data has " + std::to_string(class_names.size()));
    }
    info.class_names = class_names;
  }
  info.image_size = input.shape[2] > 0 && input.shape[2] == input.shape[3] ? input.shape[2] : 0;
  info.input = head.input;
  info.boxes = v.boxes;
  info.scores = v.scores;
  info.logits = v.logits;
  info.anchor_points.clear();
  info.anchor_strides.clear();
  if (!head.anchor_points.empty()) {
    set_anchors(det, head, path);
  } else if (head.layout == "ultralytics" && info.image_size > 0) {
    make_ultralytics_anchors(det, info.image_size, boxes->shape[1], path);
  }
  g.validate();
  return det;
}

}  // namespace qat::model
