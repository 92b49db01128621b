// `qat provenance CHECKPOINT MODEL.onnx [--recipe R] [--samples N] [--seed S] [--runtime-optimization L]`
#include <iostream>

#include "cli/command.h"
#include "qat/core/error.h"
#include "qat/recipe/recipe.h"
#include "qat/train/provenance_check.h"

namespace qat::cli {

void add_provenance_command(CLI::App& app, Action& action) {
  struct Args {
    train::ProvenanceOptions options;
    std::string recipe;
    std::vector<std::string> overrides;
  };
  auto args = std::make_shared<Args>();
  auto* provenance = app.add_subcommand(
      "provenance", "Check that a deployed ONNX model comes from a checkpoint: initializers and outputs");
  provenance->add_option("checkpoint", args->options.checkpoint, "fp32/best.h5 or qat/best.h5 of a run")->required();
  provenance->add_option("model", args->options.model, "The deployed ONNX model")->required();
  provenance->add_option("--recipe", args->recipe,
                         "Sample images from its val split (else random); describes checkpoints that record no recipe");
  provenance->add_option("--set", args->overrides, "Override a value of --recipe: key.path=value (repeatable)");
  provenance->add_option("--samples", args->options.samples, "Sample images")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  provenance->add_option("--seed", args->options.seed, "Seed of the random images")->capture_default_str();
  provenance
      ->add_option("--runtime-optimization", args->options.runtime_optimization,
                   "ONNX Runtime's graph optimization level (disabled runs Q/DQ in float, all in integer kernels)")
      ->check(CLI::IsMember({"disabled", "basic", "extended", "all"}))
      ->capture_default_str();
  provenance->callback([&action, args] {
    action = [args] {
      if (!args->recipe.empty()) args->options.recipe = load_recipe(args->recipe, args->overrides);
      const auto report = train::check_provenance(args->options);
      std::cout << train::format_provenance(report);
      return report.matches() ? kExitOk : kExitMismatch;
    };
  });
}

}  // namespace qat::cli
