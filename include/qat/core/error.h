// qat errors: one exception family, each carrying a context stack.
//
// Library code throws; the CLI maps an Error to an exit code (Error::exit_code).
// Callers that know more about where an error happened add a context line
// instead of wrapping the exception (like c10's TORCH_RETHROW):
//   try { load(path); } catch (qat::Error& e) { e.add_context("loading " + path); throw; }
#pragma once

#include <string>
#include <vector>

namespace qat {

/// Exit codes of the `qat` program, shared by every subcommand.
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,  ///< a bug in qat (QAT_ASSERT) or an unexpected failure
  kExitBadInput = 2,  ///< recipe, dataset, checkpoint or model the user gave is wrong
  kExitGateFailed = 3,  ///< training ran but no epoch passed the behaviour gate
  kExitMismatch = 4,  ///< `qat provenance`: the model does not match the checkpoint
};

/// Base of every error qat throws. what() is the message followed by one
/// "  while <context>" line per add_context call, innermost first.
class Error : public std::exception {
 public:
  explicit Error(std::string message);

  const char* what() const noexcept override { return what_.c_str(); }
  /// The message without context lines.
  const std::string& message() const { return message_; }
  const std::vector<std::string>& context() const { return context_; }
  /// Appends "while <context>"; returns *this so `throw e.add_context(...)` reads well.
  Error& add_context(std::string context);
  /// How the CLI should exit for this error; user errors are kExitBadInput.
  virtual int exit_code() const { return kExitBadInput; }

 protected:
  /// Subclasses that prefix a location call this after changing the message.
  void set_message(std::string message);

 private:
  void refresh_what();
  std::string message_;
  std::vector<std::string> context_;
  std::string what_;
};

/// A violated invariant inside qat itself (QAT_ASSERT). Exit code 1.
class InternalError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return kExitInternal; }
};

/// A bad value in a YAML document (recipe, architecture, gate).
/// The message reads "file:line:col: key.path: what is wrong".
class ConfigError : public Error {
 public:
  /// line and column are 1-based; 0 means unknown (a value given by --set or a default).
  ConfigError(std::string file, int line, int column, std::string key_path, std::string what);

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& key_path() const { return key_path_; }
  /// The description without location, e.g. "unknown key; did you mean 'batch_size'?".
  const std::string& detail() const { return detail_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string key_path_;
  std::string detail_;
};

/// A file that cannot be read or written, or whose content is malformed.
/// `object` names the place inside the file: an HDF5 dataset path or an ONNX node.
/// The message reads "path: object: what is wrong" (object omitted when empty).
class IoError : public Error {
 public:
  IoError(std::string path, std::string object, std::string what);

  const std::string& path() const { return path_; }
  const std::string& object() const { return object_; }

 private:
  std::string path_;
  std::string object_;
};

/// Tensors whose shapes do not fit an operation.
class ShapeError : public Error {
 public:
  using Error::Error;
};

namespace detail {
[[noreturn]] void throw_check_failed(const char* file, int line, const std::string& message);
[[noreturn]] void throw_assert_failed(const char* file, int line, const char* condition,
                                      const std::string& message);
}  // namespace detail

}  // namespace qat

/// Reports bad user input: throws qat::Error with the given message (streamable parts).
#define QAT_CHECK(cond, ...)                                                          \
  do {                                                                                \
    if (!(cond)) ::qat::detail::throw_check_failed(__FILE__, __LINE__,               \
                                                   ::qat::detail::concat(__VA_ARGS__)); \
  } while (0)

/// Guards an invariant of qat's own code: failing means a bug, exit code 1.
#define QAT_ASSERT(cond, ...)                                                         \
  do {                                                                                \
    if (!(cond)) ::qat::detail::throw_assert_failed(__FILE__, __LINE__, #cond,       \
                                                    ::qat::detail::concat(__VA_ARGS__)); \
  } while (0)

#include "qat/core/detail/concat.h"
