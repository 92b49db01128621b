#include "qat/core/error.h"

#include <utility>

namespace qat {

Error::Error(std::string message) : message_(std::move(message)) { refresh_what(); }

Error& Error::add_context(std::string context) {
  context_.push_back(std::move(context));
  refresh_what();
  return *this;
}

void Error::set_message(std::string message) {
  message_ = std::move(message);
  refresh_what();
}

void Error::refresh_what() {
  what_ = message_;
  for (const auto& c : context_) what_ += "\n  while " + c;
}

namespace {
std::string location(const std::string& file, int line, int column) {
  std::string out = file.empty() ? "<recipe>" : file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  return out;
}
}  // namespace

ConfigError::ConfigError(std::string file, int line, int column, std::string key_path,
                         std::string what)
    : Error(""),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_path_(std::move(key_path)),
      detail_(std::move(what)) {
  std::string msg = location(file_, line_, column_) + ": ";
  if (!key_path_.empty()) msg += key_path_ + ": ";
  set_message(msg + detail_);
}

IoError::IoError(std::string path, std::string object, std::string what)
    : Error(""), path_(std::move(path)), object_(std::move(object)) {
  std::string msg = path_ + ": ";
  if (!object_.empty()) msg += object_ + ": ";
  set_message(msg + what);
}

namespace detail {

void throw_check_failed(const char* /*file*/, int /*line*/, const std::string& message) {
  throw Error(message);
}

void throw_assert_failed(const char* file, int line, const char* condition,
                         const std::string& message) {
  std::string msg = std::string("internal error: ") + condition + " failed at " + file + ":" +
                    std::to_string(line);
  if (!message.empty()) msg += ": " + message;
  throw InternalError(msg);
}

}  // namespace detail
}  // namespace qat
