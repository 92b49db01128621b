// `qat ptq RECIPE [--weights CHECKPOINT] [--set key=value ...]`
#include "cli/command.h"
#include "qat/recipe/recipe.h"
#include "qat/train/ptq.h"

namespace qat::cli {

void add_ptq_command(CLI::App& app, Action& action) {
  struct Args {
    std::string file;
    std::vector<std::string> overrides;
    std::string weights;
  };
  auto args = std::make_shared<Args>();
  auto* ptq = app.add_subcommand("ptq", "Post-training quantization: calibrate the region, evaluate against FP32");
  ptq->add_option("recipe", args->file, "Recipe YAML")->required();
  ptq->add_option("--set", args->overrides, "Override a recipe value: key.path=value (repeatable)");
  ptq->add_option("--weights", args->weights, "FP32 checkpoint (default: the run's fp32/best.h5)");
  ptq->callback([&action, args] {
    action = [args] {
      train::PtqOptions options;
      options.weights = args->weights;
      train::run_ptq(load_recipe(args->file, args->overrides), options);
      return 0;
    };
  });
}

}  // namespace qat::cli
