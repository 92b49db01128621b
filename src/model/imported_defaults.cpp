#include "qat/model/imported_defaults.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "qat/core/did_you_mean.h"
#include "qat/core/error.h"
#include "qat/core/logging.h"
#include "qat/graph/name_pattern.h"
#include "qat/graph/onnx_importer.h"
#include "qat/graph/op_traits.h"
#include "qat/model/onnx_detector.h"
#include "qat/quant/quant_plan.h"

namespace qat::model {
namespace {

// Walks producers back from the head values. State kHead: no head layer passed
// yet, the first quantizable node met is a head layer. kPast: behind a head layer,
// a quantizable node met is the body (the walk stops). kDecode: behind a head
// layer and a Softmax (DFL): the quantizable node met is a head layer too.
enum class State { kHead, kPast, kDecode };

class HeadWalk {
 public:
  explicit HeadWalk(const graph::Graph& g) : g_(g) {}

  // Returns whether a Softmax was met before the next quantizable node.
  bool walk(const std::string& value, State state) {
    const graph::Node* p = g_.producer(value);
    if (!p || !visited_.insert({p->name, static_cast<int>(state)}).second) return softmax_behind_[value];
    if (quant::is_quantizable(p->op_type)) {
      if (state == State::kPast) return false;
      head_.insert(p->name);
      // The layer's data input: behind it, a Softmax makes this a decode layer.
      if (!p->inputs.empty() && walk(p->inputs[0], State::kPast)) {
        decode_.insert(p->name);
      }
      return false;
    }
    const graph::OpTraits& traits = graph::op_traits(p->op_type);
    const bool softmax = traits.distribution;
    const State next = state == State::kPast && softmax ? State::kDecode : state;
    bool seen = softmax;
    // Shape reads only its input's shape: what computes that input is not the head.
    if (!traits.reads_shape_only) {
      for (const auto& in : p->inputs) {
        if (!in.empty()) seen = walk(in, next) || seen;
      }
    }
    softmax_behind_[value] = seen;
    return seen;
  }

  HeadLayers result() const {
    HeadLayers h;
    std::set<std::string> taps;
    for (const auto& n : g_.nodes()) {
      if (!head_.count(n.name)) continue;
      h.nodes.push_back(n.name);
      if (!decode_.count(n.name) && !n.inputs.empty() && taps.insert(n.inputs[0]).second) h.taps.push_back(n.inputs[0]);
    }
    return h;
  }

 private:
  const graph::Graph& g_;
  std::set<std::pair<std::string, int>> visited_;
  std::map<std::string, bool> softmax_behind_;
  std::set<std::string> head_, decode_;
};

}  // namespace

HeadLayers find_head_layers(const Detector& det) {
  HeadWalk walk(det.graph);
  for (const auto& value : {det.info.boxes, det.info.scores}) walk.walk(value, State::kHead);
  return walk.result();
}

QuantSection resolve_quant_region(const Detector& det, const QuantSection& quant) {
  if (!quant.include.empty()) return quant;
  QuantSection s = quant;
  const HeadLayers head = find_head_layers(det);
  const std::set<std::string> left_out(head.nodes.begin(), head.nodes.end());
  for (const auto& n : det.graph.nodes()) {
    if (quant::is_quantizable(n.op_type) && !left_out.count(n.name)) s.include.push_back(n.name);
  }
  logger().info("quant.include not given for {}: quantizing {} Conv/Gemm/MatMul nodes, leaving out the {} that "
                "produce the head outputs: {}",
                det.info.arch, s.include.size(), head.nodes.size(), join(head.nodes));
  return s;
}

std::vector<distill::LossSpec> resolve_loss_taps(const Detector& det, const std::vector<distill::LossSpec>& losses) {
  std::vector<distill::LossSpec> out = losses;
  const bool defaults =
      YAML::Dump(distill::losses_to_yaml(losses)) == YAML::Dump(distill::losses_to_yaml(distill::default_losses()));
  if (defaults && !det.has_anchors()) {
    // The ground-truth term assigns labels to anchors; an export that computes its
    // anchors has none to give it. A recipe that lists it explicitly is refused by it.
    out.erase(std::remove_if(out.begin(), out.end(), [](const auto& l) { return l.type == "ground_truth"; }), out.end());
    logger().info("{}: no anchor constants, so the default losses leave out ground_truth (name "
                  "model.head.anchor_points and anchor_strides to keep it)", det.info.arch);
  }
  std::vector<std::string> head_taps;
  for (auto& loss : out) {
    if (loss.taps.empty() || loss.taps != distill::default_feature_taps()) continue;
    bool any = false;
    for (const auto& tap : loss.taps) any = any || det.graph.producer(tap) != nullptr;
    if (any) continue;
    if (head_taps.empty()) head_taps = find_head_layers(det).taps;
    if (head_taps.empty()) continue;  // check_recipe_names names the missing taps
    logger().info("{}: {} taps the inputs of the head layers: {}", det.info.arch, loss.type, join(head_taps));
    loss.taps = head_taps;
  }
  return out;
}

}  // namespace qat::model
