// Helpers shared by qat's tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include "qat/core/error.h"
#include "qat/graph/graph.h"

namespace qat::testing {

/// A fresh directory under the system temp dir, removed with everything in it
/// when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// path() / name as a string.
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// Writes `content` to path() / name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

/// The repository root (tests run with QAT_SOURCE_DIR set by ctest).
std::filesystem::path source_dir();

/// Writes 24 composed Fashion-MNIST scenes of 64 px (items up to 56 px, at most 2
/// per scene) to `path`: a dataset the end-to-end tests train on in seconds.
void write_tiny_scenes(const std::string& path);

/// Writes a behaviour gate file into `dir` and returns its path: "lenient" passes any
/// student; "strict" passes only an exact copy of the teacher (recall, precision
/// agreement and median IoU 1, confidence MAE 0).
std::string write_gate(const TempDir& dir, const std::string& kind);

/// Bit equality of two float tensors of the same shape (signed zeros and NaN payloads
/// included); a failure names the first differing element.
::testing::AssertionResult same_bits(const at::Tensor& got, const at::Tensor& want);

/// Runs `f` as a reader of possibly broken input: "" when it returns or throws a
/// qat::Error of bad input (exit code 2; `refused`, when given, says which), else what
/// went wrong instead ("exit code 1: <what>" for an internal error, "not a qat::Error:
/// <type> <what>" for any other exception). The mutants and damaged-file tests use it.
std::string failure_unless_bad_input(const std::function<void()>& f, bool* refused = nullptr);

/// Sets libtorch's intra-op thread count for its lifetime, then restores the one before.
class ScopedThreads {
 public:
  explicit ScopedThreads(int threads);
  ~ScopedThreads();
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;

 private:
  int saved_;
};

/// A head module reused on two FPN levels as torch.onnx.export writes it: one weight
/// and one bias initializer (seeded), the second level reading them through Identity nodes.
graph::Graph shared_head();

}  // namespace qat::testing

/// Asserts that `statement` throws `ExceptionType` whose what() equals `expected` exactly.
#define ASSERT_THROWS_WITH(statement, ExceptionType, expected)                   \
  do {                                                                            \
    try {                                                                         \
      statement;                                                                  \
      FAIL() << "expected " #ExceptionType " from " #statement;                   \
    } catch (const ExceptionType& e_) {                                           \
      EXPECT_EQ(std::string(e_.what()), std::string(expected));                   \
    }                                                                             \
  } while (0)
