#include "qat/distill/loss_spec.h"

#include "support/test_support.h"

namespace qat::distill {
namespace {

std::vector<LossSpec> parse(const std::string& text) {
  const YAML::Node root = YAML::Load(text);
  return losses_from_yaml(root["losses"], KeyPath("r.yaml") / "losses");
}

void expect_same(const LossSpec& a, const LossSpec& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.weight, b.weight);
  EXPECT_EQ(a.taps, b.taps);
  EXPECT_EQ(a.temperature, b.temperature);
  EXPECT_EQ(a.score_floor, b.score_floor);
  EXPECT_EQ(a.anchor_weight, b.anchor_weight);
}

}  // namespace

TEST(LossSpec, DefaultsPerType) {
  const auto l = parse(
      "losses:\n"
      "  - type: feature_mse\n"
      "  - {type: feature_cosine, taps: [a, b], weight: 2}\n"
      "  - type: score_kl\n"
      "  - {type: score_bce, temperature: 4}\n"
      "  - type: box_l1_giou\n"
      "  - {type: ground_truth, weight: 0.25}\n");
  ASSERT_EQ(l.size(), 6u);
  EXPECT_EQ(l[0].type, "feature_mse");
  EXPECT_EQ(l[0].weight, 1.0);
  EXPECT_EQ(l[0].taps, (std::vector<std::string>{"neck.5.cv2.act", "neck.8.cv2.act", "neck.11.cv2.act"}));
  EXPECT_EQ(l[1].taps, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(l[1].weight, 2.0);
  EXPECT_EQ(l[2].temperature, 1.0);
  EXPECT_EQ(l[3].temperature, 4.0);
  EXPECT_TRUE(l[3].taps.empty());
  EXPECT_EQ(l[4].score_floor, 0.05);
  EXPECT_EQ(l[5].type, "ground_truth");
  EXPECT_EQ(l[5].weight, 0.25);
}

TEST(LossSpec, DefaultLosses) {
  const auto d = default_losses();
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].type, "feature_mse");
  EXPECT_EQ(d[0].taps, default_feature_taps());
  EXPECT_EQ(d[1].type, "score_bce");
  EXPECT_EQ(d[1].temperature, 1.0);
  EXPECT_EQ(d[2].type, "box_l1_giou");
  EXPECT_EQ(d[2].score_floor, 0.05);
  EXPECT_EQ(d[3].type, "ground_truth");
  EXPECT_EQ(d[3].weight, 0.1);
}

TEST(LossSpec, KeyOfAnotherTypeIsUnknown) {
  ASSERT_THROWS_WITH(parse("losses:\n  - type: score_bce\n    score_floor: 0.1\n"), ConfigError,
                     "r.yaml:3:5: losses[0].score_floor: unknown key (known keys: type, weight, temperature, anchor_weight)");
  ASSERT_THROWS_WITH(parse("losses:\n  - {type: score_kl, anchor_weight: confident}\n"), ConfigError,
                     "r.yaml:2:22: losses[0].anchor_weight: unknown key (known keys: type, weight, temperature)");
  ASSERT_THROWS_WITH(parse("losses:\n  - {type: score_bce, anchor_weight: loud}\n"), ConfigError,
                     "r.yaml:2:38: losses[0].anchor_weight: must be one of uniform, confident, threshold; got 'loud'");
  ASSERT_THROWS_WITH(parse("losses:\n  - type: box_l1_giou\n  - {type: ground_truth, taps: [x]}\n"), ConfigError,
                     "r.yaml:3:26: losses[1].taps: unknown key; did you mean 'type'?");
  ASSERT_THROWS_WITH(parse("losses:\n  - {type: score_kl, temprature: 2}\n"), ConfigError,
                     "r.yaml:2:22: losses[0].temprature: unknown key; did you mean 'temperature'?");
}

TEST(LossSpec, UnknownTypeSuggests) {
  ASSERT_THROWS_WITH(parse("losses:\n  - type: score_bc\n"), ConfigError,
                     "r.yaml:2:11: losses[0].type: must be one of box_l1_giou, feature_cosine, feature_mse, "
                     "ground_truth, score_bce, score_kl; got 'score_bc' (did you mean 'score_bce'?)");
}

TEST(LossSpec, BadValues) {
  ASSERT_THROWS_WITH(parse("losses:\n  - weight: 2\n"), ConfigError,
                     "r.yaml:2:5: losses[0].type: required key is missing (one of box_l1_giou, feature_cosine, "
                     "feature_mse, ground_truth, score_bce, score_kl)");
  ASSERT_THROWS_WITH(parse("losses:\n  - {type: score_bce, temperature: 0}\n"), ConfigError,
                     "r.yaml:2:36: losses[0].temperature: must be in [0.01, 100], got 0");
  ASSERT_THROWS_WITH(parse("losses:\n  - {type: feature_mse, taps: []}\n"), ConfigError,
                     "r.yaml:2:31: losses[0].taps: expected at least one tap");
  ASSERT_THROWS_WITH(parse("losses:\n  - {type: box_l1_giou, weight: -1}\n"), ConfigError,
                     "r.yaml:2:33: losses[0].weight: must be in [0, 1e+06], got -1");
  ASSERT_THROWS_WITH(parse("losses: {type: score_bce}\n"), ConfigError,
                     "r.yaml:1:9: losses: expected a non-empty list of losses");
  ASSERT_THROWS_WITH(parse("losses: []\n"), ConfigError, "r.yaml:1:9: losses: expected a non-empty list of losses");
}

TEST(LossSpec, ToYamlWritesTheKeysOfTheTypeOnly) {
  LossSpec s;
  s.type = "score_kl";
  s.temperature = 3;
  s.taps = {"ignored"};
  YAML::Emitter out;
  out << YAML::Flow << s.to_yaml();
  EXPECT_EQ(std::string(out.c_str()), "{type: score_kl, weight: 1, temperature: 3}");
}

TEST(LossSpec, RoundTrip) {
  auto specs = default_losses();
  LossSpec kl;
  kl.type = "score_kl";
  kl.weight = 0.3;
  kl.temperature = 2.5;
  LossSpec cos;
  cos.type = "feature_cosine";
  cos.weight = 0.1;
  cos.taps = {"backbone.4.cv2.act"};
  specs.push_back(kl);
  specs.push_back(cos);
  specs[2].score_floor = 0.2;
  YAML::Emitter out;
  out << losses_to_yaml(specs);
  const auto back = losses_from_yaml(YAML::Load(out.c_str()), KeyPath("round.yaml"));
  ASSERT_EQ(back.size(), specs.size());
  for (size_t i = 0; i < specs.size(); ++i) expect_same(back[i], specs[i]);
}

}  // namespace qat::distill
