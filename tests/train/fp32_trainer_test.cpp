#include "qat/train/fp32_trainer.h"

#include "qat/train/checkpoint.h"
#include "support/test_support.h"

namespace qat::train {
namespace {

// A tiny recipe on 24 composed 64 px scenes: 3 short epochs in a few seconds.
struct TinyRun {
  testing::TempDir dir;
  Recipe recipe;
  explicit TinyRun(const std::string& fp32_extra = "") {
    testing::write_tiny_scenes(dir.file("d.h5"));
    const auto file = dir.write("tiny.yaml",
                                "name: tiny\nseed: 1\noutput_dir: " + dir.file("runs") + "\n"
                                "data:\n  path: " + dir.file("d.h5") + "\n  image_size: 64\n  batch_size: 6\n"
                                "model:\n  arch: " + (testing::source_dir() / "configs/arch/yolo-nano.yaml").string() + "\n"
                                "fp32:\n  epochs: 3\n  lr: 0.01\n" + fp32_extra);
    recipe = load_recipe(file);
  }
};

}  // namespace

TEST(Fp32Trainer, ResumeReproducesTheUninterruptedLossCurve) {
  TinyRun a;
  const auto full = train_fp32(a.recipe, {});
  ASSERT_EQ(full.history.size(), 3u);
  EXPECT_TRUE(std::filesystem::exists(run_directory(a.recipe) + "/fp32/model.fp32.onnx"));
  EXPECT_TRUE(std::filesystem::exists(run_directory(a.recipe) + "/fp32/metrics.csv"));

  TinyRun b;
  TrainOptions first;
  first.max_epochs_this_run = 1;  // as if killed after the first epoch's checkpoint
  train_fp32(b.recipe, first);
  TrainOptions resume;
  resume.resume = true;
  const auto resumed = train_fp32(b.recipe, resume);
  ASSERT_EQ(resumed.history.size(), 3u);
  for (size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(resumed.history[e].loss, full.history[e].loss) << "epoch " << e;
    EXPECT_EQ(resumed.history[e].val_map50, full.history[e].val_map50) << "epoch " << e;
  }
}

// The average is part of the training state: a resumed run must end with the same
// averaged weights (the kept detector) as an uninterrupted one.
TEST(Fp32Trainer, ResumeWithWeightEmaReproducesTheAveragedWeights) {
  const std::string ema = "  ema_decay: 0.9\n  ema_tau: 2\n";
  TinyRun a(ema);
  const auto full = train_fp32(a.recipe, {});
  TinyRun b(ema);
  TrainOptions first;
  first.max_epochs_this_run = 1;
  train_fp32(b.recipe, first);
  TrainOptions resume;
  resume.resume = true;
  const auto resumed = train_fp32(b.recipe, resume);
  ASSERT_EQ(resumed.best_epoch, full.best_epoch);
  const auto expected = full.detector.graph.parameters();
  const auto actual = resumed.detector.graph.parameters();
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(at::equal(actual[i].second, expected[i].second)) << expected[i].first;
  }
  // The kept weights are the average, not the live weights of the last epoch.
  const Checkpoint last = load_checkpoint(run_directory(a.recipe) + "/fp32/last.h5");
  EXPECT_EQ(last.ema.at("updates").item<int64_t>(), 3 * 3);  // 19 train images / batch 6, 3 epochs
  EXPECT_FALSE(at::equal(last.params.at("backbone.0.conv.weight"), last.ema.at("params/backbone.0.conv.weight")));
}

TEST(Fp32Trainer, CheckpointOfAnotherRecipeIsRefused) {
  TinyRun a;
  TrainOptions first;
  first.max_epochs_this_run = 1;
  train_fp32(a.recipe, first);
  Recipe changed = a.recipe;
  changed.fp32.lr = 0.02;
  TrainOptions resume;
  resume.resume = true;
  const std::string ck = run_directory(a.recipe) + "/fp32/last.h5";
  try {
    train_fp32(changed, resume);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), ck + ": checkpoint was written by another recipe (hash " +
                                         a.recipe.hash().substr(0, 12) + ", this recipe " +
                                         changed.hash().substr(0, 12) + "); remove it or use that recipe");
  }
}

}  // namespace qat::train
