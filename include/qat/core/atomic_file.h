// Writing files so that readers never see half of one: write to a temporary
// sibling, then rename over the target (rename is atomic on POSIX filesystems).
#pragma once

#include <filesystem>
#include <string>

namespace qat {

/// A temporary path next to `target`; commit() renames it onto `target`.
/// If the object is destroyed without commit() (an exception), the temporary is removed.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Where to write: "<target>.tmp-<pid>" in the same directory.
  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& target() const { return target_; }
  /// Renames the temporary onto the target. Throws IoError on failure.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

/// Writes `content` to `path` atomically. Throws IoError on failure.
void write_file_atomic(const std::filesystem::path& path, const std::string& content);

/// Reads a whole file. Throws IoError naming the path when it cannot.
std::string read_file(const std::filesystem::path& path);

}  // namespace qat
