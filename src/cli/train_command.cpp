// `qat train RECIPE [--phase fp32] [--resume] [--set key=value ...]`
#include "cli/command.h"
#include "qat/recipe/recipe.h"
#include "qat/train/fp32_trainer.h"

namespace qat::cli {

void add_train_command(CLI::App& app, Action& action) {
  struct Args {
    std::string file;
    std::vector<std::string> overrides;
    std::string phase = "fp32";
    bool resume = false;
  };
  auto args = std::make_shared<Args>();
  auto* train = app.add_subcommand("train", "Train a detector from a recipe");
  train->add_option("recipe", args->file, "Recipe YAML")->required();
  train->add_option("--set", args->overrides, "Override a recipe value: key.path=value (repeatable)");
  train->add_option("--phase", args->phase, "Which phase to run")->check(CLI::IsMember({"fp32"}));
  train->add_flag("--resume", args->resume, "Continue from the run's last checkpoint");
  train->callback([&action, args] {
    action = [args] {
      const Recipe recipe = load_recipe(args->file, args->overrides);
      train::TrainOptions options;
      options.resume = args->resume;
      train::train_fp32(recipe, options);
      return 0;
    };
  });
}

}  // namespace qat::cli
