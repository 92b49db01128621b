#include "qat/model/onnx_detector.h"

#include <set>

#include "qat/core/error.h"
#include "qat/graph/onnx_importer.h"

namespace qat::model {
namespace {

const graph::ValueInfo* find_value(const std::vector<graph::ValueInfo>& list, const std::string& name) {
  for (const auto& v : list) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + (shape[i] < 0 ? "?" : std::to_string(shape[i]));
  return s + "]";
}

}  // namespace

Detector load_onnx_detector(const ModelSection& section, const std::vector<std::string>& class_names) {
  QAT_CHECK(section.is_onnx(), "model: no onnx file given");
  const std::string& path = section.onnx;
  const auto& head = section.head;
  Detector det;
  det.graph = graph::import_onnx(path);
  const graph::Graph& g = det.graph;

  const auto* input = find_value(g.inputs(), head.input);
  if (!input) throw IoError(path, "", "model.head.input '" + head.input + "' is not a graph input");
  const auto* boxes = find_value(g.outputs(), head.boxes);
  if (!boxes) throw IoError(path, "", "model.head.boxes '" + head.boxes + "' is not a graph output");
  const auto* scores = find_value(g.outputs(), head.scores);
  if (!scores) throw IoError(path, "", "model.head.scores '" + head.scores + "' is not a graph output");
  if (input->shape.size() != 4 || input->shape[1] != 3) {
    throw IoError(path, "", "input '" + head.input + "' has shape " + shape_text(input->shape) + "; expected [B,3,S,S]");
  }
  if (boxes->shape.size() != 3 || boxes->shape[2] != 4) {
    throw IoError(path, "", "output '" + head.boxes + "' has shape " + shape_text(boxes->shape) + "; expected [B,A,4]");
  }
  if (scores->shape.size() != 3 || scores->shape[2] <= 0) {
    throw IoError(path, "", "output '" + head.scores + "' has shape " + shape_text(scores->shape) +
                                "; expected [B,A,C] with a known class count C");
  }
  if (!head.logits.empty() && !g.producer(head.logits)) {
    throw IoError(path, "", "model.head.logits '" + head.logits + "' is not computed by any node");
  }

  DetectorInfo& info = det.info;
  info.arch = path;
  info.num_classes = scores->shape[2];
  if (class_names.empty()) {
    for (int64_t c = 0; c < info.num_classes; ++c) info.class_names.push_back("class" + std::to_string(c));
  } else {
    if (static_cast<int64_t>(class_names.size()) != info.num_classes) {
      throw IoError(path, "", "output '" + head.scores + "' has " + std::to_string(info.num_classes) +
                                  " classes but the data has " + std::to_string(class_names.size()));
    }
    info.class_names = class_names;
  }
  info.image_size = input->shape[2] > 0 && input->shape[2] == input->shape[3] ? input->shape[2] : 0;
  info.input = head.input;
  info.boxes = head.boxes;
  info.scores = head.scores;
  info.logits = head.logits;
  info.anchor_points = head.anchor_points;
  info.anchor_strides = head.anchor_strides;
  if (det.has_anchors()) {
    for (const auto& name : {head.anchor_points, head.anchor_strides}) {
      if (!g.has_initializer(name)) throw IoError(path, "", "anchor constant '" + name + "' is not an initializer");
      // Imported float initializers are parameters; anchors are geometry, never trained.
      det.graph.set_initializer(name, g.initializer(name), /*trainable=*/false);
    }
    const auto points = det.anchor_points();
    const auto strides = det.anchor_strides();
    if (points.dim() != 2 || points.size(1) != 2 || strides.size(0) != points.size(0)) {
      throw IoError(path, "", "anchor constants have shapes " + shape_text(points.sizes().vec()) + " and " +
                                  shape_text(g.initializer(info.anchor_strides).sizes().vec()) +
                                  "; expected [A,2] and [A] or [A,1]");
    }
    std::set<int64_t> unique;
    const auto s = strides.to(at::kLong).contiguous();
    for (int64_t i = 0; i < s.numel(); ++i) unique.insert(s.data_ptr<int64_t>()[i]);
    info.strides.assign(unique.begin(), unique.end());
  }
  return det;
}

}  // namespace qat::model
