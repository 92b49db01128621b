// `qat inspect MODEL.onnx [--names]`
#include <iostream>

#include "cli/command.h"
#include "qat/export/onnx_summary.h"

namespace qat::cli {

void add_inspect_command(CLI::App& app, Action& action) {
  auto model = std::make_shared<std::string>();
  auto names = std::make_shared<bool>(false);
  auto* inspect = app.add_subcommand("inspect", "Summarize an ONNX model: opset, ops, Q/DQ placement, metadata");
  inspect->add_option("model", *model, "The ONNX model (also ONNX Runtime's optimized one)")->required();
  inspect->add_flag("--names", *names,
                    "Print the node names (with op type) quant.include / quant.exclude patterns match, as qat imports "
                    "the model");
  inspect->callback([&action, model, names] {
    action = [model, names] {
      if (*names) {
        std::cout << exporter::format_names(exporter::pattern_names(*model));
        return 0;
      }
      std::cout << exporter::format_summary(exporter::inspect_onnx(*model));
      return 0;
    };
  });
}

}  // namespace qat::cli
