// `qat inspect MODEL.onnx`
#include <iostream>

#include "cli/command.h"
#include "qat/export/onnx_summary.h"

namespace qat::cli {

void add_inspect_command(CLI::App& app, Action& action) {
  auto model = std::make_shared<std::string>();
  auto* inspect = app.add_subcommand("inspect", "Summarize an ONNX model: opset, ops, Q/DQ placement, metadata");
  inspect->add_option("model", *model, "The ONNX model (also ONNX Runtime's optimized one)")->required();
  inspect->callback([&action, model] {
    action = [model] {
      std::cout << exporter::format_summary(exporter::inspect_onnx(*model));
      return 0;
    };
  });
}

}  // namespace qat::cli
