#include "qat/core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace qat {
namespace {

std::mutex& logger_mutex() {
  static std::mutex m;
  return m;
}

std::shared_ptr<spdlog::logger>& logger_slot() {
  static std::shared_ptr<spdlog::logger> slot = [] {
    auto l = std::make_shared<spdlog::logger>("qat",
                                              std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    l->set_pattern("%^%l%$ %v");
    l->set_level(spdlog::level::info);
    return l;
  }();
  return slot;
}

}  // namespace

spdlog::logger& logger() {
  std::lock_guard<std::mutex> lock(logger_mutex());
  return *logger_slot();
}

void set_logger(std::shared_ptr<spdlog::logger> l) {
  std::lock_guard<std::mutex> lock(logger_mutex());
  logger_slot() = std::move(l);
}

}  // namespace qat
