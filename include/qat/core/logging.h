// The one logger of the library. The library logs and never prints; the CLI
// decides where the log goes (sinks) and how much of it (level).
#pragma once

#include <memory>

namespace spdlog { class logger; }

namespace qat {

/// The shared "qat" logger. Until the CLI configures it, it writes to stderr at info level.
spdlog::logger& logger();

/// Replaces the shared logger (the CLI does this once at start).
void set_logger(std::shared_ptr<spdlog::logger> logger);

}  // namespace qat
