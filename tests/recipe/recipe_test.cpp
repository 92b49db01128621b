#include "qat/recipe/recipe.h"

#include "support/test_support.h"

namespace qat {

TEST(Recipe, DefaultsFillEverythingNotGiven) {
  testing::TempDir dir;
  const auto file = dir.write("small.yaml", "seed: 7\nfp32:\n  epochs: 3\n");
  const Recipe r = load_recipe(file);
  EXPECT_EQ(r.name, "small");
  EXPECT_EQ(r.seed, 7);
  EXPECT_EQ(r.fp32.epochs, 3);
  EXPECT_EQ(r.fp32.optimizer, "sgd");
  EXPECT_EQ(r.data.batch_size, 32);
  EXPECT_DOUBLE_EQ(r.eval.score_threshold, 0.70);
}

TEST(Recipe, MisspelledKeyNamesFileLineColumnAndKeyPath) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "name: x\ndata:\n  image_size: 160\n  batch_szie: 8\n");
  ASSERT_THROWS_WITH(load_recipe(file), ConfigError,
                     file + ":4:3: data.batch_szie: unknown key; did you mean 'batch_size'?");
}

TEST(Recipe, UnknownSectionSuggestsTheClosest) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "fp23:\n  epochs: 1\n");
  ASSERT_THROWS_WITH(load_recipe(file), ConfigError, file + ":1:1: fp23: unknown key; did you mean 'fp32'?");
}

TEST(Recipe, YamlSyntaxErrorHasPosition) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "data:\n  batch_size: [1, 2\n");
  try {
    load_recipe(file);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), file);
    EXPECT_EQ(e.line(), 3);
    EXPECT_EQ(e.key_path(), "");
  }
}

TEST(Recipe, ImageSizeMustBeAMultipleOf32) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "data:\n  image_size: 100\n");
  ASSERT_THROWS_WITH(load_recipe(file), ConfigError,
                     file + ":2:15: data.image_size: must be a multiple of 32 (the largest stride), got 100");
}

TEST(Recipe, OverrideReplacesValueAndIsNamedInErrors) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "fp32:\n  lr: 0.1\n");
  EXPECT_DOUBLE_EQ(load_recipe(file, {"fp32.lr=0.02"}).fp32.lr, 0.02);
  ASSERT_THROWS_WITH(load_recipe(file, {"fp32.lr=fast"}), ConfigError,
                     "--set fp32.lr=fast: fp32.lr: expected a number, got 'fast'");
  ASSERT_THROWS_WITH(load_recipe(file, {"fp32.lrr=1"}), ConfigError,
                     "--set fp32.lrr=1: fp32.lrr: unknown key; did you mean 'lr'?");
}

TEST(Recipe, MissingFileIsAnIoError) {
  ASSERT_THROWS_WITH(load_recipe("/nonexistent/r.yaml"), IoError,
                     "/nonexistent/r.yaml: cannot read: No such file or directory");
}

TEST(Recipe, YamlRoundTripKeepsEveryValue) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml",
                              "name: rt\nseed: 3\ndata:\n  hflip: 0.25\nfp32:\n  optimizer: adamw\n"
                              "  lr: 0.001\neval:\n  score_threshold: 0.69\n");
  const Recipe a = load_recipe(file);
  const auto again = dir.write("again.yaml", a.to_yaml_text());
  const Recipe b = load_recipe(again);
  EXPECT_EQ(b.to_yaml_text(), a.to_yaml_text());
  EXPECT_EQ(b.hash(), a.hash());
  EXPECT_EQ(b.fp32.optimizer, "adamw");
  EXPECT_DOUBLE_EQ(b.eval.score_threshold, 0.69);
  EXPECT_DOUBLE_EQ(b.data.hflip, 0.25);
}

TEST(Recipe, HashChangesWithAnyValue) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "seed: 1\n");
  EXPECT_NE(load_recipe(file).hash(), load_recipe(file, {"seed=2"}).hash());
  EXPECT_EQ(load_recipe(file).hash(), load_recipe(file).hash());
}

TEST(Recipe, ShippedRecipesAreValid) {
  for (const auto& entry : std::filesystem::directory_iterator(testing::source_dir() / "recipes")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    EXPECT_NO_THROW(load_recipe(entry.path().string()));
  }
}

}  // namespace qat

namespace qat {

TEST(Recipe, QuantSectionDefaultsAndNestedErrors) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "quant:\n  include: ['backbone.[0-4]']\n  weights:\n    bits: 4\n");
  const Recipe r = load_recipe(file);
  EXPECT_EQ(r.quant.include, (std::vector<std::string>{"backbone.[0-4]"}));
  EXPECT_EQ(r.quant.weights.bits, 4);
  EXPECT_TRUE(r.quant.weights.per_channel);  // the weights default, not the generic one
  EXPECT_FALSE(r.quant.activations.per_channel);
  EXPECT_EQ(r.quant.activations.observer, "percentile");
  ASSERT_THROWS_WITH(load_recipe(file, {"quant.activations.observer=kl"}), ConfigError,
                     "--set quant.activations.observer=kl: quant.activations.observer: must be one of "
                     "ema_minmax, entropy, minmax, mse, percentile; got 'kl'");
  ASSERT_THROWS_WITH(load_recipe(file, {"quant.weights.bits=1"}), ConfigError,
                     "--set quant.weights.bits=1: quant.weights.bits: must be in [2, 16], got 1");
}

TEST(Recipe, ThresholdWeightedScoreLossDefaultsToTheDeployedThreshold) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml",
                              "eval:\n  score_threshold: 0.6\nqat:\n  losses:\n"
                              "    - {type: score_bce, anchor_weight: threshold}\n"
                              "    - {type: score_bce, anchor_weight: threshold, threshold: 0.8, band: 0.1}\n");
  const Recipe r = load_recipe(file);
  EXPECT_DOUBLE_EQ(r.qat.losses[0].threshold, 0.6);
  EXPECT_DOUBLE_EQ(r.qat.losses[0].band, 0.05);
  EXPECT_DOUBLE_EQ(r.qat.losses[1].threshold, 0.8);
  EXPECT_DOUBLE_EQ(r.qat.losses[1].band, 0.1);
  ASSERT_THROWS_WITH(load_recipe(file, {"qat.losses=[{type: score_bce, band: 0.1}]"}), ConfigError,
                     "--set qat.losses=[{type: score_bce, band: 0.1}]: qat.losses[0].band: unknown key "
                     "(known keys: type, weight, temperature, anchor_weight)");
}

TEST(Recipe, ExportSectionIsReadStrictlyAndRoundTrips) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml", "export:\n  profile: ort\n  opset: 17\nquant:\n  share_concat_scales: true\n");
  const Recipe r = load_recipe(file);
  EXPECT_EQ(r.export_.profile, "ort");
  EXPECT_EQ(r.export_.opset, 17);
  EXPECT_TRUE(r.quant.share_concat_scales);
  const Recipe defaults = load_recipe(dir.write("d.yaml", "seed: 1\n"));
  EXPECT_EQ(defaults.export_.profile, "tensorrt");
  EXPECT_EQ(defaults.export_.opset, 13);
  EXPECT_FALSE(defaults.quant.share_concat_scales);
  const Recipe again = load_recipe(dir.write("again.yaml", r.to_yaml_text()));
  EXPECT_EQ(again.to_yaml_text(), r.to_yaml_text());
  EXPECT_EQ(again.export_.profile, "ort");
  EXPECT_EQ(again.export_.opset, 17);
  EXPECT_TRUE(again.quant.share_concat_scales);
  ASSERT_THROWS_WITH(load_recipe(file, {"export.profile=tflite"}), ConfigError,
                     "--set export.profile=tflite: export.profile: must be one of tensorrt, ort; got 'tflite'");
  ASSERT_THROWS_WITH(load_recipe(file, {"export.opset=18"}), ConfigError,
                     "--set export.opset=18: export.opset: must be in [13, 17], got 18");
  ASSERT_THROWS_WITH(load_recipe(dir.write("typo.yaml", "export:\n  opsett: 13\n")), ConfigError,
                     dir.file("typo.yaml") + ":2:3: export.opsett: unknown key; did you mean 'opset'?");
}

// distributed: read strictly; left out of `qat recipe show` (and so of the hash) at
// its defaults, so a recipe that does not name it hashes as before the section existed.
TEST(Recipe, DistributedSectionIsShownOnlyWhenNotTheDefault) {
  testing::TempDir dir;
  const Recipe defaults = load_recipe(dir.write("d.yaml", "name: r\nseed: 1\n"));
  EXPECT_EQ(defaults.distributed.backend, "gloo");
  EXPECT_EQ(defaults.distributed.timeout_s, 60);
  EXPECT_EQ(defaults.to_yaml_text().find("distributed"), std::string::npos);
  const Recipe same = load_recipe(dir.write("s.yaml", "name: r\nseed: 1\ndistributed: {backend: gloo, timeout_s: 60}\n"));
  EXPECT_EQ(same.hash(), defaults.hash());
  const auto file = dir.write("r.yaml", "distributed:\n  timeout_s: 5\n");
  const Recipe r = load_recipe(file);
  EXPECT_EQ(r.distributed.timeout_s, 5);
  EXPECT_NE(r.to_yaml_text().find("distributed:\n  backend: gloo\n  timeout_s: 5\n"), std::string::npos);
  EXPECT_EQ(load_recipe(dir.write("again.yaml", r.to_yaml_text())).to_yaml_text(), r.to_yaml_text());
  ASSERT_THROWS_WITH(load_recipe(file, {"distributed.backend=mpi"}), ConfigError,
                     "--set distributed.backend=mpi: distributed.backend: must be one of gloo, nccl; got 'mpi'");
  ASSERT_THROWS_WITH(load_recipe(file, {"distributed.timeout_s=0"}), ConfigError,
                     "--set distributed.timeout_s=0: distributed.timeout_s: must be in [1, 86400], got 0");
  // distributed.device: cpu by default; any CUDA device reads (the run refuses it on this build).
  EXPECT_EQ(defaults.distributed.device, "cpu");
  const Recipe gpu = load_recipe(file, {"distributed.device=cuda:1"});
  EXPECT_EQ(gpu.distributed.device, "cuda:1");
  EXPECT_NE(gpu.to_yaml_text().find("  device: cuda:1\n"), std::string::npos);
  ASSERT_THROWS_WITH(load_recipe(file, {"distributed.device=gpu"}), ConfigError,
                     "--set distributed.device=gpu: distributed.device: must be cpu, cuda or cuda:N, got 'gpu'");
  ASSERT_THROWS_WITH(load_recipe(dir.write("dev.yaml", "distributed:\n  device: cuda:-1\n")), ConfigError,
                     dir.file("dev.yaml") + ":2:11: distributed.device: must be cpu, cuda or cuda:N, got 'cuda:-1'");
}

// An imported model without export.opset exports at its own opset (0 here, resolved
// by export_opset (recipe/recipe_check.h) from the file): recipe show leaves the key out, so the
// round trip keeps it unset; a given opset stays.
TEST(Recipe, AnImportedModelWithoutExportOpsetLeavesItToTheModel) {
  testing::TempDir dir;
  const Recipe r = load_recipe(dir.write("r.yaml", "model:\n  onnx: det.onnx\n"));
  EXPECT_EQ(r.export_.opset, 0);
  EXPECT_FALSE(r.to_yaml()["export"]["opset"].IsDefined());
  EXPECT_EQ(r.to_yaml()["export"]["profile"].as<std::string>(), "tensorrt");
  const Recipe again = load_recipe(dir.write("again.yaml", r.to_yaml_text()));
  EXPECT_EQ(again.export_.opset, 0);
  EXPECT_EQ(again.to_yaml_text(), r.to_yaml_text());
  EXPECT_EQ(load_recipe(dir.file("r.yaml"), {"export.opset=14"}).export_.opset, 14);
  EXPECT_EQ(load_recipe(dir.write("n.yaml", "seed: 1\n")).export_.opset, 13);  // native: 13
}

}  // namespace qat

namespace qat {

TEST(Recipe, ModelOnnxWithHeadRoundTrips) {
  testing::TempDir dir;
  const auto file = dir.write("r.yaml",
                              "model:\n  onnx: det.onnx\n  head:\n    input: input.1\n    boxes: out_boxes\n"
                              "    logits: cls_logits\n");
  const Recipe a = load_recipe(file);
  EXPECT_TRUE(a.model.is_onnx());
  EXPECT_EQ(a.model.arch, "");
  EXPECT_EQ(a.model.onnx, "det.onnx");
  EXPECT_EQ(a.model.head.input, "input.1");
  EXPECT_EQ(a.model.head.boxes, "out_boxes");
  EXPECT_EQ(a.model.head.scores, "scores");
  EXPECT_EQ(a.model.head.logits, "cls_logits");
  EXPECT_EQ(a.model.head.anchor_points, "");
  const auto again = dir.write("again.yaml", a.to_yaml_text());
  const Recipe b = load_recipe(again);
  EXPECT_EQ(b.to_yaml_text(), a.to_yaml_text());
  EXPECT_EQ(b.model.head.logits, "cls_logits");
  EXPECT_NE(b.hash(), load_recipe(dir.write("arch.yaml", "")).hash());
  // The native form keeps writing arch only.
  const Recipe native = load_recipe(dir.write("native.yaml", "model:\n  arch: a.yaml\n"));
  EXPECT_EQ(native.model.to_yaml().size(), 1u);
  EXPECT_FALSE(native.model.is_onnx());
}

TEST(Recipe, ModelArchAndOnnxAreMutuallyExclusive) {
  testing::TempDir dir;
  const auto both = dir.write("r.yaml", "model:\n  arch: a.yaml\n  onnx: det.onnx\n");
  ASSERT_THROWS_WITH(load_recipe(both), ConfigError,
                     both + ":3:9: model.onnx: 'arch' and 'onnx' are mutually exclusive; give one");
  const auto head = dir.write("h.yaml", "model:\n  head:\n    input: x\n");
  ASSERT_THROWS_WITH(load_recipe(head), ConfigError,
                     head + ":3:5: model.head: only an imported model ('onnx') has a head section");
  const auto typo = dir.write("t.yaml", "model:\n  onnx: d.onnx\n  head:\n    score: s\n");
  ASSERT_THROWS_WITH(load_recipe(typo), ConfigError,
                     typo + ":4:12: model.head.score: is a key of layout general, not of boxes_scores");
  const auto typo2 = dir.write("t2.yaml", "model:\n  onnx: d.onnx\n  head:\n    scors: s\n");
  ASSERT_THROWS_WITH(load_recipe(typo2), ConfigError,
                     typo2 + ":4:5: model.head.scors: unknown key; did you mean 'scores'?");
  const auto half = dir.write("p.yaml", "model:\n  onnx: d.onnx\n  head:\n    anchor_points: ap\n");
  ASSERT_THROWS_WITH(load_recipe(half), ConfigError,
                     half + ":4:20: model.head.anchor_points: anchor_points and anchor_strides go together; "
                            "give both or neither");
}

TEST(Recipe, HeadLayoutsReadTheirKeysAndRoundTrip) {
  testing::TempDir dir;
  const Recipe u = load_recipe(dir.write("u.yaml", "model:\n  onnx: y.onnx\n  head: {layout: ultralytics}\n"));
  EXPECT_EQ(u.model.head.layout, "ultralytics");
  EXPECT_EQ(u.model.head.output, "output0");
  // An imported model's region and excludes are found from its graph: empty here.
  EXPECT_TRUE(u.quant.include.empty());
  EXPECT_TRUE(u.quant.exclude.empty());
  const Recipe u2 = load_recipe(dir.write("u2.yaml", u.to_yaml_text()));
  EXPECT_EQ(u2.to_yaml_text(), u.to_yaml_text());
  EXPECT_FALSE(u.model.head.to_yaml()["boxes"].IsDefined());

  const Recipe g = load_recipe(dir.write("g.yaml",
                                         "model:\n  onnx: f.onnx\n  head:\n    layout: general\n    boxes: b\n"
                                         "    box_format: cxcywh\n    channels: first\n    score: product\n"
                                         "    score_inputs: [cls, ctr]\nquant:\n  include: ['/backbone/**']\n"));
  EXPECT_EQ(g.model.head.box_format, "cxcywh");
  EXPECT_EQ(g.model.head.channels, "first");
  EXPECT_EQ(g.model.head.score_inputs, (std::vector<std::string>{"cls", "ctr"}));
  EXPECT_EQ(g.model.head.scores, "");
  EXPECT_EQ(g.quant.include, (std::vector<std::string>{"/backbone/**"}));
  EXPECT_TRUE(g.quant.exclude.empty());
  const Recipe g2 = load_recipe(dir.write("g2.yaml", g.to_yaml_text()));
  EXPECT_EQ(g2.to_yaml_text(), g.to_yaml_text());

  const auto product = dir.write("p.yaml", "model:\n  onnx: f.onnx\n  head: {layout: general, score: product}\n");
  ASSERT_THROWS_WITH(load_recipe(product), ConfigError,
                     product + ":3:34: model.head.score: product needs score_inputs: the outputs whose sigmoids are "
                               "multiplied");
  const auto output = dir.write("o.yaml", "model:\n  onnx: f.onnx\n  head: {output: out}\n");
  ASSERT_THROWS_WITH(load_recipe(output), ConfigError,
                     output + ":3:18: model.head.output: is a key of layout ultralytics, not of boxes_scores");
  const auto layout = dir.write("l.yaml", "model:\n  onnx: f.onnx\n  head: {layout: yolo}\n");
  ASSERT_THROWS_WITH(load_recipe(layout), ConfigError,
                     layout + ":3:18: model.head.layout: must be one of boxes_scores, ultralytics, general; got 'yolo'");
}

}  // namespace qat
