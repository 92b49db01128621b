// Files a run writes under staging names (core/run_lock.h) and publishes by
// renaming them into place; whatever is not published is removed when the guard
// goes (an error or an interrupt on the way leaves the previous candidate as it was).
#pragma once

#include <string>
#include <vector>

namespace qat::train {

class StagedFiles {
 public:
  StagedFiles() = default;
  explicit StagedFiles(std::vector<std::string> paths) : paths_(std::move(paths)) {}
  ~StagedFiles() { remove(); }
  StagedFiles(StagedFiles&& other) noexcept : paths_(std::move(other.paths_)) { other.paths_.clear(); }
  /// Removes this guard's files, then takes over `other`'s.
  StagedFiles& operator=(StagedFiles&& other) noexcept;
  StagedFiles(const StagedFiles&) = delete;
  StagedFiles& operator=(const StagedFiles&) = delete;

 private:
  void remove() noexcept;
  std::vector<std::string> paths_;
};

/// Renames `from` over `to`. Throws IoError naming `to` when it cannot.
void move_into_place(const std::string& from, const std::string& to);

}  // namespace qat::train
