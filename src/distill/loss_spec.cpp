#include "qat/distill/loss_spec.h"

#include "qat/core/yaml_map.h"
#include "qat/distill/registry.h"

namespace qat::distill {
namespace {

bool is_feature(const std::string& type) { return type == "feature_mse" || type == "feature_cosine"; }
bool is_score(const std::string& type) { return type == "score_bce" || type == "score_kl"; }

}  // namespace

const std::vector<std::string>& default_feature_taps() {
  static const std::vector<std::string> taps = {"neck.5.cv2.act", "neck.8.cv2.act", "neck.11.cv2.act"};
  return taps;
}

LossSpec LossSpec::from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  LossSpec s;
  s.type = m.require_choice("type", loss_registry().names());
  s.weight = m.get_in("weight", s.weight, 0.0, 1e6);
  // Only the keys of this type are read, so finish() reports the others as unknown.
  if (is_feature(s.type)) {
    s.taps = m.get("taps", default_feature_taps());
    if (s.taps.empty()) throw m.path("taps").error(m.node("taps"), "expected at least one tap");
  } else if (is_score(s.type)) {
    s.temperature = m.get_in("temperature", s.temperature, 0.01, 100.0);
    if (s.type == "score_bce") {
      s.anchor_weight = m.get_choice("anchor_weight", s.anchor_weight, {"uniform", "confident", "threshold"});
      if (s.anchor_weight == "threshold") {
        s.threshold = m.get_in("threshold", s.threshold, 0.0, 0.999);
        s.band = m.get_in("band", s.band, 1e-3, 1.0);
      }
    }
  } else if (s.type == "box_l1_giou") {
    s.score_floor = m.get_in("score_floor", s.score_floor, 0.0, 1.0);
  }
  m.finish();
  return s;
}

YAML::Node LossSpec::to_yaml() const {
  YAML::Node n;
  n["type"] = type;
  n["weight"] = yaml_number(weight);
  if (is_feature(type)) {
    n["taps"] = taps;
  } else if (is_score(type)) {
    n["temperature"] = yaml_number(temperature);
    if (type == "score_bce") n["anchor_weight"] = anchor_weight;
    if (type == "score_bce" && anchor_weight == "threshold") {
      n["threshold"] = yaml_number(threshold);
      n["band"] = yaml_number(band);
    }
  } else if (type == "box_l1_giou") {
    n["score_floor"] = yaml_number(score_floor);
  }
  return n;
}

std::vector<LossSpec> losses_from_yaml(const YAML::Node& list, const KeyPath& path) {
  if (!list.IsSequence() || list.size() == 0) {
    throw path.error(list, "expected a non-empty list of losses");
  }
  std::vector<LossSpec> out;
  for (size_t i = 0; i < list.size(); ++i) out.push_back(LossSpec::from_yaml(list[i], path[i]));
  return out;
}

YAML::Node losses_to_yaml(const std::vector<LossSpec>& losses) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (const auto& s : losses) n.push_back(s.to_yaml());
  return n;
}

std::vector<LossSpec> default_losses() {
  LossSpec feature;
  feature.type = "feature_mse";
  feature.taps = default_feature_taps();
  LossSpec score;
  score.type = "score_bce";
  LossSpec box;
  box.type = "box_l1_giou";
  LossSpec truth;
  truth.type = "ground_truth";
  truth.weight = 0.1;
  return {feature, score, box, truth};
}

}  // namespace qat::distill
