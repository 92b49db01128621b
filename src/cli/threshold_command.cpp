// `qat threshold verify MODEL MANIFEST [--threshold X]`
#include <iostream>

#include "cli/command.h"
#include "qat/export/manifest.h"

namespace qat::cli {

void add_threshold_command(CLI::App& app, Action& action) {
  struct Args {
    std::string model, manifest;
    double threshold = -1;
  };
  auto args = std::make_shared<Args>();
  auto* threshold = app.add_subcommand("threshold", "Operating-threshold manifests");
  threshold->require_subcommand(1);
  auto* verify = threshold->add_subcommand("verify", "Check a model against its threshold manifest");
  verify->add_option("model", args->model, "The deployed ONNX model")->required();
  verify->add_option("manifest", args->manifest, "Its threshold manifest (JSON)")->required();
  auto* given = verify->add_option("--threshold", args->threshold,
                                   "The threshold the deployment is configured with, in (0, 1)");
  verify->callback([&action, args, given] {
    const bool has_threshold = given->count() > 0;
    action = [args, has_threshold] {
      std::optional<double> deployed;
      if (has_threshold) {
        exporter::check_threshold(args->threshold, "--threshold");
        deployed = args->threshold;
      }
      const auto m = exporter::verify_manifest(args->model, args->manifest, deployed);
      std::cout << args->model << ": matches " << args->manifest << " (threshold " << m.score_threshold
                << ", teacher " << m.teacher_threshold << ")\n";
      return 0;
    };
  });
}

}  // namespace qat::cli
