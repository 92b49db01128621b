// `qat report RUN_DIR`
#include <iostream>

#include "cli/command.h"
#include "qat/train/report_html.h"

namespace qat::cli {

void add_report_command(CLI::App& app, Action& action) {
  auto run_dir = std::make_shared<std::string>();
  auto* report = app.add_subcommand(
      "report", "Render a run's report.html and report.svg again from its report.json, without training");
  report->add_option("run_dir", *run_dir, "The run directory (<output_dir>/<name>, holding report.json)")->required();
  report->callback([&action, run_dir] {
    action = [run_dir] {
      const train::RenderedReport written = train::render_run_report(*run_dir);
      std::cout << "wrote " << written.html << " and " << written.svg << "\n";
      return 0;
    };
  });
}

}  // namespace qat::cli
