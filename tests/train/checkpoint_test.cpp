#include "qat/train/checkpoint.h"

#include "qat/data/h5.h"
#include "qat/model/detector.h"
#include "support/test_support.h"

namespace qat::train {
namespace {

model::Detector detector(uint64_t seed, int64_t classes = 2) {
  const auto arch = model::load_arch((testing::source_dir() / "configs/arch/yolo-nano.yaml").string());
  return model::build_detector(arch, std::vector<std::string>(static_cast<size_t>(classes), "c"), 64, seed);
}

}  // namespace

TEST(Checkpoint, RoundTripRestoresEveryParameterBufferAndState) {
  testing::TempDir dir;
  const auto a = detector(1);
  Checkpoint ck;
  ck.epoch = 4;
  ck.phase = "fp32";
  ck.recipe_hash = "abc";
  ck.arch = "yolo-nano";
  capture_weights(a.graph, ck);
  ck.optimizer["backbone.0.conv.weight/momentum"] = at::full({2, 2}, 0.5f);
  ck.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  ck.history_json = "[]";
  const auto path = dir.file("ck.h5");
  save_checkpoint(path, ck);

  const Checkpoint back = load_checkpoint(path);
  EXPECT_EQ(back.epoch, 4);
  EXPECT_EQ(back.phase, "fp32");
  EXPECT_EQ(back.recipe_hash, "abc");
  EXPECT_EQ(back.params.size(), ck.params.size());
  EXPECT_EQ(back.buffers.size(), ck.buffers.size());
  EXPECT_TRUE(at::equal(back.optimizer.at("backbone.0.conv.weight/momentum"), at::full({2, 2}, 0.5f)));
  EXPECT_TRUE(at::equal(back.rng_state, ck.rng_state));

  auto b = detector(2);
  EXPECT_FALSE(at::equal(a.graph.initializer("head.0.cls_pred.weight"), b.graph.initializer("head.0.cls_pred.weight")));
  restore_weights(back, b.graph, path);
  for (const auto& [name, t] : a.graph.initializers()) {
    EXPECT_TRUE(at::equal(t, b.graph.initializer(name))) << name;
  }
  EXPECT_TRUE(b.graph.initializer("head.0.cls_pred.weight").requires_grad());
}

TEST(Checkpoint, RoundTripKeepsRecipeClassesAndQuantizerParameters) {
  testing::TempDir dir;
  Checkpoint ck;
  ck.phase = "qat";
  ck.recipe_yaml = "name: x\n";
  ck.class_names = {"a", "b c"};
  // Value names of imported graphs may contain '/'; scalars and per-channel vectors alike.
  ck.qparams["/model/conv/Conv_output_0"] = {at::tensor(0.25f), at::tensor(3, at::kInt)};
  ck.qparams["w"] = {at::tensor({0.5f, 0.125f}), at::zeros({2}, at::kInt)};
  ck.output_qparams["c"] = {at::tensor(1.5f), at::tensor(-7, at::kInt)};
  const auto path = dir.file("ck.h5");
  save_checkpoint(path, ck);
  const Checkpoint back = load_checkpoint(path);
  EXPECT_EQ(back.recipe_yaml, "name: x\n");
  EXPECT_EQ(back.class_names, (std::vector<std::string>{"a", "b c"}));
  ASSERT_EQ(back.qparams.size(), 2u);
  for (const auto& [name, qp] : ck.qparams) {
    EXPECT_TRUE(at::equal(back.qparams.at(name).scale, qp.scale)) << name;
    EXPECT_TRUE(at::equal(back.qparams.at(name).zero_point, qp.zero_point)) << name;
  }
  ASSERT_EQ(back.output_qparams.size(), 1u);
  EXPECT_EQ(back.output_qparams.at("c").zero_point.item<int>(), -7);
  EXPECT_TRUE(load_checkpoint(path).optimizer.empty());
}

TEST(Checkpoint, OlderCheckpointsHaveNoRecipeOrQuantizers) {
  testing::TempDir dir;
  Checkpoint ck;
  ck.phase = "fp32";
  save_checkpoint(dir.file("ck.h5"), ck);
  const Checkpoint back = load_checkpoint(dir.file("ck.h5"));
  EXPECT_EQ(back.recipe_yaml, "");
  EXPECT_TRUE(back.class_names.empty());
  EXPECT_TRUE(back.qparams.empty());
}

TEST(Checkpoint, AnotherModelIsRefusedNamingTheTensor) {
  testing::TempDir dir;
  Checkpoint ck;
  ck.arch = "yolo-nano";
  capture_weights(detector(0, 2).graph, ck);
  const auto path = dir.file("ck.h5");
  save_checkpoint(path, ck);
  auto other = detector(0, 5);
  ASSERT_THROWS_WITH(restore_weights(load_checkpoint(path), other.graph, path), IoError,
                     path + ": /params/head.0.cls_pred.bias: has shape [2], the model has [5]");
}

TEST(Checkpoint, NotACheckpoint) {
  testing::TempDir dir;
  const auto path = dir.file("other.h5");
  { h5::File f = h5::File::create(path); }
  ASSERT_THROWS_WITH(load_checkpoint(path), IoError,
                     path + ": /: not a qat checkpoint (attribute 'format' is not 'qat-checkpoint')");
}

}  // namespace qat::train
