// How subcommands plug into the `qat` program. Each subcommand lives in its own
// file and registers itself through one add_*_command function: it parses
// arguments into an options struct and makes exactly one library call.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace qat::cli {

/// What a subcommand does once its arguments parsed; returns the exit code.
using Action = std::function<int()>;

/// Each add_* registers a subcommand on `app` and stores its action in `action`
/// when the user picks it.
void add_recipe_command(CLI::App& app, Action& action);
void add_data_command(CLI::App& app, Action& action);
/// `qat data import ...`, registered on the `data` subcommand by add_data_command.
void add_data_import_command(CLI::App& data, Action& action);
void add_train_command(CLI::App& app, Action& action);
void add_ptq_command(CLI::App& app, Action& action);
void add_threshold_command(CLI::App& app, Action& action);
void add_sweep_command(CLI::App& app, Action& action);
void add_inspect_command(CLI::App& app, Action& action);
void add_provenance_command(CLI::App& app, Action& action);
void add_eval_command(CLI::App& app, Action& action);
void add_report_command(CLI::App& app, Action& action);

}  // namespace qat::cli
