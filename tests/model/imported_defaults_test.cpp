// Defaults for imported models: the head layers (the last convs before the outputs,
// and the ones behind a Softmax decode like YOLOv8's DFL) stay FP32, their inputs are
// the default feature taps, and the names a recipe uses are checked against the graph.
#include "qat/model/imported_defaults.h"

#include "qat/recipe/recipe_check.h"
#include "support/test_support.h"

namespace qat::model {
namespace {

// x -> body (Conv) -> features -> Relu -> cls_features
//   box_pred(features) -> Softmax -> dfl (Conv) -> boxes
//   cls_pred(cls_features) -> Sigmoid -> Reshape(., Shape(features)) -> scores
Detector tiny_detector() {
  Detector det;
  graph::Graph& g = det.graph;
  g.add_input({"x", {1, 2, 4, 4}});
  for (const char* w : {"w_body", "w_box", "w_dfl", "w_cls"}) g.set_initializer(w, at::zeros({2, 2, 1, 1}), true);
  g.add_node({"body", "Conv", {"x", "w_body"}, {"features"}, {}});
  g.add_node({"relu", "Relu", {"features"}, {"cls_features"}, {}});
  g.add_node({"box_pred", "Conv", {"features", "w_box"}, {"box_raw"}, {}});
  g.add_node({"softmax", "Softmax", {"box_raw"}, {"box_prob"}, {}});
  g.add_node({"dfl", "Conv", {"box_prob", "w_dfl"}, {"boxes"}, {}});
  g.add_node({"cls_pred", "Conv", {"cls_features", "w_cls"}, {"cls_raw"}, {}});
  g.add_node({"sigmoid", "Sigmoid", {"cls_raw"}, {"cls_prob"}, {}});
  g.add_node({"shape", "Shape", {"features"}, {"feature_shape"}, {}});
  g.add_node({"reshape", "Reshape", {"cls_prob", "feature_shape"}, {"scores"}, {}});
  g.add_output({"boxes", {}});
  g.add_output({"scores", {}});
  det.info.arch = "tiny.onnx";
  det.info.boxes = "boxes";
  det.info.scores = "scores";
  det.info.anchor_points.clear();  // as imported without anchor constants
  det.info.anchor_strides.clear();
  return det;
}

TEST(ImportedDefaults, HeadLayersAreTheLastConvsAndTheOnesBehindASoftmaxDecode) {
  const HeadLayers head = find_head_layers(tiny_detector());
  EXPECT_EQ(head.nodes, (std::vector<std::string>{"box_pred", "dfl", "cls_pred"}));
  // dfl reads a Softmax, not features: no tap.
  EXPECT_EQ(head.taps, (std::vector<std::string>{"features", "cls_features"}));
}

TEST(ImportedDefaults, AnEmptyIncludeQuantizesAllButTheHeadLayers) {
  const Detector det = tiny_detector();
  QuantSection quant;
  quant.include.clear();
  EXPECT_EQ(resolve_quant_region(det, quant).include, (std::vector<std::string>{"body"}));
  quant.include = {"b*"};
  EXPECT_EQ(resolve_quant_region(det, quant).include, (std::vector<std::string>{"b*"}));
}

TEST(ImportedDefaults, NativeDefaultTapsBecomeTheHeadInputs) {
  const Detector det = tiny_detector();
  const auto losses = resolve_loss_taps(det, distill::default_losses());
  ASSERT_EQ(losses[0].type, "feature_mse");
  EXPECT_EQ(losses[0].taps, (std::vector<std::string>{"features", "cls_features"}));
  std::vector<distill::LossSpec> given = distill::default_losses();
  given[0].taps = {"cls_features"};
  EXPECT_EQ(resolve_loss_taps(det, given)[0].taps, (std::vector<std::string>{"cls_features"}));
}

TEST(ImportedDefaults, WithoutAnchorsTheDefaultLossesLeaveOutGroundTruth) {
  const Detector det = tiny_detector();  // no anchor constants
  std::vector<std::string> types;
  for (const auto& l : resolve_loss_taps(det, distill::default_losses())) types.push_back(l.type);
  EXPECT_EQ(types, (std::vector<std::string>{"feature_mse", "score_bce", "box_l1_giou"}));
  // A list the recipe gives keeps its terms (ground_truth then says what it lacks).
  std::vector<distill::LossSpec> given = distill::default_losses();
  given[3].weight = 0.5;
  EXPECT_EQ(resolve_loss_taps(det, given).size(), 4u);
}

TEST(ImportedDefaults, RecipeNamesAreCheckedAgainstTheGraphWithSuggestions) {
  const Detector det = tiny_detector();
  Recipe r;
  r.file = "r.yaml";
  r.quant.include.clear();
  r.quant.exclude.clear();
  qat::check_recipe_names(det, r);  // the defaults fit
  r.qat.losses[0].taps = {"featurs"};
  ASSERT_THROWS_WITH(qat::check_recipe_names(det, r), ConfigError,
                     "r.yaml: qat.losses[0].taps: 'featurs' is not a value of model tiny.onnx; did you mean "
                     "'features'?");
  r.qat.losses = distill::default_losses();
  r.quant.include = {"bodi"};
  ASSERT_THROWS_WITH(qat::check_recipe_names(det, r), ConfigError,
                     "r.yaml: quant.include[0]: 'bodi' matches no Conv/Gemm/MatMul node of model tiny.onnx; did "
                     "you mean 'body'?");
  r.quant.include = {"body"};
  r.quant.exclude = {"cls_pred", "reluu"};
  ASSERT_THROWS_WITH(qat::check_recipe_names(det, r), ConfigError,
                     "r.yaml: quant.exclude[1]: 'reluu' matches no node of model tiny.onnx; did you mean 'relu'?");
}

// export.opset not given for an imported model: its own opset (opset 12 exports at
// 13, qat's lowest); given: as given; a native model: 13.
TEST(ImportedDefaults, TheExportOpsetIsTheModelsOwnUnlessGiven) {
  const auto models = testing::source_dir() / "tests/data/models";
  Recipe r;
  r.model.onnx = (models / "yolov8-tiny-op17-static.onnx").string();
  r.export_.opset = 0;  // as load_recipe leaves it for model.onnx without export.opset
  EXPECT_EQ(export_opset(r), 17);
  r.model.onnx = (models / "yolov8-tiny-op12-static.onnx").string();
  EXPECT_EQ(export_opset(r), 13);
  r.export_.opset = 15;
  EXPECT_EQ(export_opset(r), 15);
  EXPECT_EQ(export_opset(Recipe{}), 13);
}

}  // namespace
}  // namespace qat::model
