// `qat eval MODEL.onnx --data FILE [--split S] [--threshold T] [--teacher FP32.onnx] [--out FILE]`
#include <iostream>

#include "cli/command.h"
#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/recipe/recipe.h"
#include "qat/train/onnx_eval.h"

namespace qat::cli {

void add_eval_command(CLI::App& app, Action& action) {
  struct Args {
    train::OnnxEvalOptions options;
    std::string recipe, out;
    std::vector<std::string> overrides;
  };
  auto args = std::make_shared<Args>();
  auto* eval = app.add_subcommand(
      "eval", "Evaluate an ONNX detector in ONNX Runtime: mAP@0.5, per-class recall, behaviour against a teacher");
  eval->add_option("model", args->options.model, "The ONNX detector")->required();
  eval->add_option("--data", args->options.data, "Detection dataset (HDF5); default: the recipe's");
  eval->add_option("--split", args->options.split, "Split to evaluate on")->capture_default_str();
  eval->add_option("--threshold", args->options.threshold, "Deployed score threshold")->capture_default_str();
  eval->add_option("--teacher", args->options.teacher, "FP32 ONNX teacher: behaviour-gate figures against it");
  eval->add_option("--gate", args->options.gate, "Behaviour gate (with --teacher)")->capture_default_str();
  eval->add_option("--image-size", args->options.image_size, "Input side when the model's is not static");
  eval->add_option("--recipe", args->recipe, "Read the head layout (model.head) and eval settings from this recipe");
  eval->add_option("--set", args->overrides, "Override a value of --recipe: key.path=value (repeatable)");
  eval->add_option("--out", args->out, "Write the figures as JSON here");
  eval->callback([&action, args] {
    action = [args] {
      train::OnnxEvalOptions o = args->options;
      if (!args->recipe.empty()) {
        const Recipe r = load_recipe(args->recipe, args->overrides);
        if (r.model.is_onnx()) o.head = r.model.head;
        o.eval = r.eval;
        if (o.data.empty()) o.data = r.data.path;
      }
      if (o.data.empty()) throw Error("qat eval: give --data (or --recipe)");
      const auto result = train::evaluate_onnx(o);
      std::cout << train::onnx_eval_text(result);
      if (!args->out.empty()) write_file_atomic(args->out, train::onnx_eval_json(result));
      return kExitOk;
    };
  });
}

}  // namespace qat::cli
