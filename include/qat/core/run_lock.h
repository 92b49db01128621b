// One run per run directory: an exclusive lock on <dir>/.lock (flock), with the
// owner's pid written in it, held for the life of the RunLock object. A second
// run on the same directory is refused naming the owner, instead of both
// writing checkpoints and candidates over each other.
//
// Temporary files carry their writer's pid ("<name>.tmp-<pid>",
// "staging.<pid>.<name>"), so leftovers of a killed run can be told from the
// files of a live one and removed by the next run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace qat {

class RunLock {
 public:
  /// Creates `dir` if needed and locks it. Throws IoError "<dir>: in use by another
  /// qat run (pid N); wait for it to finish or stop it" when another process holds it.
  explicit RunLock(const std::filesystem::path& dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

/// Whether a process with this pid exists (kill(pid, 0)).
bool process_alive(int64_t pid);

/// The writer's pid of a temporary file name ("x.tmp-<pid>", "staging.<pid>.x"), or -1.
int64_t temp_file_owner(const std::string& filename);

/// Removes the temporary files below `dir` (recursively) whose owner pid is not a
/// live process; returns the removed paths.
std::vector<std::string> remove_stale_temp_files(const std::filesystem::path& dir);

/// "staging.<this pid>.<name>": a name no other live run uses.
std::string staging_name(const std::string& name);

}  // namespace qat
