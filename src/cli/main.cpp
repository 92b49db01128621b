// qat: the command line over the library. Parses arguments, sets up logging,
// runs one action and maps qat::Error to the documented exit codes.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <ATen/Parallel.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/command.h"
#include "qat/core/allocator.h"
#include "qat/core/error.h"
#include "qat/core/logging.h"

int main(int argc, char** argv) {
  qat::keep_freed_memory_in_heap();
  CLI::App app{"qat: quantization-aware training for object detectors"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("qat ") + QAT_VERSION);
  bool verbose = false;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "Log debug messages");
  app.add_flag("-q,--quiet", quiet, "Log warnings and errors only");
  int threads = 0;
  // More threads than a few per core only adds contention; 100000 would start that many
  // OpenMP threads and hang the machine.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int max_threads = 4 * cores;
  app.add_option("--threads", threads,
                 "CPU threads for tensor ops (0: all cores; at most 4 x cores = " + std::to_string(max_threads) + ")")
      ->check(CLI::Range(0, max_threads));

  qat::cli::Action action;
  qat::cli::add_recipe_command(app, action);
  qat::cli::add_data_command(app, action);
  qat::cli::add_train_command(app, action);
  qat::cli::add_ptq_command(app, action);
  qat::cli::add_threshold_command(app, action);
  qat::cli::add_sweep_command(app, action);
  qat::cli::add_inspect_command(app, action);
  qat::cli::add_provenance_command(app, action);
  qat::cli::add_eval_command(app, action);
  qat::cli::add_report_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 uses exit code 0 for --help/--version; any parse error is bad input.
    const int code = app.exit(e);
    return code == 0 ? qat::kExitOk : qat::kExitBadInput;
  }

  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto log = std::make_shared<spdlog::logger>("qat", sink);
  log->set_pattern("%^%l%$ %v");
  log->set_level(verbose ? spdlog::level::debug
                         : quiet ? spdlog::level::warn : spdlog::level::info);
  qat::set_logger(log);
  // OpenMP may default to one thread (it does on Debian's build here); results are
  // deterministic for a given thread count.
  at::set_num_threads(threads > 0 ? threads : cores);

  try {
    return action ? action() : qat::kExitInternal;
  } catch (const qat::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::filesystem::filesystem_error& e) {
    // A path the user gave that cannot be created or read (output directory not writable,
    // a file where a directory should be, a name too long): bad input, not a bug.
    std::cerr << "error: " << e.path1().string() << ": " << e.code().message();
    if (!e.path2().empty()) std::cerr << " (" << e.path2().string() << ")";
    std::cerr << "\n";
    return qat::kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return qat::kExitInternal;
  }
}
