#include "qat/train/onnx_eval.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "qat/core/did_you_mean.h"
#include "qat/core/error.h"
#include "qat/core/progress.h"
#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/export/onnx_summary.h"
#include "qat/metrics/behaviour_metrics.h"
#include "qat/metrics/detections.h"
#include "qat/model/head_adapter.h"
#include "qat/runtime/onnx_runtime.h"
#include "train/behaviour_json.h"

namespace qat::train {
namespace {

struct OnnxIo {
  std::string input;
  std::vector<int64_t> input_shape;
  std::vector<std::pair<std::string, int>> outputs;  // name, rank
};

OnnxIo read_io(const std::string& path) {
  const onnx::ModelProto m = exporter::read_onnx_model(path);
  std::set<std::string> initializers;
  for (const auto& t : m.graph().initializer()) initializers.insert(t.name());
  OnnxIo io;
  for (const auto& in : m.graph().input()) {
    if (initializers.count(in.name())) continue;
    io.input = in.name();
    for (const auto& d : in.type().tensor_type().shape().dim()) {
      io.input_shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    }
    break;
  }
  if (io.input.empty()) throw IoError(path, "", "the model has no graph input");
  for (const auto& out : m.graph().output()) {
    io.outputs.emplace_back(out.name(), out.type().tensor_type().shape().dim_size());
  }
  return io;
}

nlohmann::json nan_as_null(const std::vector<double>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double x : v) a.push_back(std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x));
  return a;
}

nlohmann::json evaluation_json(const Evaluation& e) {
  return {{"map50", e.map50},
          {"ap_per_class", nan_as_null(e.ap_per_class)},
          {"recall_at_threshold", nan_as_null(e.recall_at_threshold)},
          {"recall_at_threshold_mean", e.recall_at_threshold_mean}};
}

}  // namespace

OnnxHeadSection detect_head_layout(const std::string& path) {
  const OnnxIo io = read_io(path);
  std::map<std::string, int> rank(io.outputs.begin(), io.outputs.end());
  OnnxHeadSection head;
  head.input = io.input;
  if (rank.count("qat.boxes") && rank.count("qat.scores")) {
    head.boxes = "qat.boxes";
    head.scores = "qat.scores";
    return head;
  }
  if (rank["boxes"] == 3 && rank["scores"] == 3) return head;
  if (io.outputs.size() == 1 && io.outputs[0].second == 3) {
    head.layout = "ultralytics";
    head.output = io.outputs[0].first;
    return head;
  }
  std::vector<std::string> names;
  for (const auto& o : io.outputs) names.push_back(o.first);
  throw IoError(path, "", "cannot tell the head layout from the outputs (" + join(names) +
                              "); give it with --layout or a recipe's model.head (--recipe)");
}

DetectionSet onnxruntime_detections(const std::string& model, const OnnxHeadSection& head, data::DataLoader& loader,
                                    const EvalSection& eval, double score_floor) {
  DetectionSet set;
  set.score_floor = score_floor;
  Progress progress("onnxruntime images", loader.images());
  loader.begin_epoch(0);
  while (auto batch = loader.next()) {
    const auto raw = runtime::run_onnxruntime(model, {{head.input, batch->images}});
    graph::ValueMap outputs(raw.begin(), raw.end());
    const auto out = model::adapt_head_outputs(head, outputs, model);
    auto dets = metrics::postprocess(out.at("boxes"), out.at("scores"), score_floor, eval.nms_iou,
                                     eval.max_detections);
    for (auto& d : dets) set.images.push_back(std::move(d));
    progress.update(static_cast<int64_t>(set.images.size()));
  }
  return set;
}

OnnxEvalResult evaluate_onnx(const OnnxEvalOptions& o) {
  OnnxEvalResult result;
  result.model = o.model;
  result.teacher = o.teacher;
  result.split = o.split;
  result.threshold = o.threshold;
  QAT_CHECK(o.threshold >= kMapScoreFloor && o.threshold <= 1, "--threshold must be in [0.001, 1], got ", o.threshold);
  const OnnxIo io = read_io(o.model);
  int64_t size = o.image_size;
  if (size <= 0) {
    const auto& s = io.input_shape;
    if (s.size() != 4 || s[2] <= 0 || s[2] != s[3]) {
      throw IoError(o.model, "", "input '" + io.input + "' has no static square size; give --image-size");
    }
    size = s[2];
  }
  data::DetectionDataset dataset(o.data, o.split);
  result.class_names = dataset.class_names();
  const int num_classes = static_cast<int>(result.class_names.size());
  data::LoaderOptions lo;
  // A static-batch export (Ultralytics' default: batch 1) takes only that batch.
  lo.batch_size = o.batch_size;
  for (const auto& model : {o.model, o.teacher}) {
    if (model.empty()) continue;
    const auto shape = model == o.model ? io.input_shape : read_io(model).input_shape;
    if (shape.size() == 4 && shape[0] > 0) lo.batch_size = std::min<int64_t>(lo.batch_size, shape[0]);
  }
  lo.image_size = size;
  lo.shuffle = false;
  data::DataLoader loader(dataset, lo);

  // Ground truth per image, in loader order.
  GroundTruth truth;
  loader.begin_epoch(0);
  while (auto batch = loader.next()) truth.add(*batch);
  result.images = static_cast<int64_t>(truth.boxes.size());

  auto collect = [&](const std::string& model) {
    const OnnxHeadSection head = o.head ? *o.head : detect_head_layout(model);
    DetectionSet set = onnxruntime_detections(model, head, loader, o.eval, kMapScoreFloor);
    for (const auto& d : set.images) {
      if (d.labels.numel() > 0 && d.labels.max().item<int64_t>() >= num_classes) {
        throw IoError(model, "", "scores have more classes than the " + std::to_string(num_classes) +
                                     " of " + o.data);
      }
    }
    return set;
  };
  const DetectionSet student = collect(o.model);
  result.evaluation = evaluate_detections(student, truth, num_classes, o.threshold, o.eval.match_iou);
  if (!o.teacher.empty()) {
    const DetectionSet teacher = collect(o.teacher);
    result.teacher_evaluation = evaluate_detections(teacher, truth, num_classes, o.threshold, o.eval.match_iou);
    result.behaviour = behaviour(teacher, o.threshold, student, o.threshold, num_classes, o.eval.match_iou);
    result.verdict = metrics::Gate::load(o.gate).check(*result.behaviour, result.class_names);
  }
  return result;
}

std::string onnx_eval_json(const OnnxEvalResult& r) {
  nlohmann::json j = {{"model", r.model},         {"split", r.split},     {"images", r.images},
                      {"threshold", r.threshold}, {"classes", r.class_names},
                      {"evaluation", evaluation_json(r.evaluation)}};
  if (r.teacher_evaluation) {
    j["teacher"] = r.teacher;
    j["teacher_evaluation"] = evaluation_json(*r.teacher_evaluation);
    j["behaviour"] = behaviour_to_json(*r.behaviour);
    j["gate"] = {{"passed", r.verdict->passed},
                 {"summary", metrics::refusal_text(*r.behaviour, *r.verdict, r.threshold, r.split, "--threshold")}};
  }
  return j.dump(2) + "\n";
}

std::string onnx_eval_text(const OnnxEvalResult& r) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(4);
  auto evaluation = [&](const std::string& who, const Evaluation& e) {
    std::ostringstream threshold;
    threshold << r.threshold;
    out << who << ": mAP@0.5 " << e.map50 << ", recall at " << threshold.str() << " " << e.recall_at_threshold_mean
        << " (";
    for (size_t c = 0; c < e.recall_at_threshold.size(); ++c) {
      out << (c ? ", " : "") << r.class_names[c] << " ";
      if (std::isnan(e.recall_at_threshold[c])) {
        out << "-";
      } else {
        out << e.recall_at_threshold[c];
      }
    }
    out << ")\n";
  };
  out << r.model << " on " << r.split << " (" << r.images << " images)\n";
  evaluation("model", r.evaluation);
  if (r.teacher_evaluation) {
    evaluation("teacher", *r.teacher_evaluation);
    const auto& s = *r.behaviour;
    out << "vs teacher: " << metrics::format_behaviour(s, ", ") << " -> "
        << metrics::refusal_text(s, *r.verdict, r.threshold, r.split, "--threshold") << "\n";
    out << "missed " << (s.teacher_count - s.matched) << " of " << s.teacher_count << " teacher detections: "
        << s.misses.below_threshold << " below threshold, " << s.misses.wrong_class << " wrong class, "
        << s.misses.box << " box, " << s.misses.absent << " absent\n";
  }
  return out.str();
}

}  // namespace qat::train
