#include "qat/train/fp32_trainer.h"

#include "qat/data/scene_composer.h"
#include "support/test_support.h"

namespace qat::train {
namespace {

// A tiny recipe on 24 composed 64 px scenes: 3 short epochs in a few seconds.
struct TinyRun {
  testing::TempDir dir;
  Recipe recipe;
  TinyRun() {
    data::SceneOptions o;
    o.images = 24;
    o.size = 64;
    o.scale_max = 2.0;
    o.max_objects = 2;
    data::compose_fmnist_scenes(o, dir.file("d.h5"));
    const auto file = dir.write("tiny.yaml",
                                "name: tiny\nseed: 1\noutput_dir: " + dir.file("runs") + "\n"
                                "data:\n  path: " + dir.file("d.h5") + "\n  image_size: 64\n  batch_size: 6\n"
                                "model:\n  arch: " + (testing::source_dir() / "configs/arch/yolo-nano.yaml").string() + "\n"
                                "fp32:\n  epochs: 3\n  lr: 0.01\n");
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
