// `qat train RECIPE [--phase all|fp32] [--resume] [--smoke] [--nproc N] [--set key=value ...]`
#include "cli/command.h"
#include "qat/dist/launcher.h"
#include "qat/recipe/recipe.h"
#include "qat/train/fp32_trainer.h"
#include "qat/train/pipeline.h"

namespace qat::cli {

void add_train_command(CLI::App& app, Action& action) {
  struct Args {
    std::string file;
    std::vector<std::string> overrides;
    std::string phase = "all";
    bool resume = false;
    bool smoke = false;
    int nproc = 1;
  };
  auto args = std::make_shared<Args>();
  auto* train = app.add_subcommand(
      "train", "Run a recipe: FP32, PTQ calibration, QAT, gate, Q/DQ export, ONNX Runtime check, manifest");
  train->add_option("recipe", args->file, "Recipe YAML")->required();
  train->add_option("--set", args->overrides, "Override a recipe value: key.path=value (repeatable)");
  train->add_option("--phase", args->phase, "all: the whole pipeline; fp32: the FP32 phase only")
      ->check(CLI::IsMember({"all", "fp32"}))
      ->capture_default_str();
  train->add_flag("--resume", args->resume, "Continue the FP32 phase from its last checkpoint");
  train->add_flag("--smoke", args->smoke,
                  "A minutes-long check of the whole path: 1 FP32 epoch, 1 QAT epoch, 64 calibration images");
  train->add_option("--nproc", args->nproc,
                    "Start N local ranks of this run, data parallel (docs/distributed.md); "
                    "torchrun and srun set RANK/WORLD_SIZE instead")
      ->check(CLI::Range(1, 256));
  train->callback([&action, args] {
    action = [args] {
      if (args->nproc > 1) return dist::launch_local(args->nproc, dist::own_arguments_without("--nproc"));
      std::vector<std::string> overrides;
      if (args->smoke) overrides = {"fp32.epochs=1", "qat.epochs=1", "quant.calibration_images=64"};
      overrides.insert(overrides.end(), args->overrides.begin(), args->overrides.end());
      const Recipe recipe = load_recipe(args->file, overrides);
      train::TrainOptions options;
      options.resume = args->resume;
      if (args->phase == "fp32") {
        train::train_fp32(recipe, options);
        return 0;
      }
      train::PipelineOptions po;
      po.resume = args->resume;
      return train::run_pipeline(recipe, po).exit_code;
    };
  });
}

}  // namespace qat::cli
