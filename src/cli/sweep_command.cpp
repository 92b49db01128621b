// `qat sweep RECIPE [--mode blocks|layers] [--weights CKPT] [--qat-epochs N] [--set key=value ...]`
#include <iostream>

#include "cli/command.h"
#include "qat/core/error.h"
#include "qat/recipe/recipe.h"
#include "qat/train/sweep.h"

namespace qat::cli {

void add_sweep_command(CLI::App& app, Action& action) {
  struct Args {
    std::string file;
    std::vector<std::string> overrides;
    train::SweepOptions options;
  };
  auto args = std::make_shared<Args>();
  auto* sweep = app.add_subcommand("sweep", "Widen the quantized region step by step; pick the widest passing one");
  sweep->add_option("recipe", args->file, "Recipe YAML")->required();
  sweep->add_option("--set", args->overrides, "Override a recipe value: key.path=value (repeatable)");
  // IsMember runs before the function, so the name is one of the modes' by then.
  sweep
      ->add_option_function<std::string>(
          "--mode", [args](const std::string& name) { args->options.mode = *train::sweep_mode_from_name(name); },
          "blocks (cumulative, in graph order) or layers (one at a time)")
      ->check(CLI::IsMember(train::sweep_mode_names()));
  sweep->add_option("--weights", args->options.weights, "FP32 checkpoint (default: the run's fp32/best.h5)");
  sweep->add_option("--qat-epochs", args->options.qat_epochs, "QAT epochs per region before measuring (0: PTQ)")
      ->check(CLI::NonNegativeNumber);
  sweep->callback([&action, args] {
    action = [args] {
      const auto result = train::run_sweep(load_recipe(args->file, args->overrides), args->options);
      std::cout << train::format_sweep_table(result);
      return result.chosen ? kExitOk : kExitGateFailed;
    };
  });
}

}  // namespace qat::cli
