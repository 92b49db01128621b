#include "qat/core/run_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "qat/core/error.h"

namespace qat {
namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// Digits only, not empty, fits a pid.
int64_t parse_pid(const std::string& s) {
  if (s.empty() || s.size() > 10) return -1;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
  }
  return std::stoll(s);
}

}  // namespace

RunLock::RunLock(const fs::path& dir) : path_(dir / ".lock") {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(dir.string(), "", "cannot create directory: " + ec.message());
  // O_CLOEXEC: a child (node for ONNX Runtime) must not keep the lock after qat is gone.
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError(path_.string(), "", "cannot open the run lock: " + errno_text(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {0};
    const ssize_t n = ::pread(fd_, buf, sizeof(buf) - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) throw IoError(path_.string(), "", "cannot lock: " + errno_text(err));
    std::string owner = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    while (!owner.empty() && (owner.back() == '\n' || owner.back() == ' ')) owner.pop_back();
    throw IoError(dir.string(), "", "in use by another qat run (pid " + (owner.empty() ? "unknown" : owner) +
                                        "); wait for it to finish or stop it");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw IoError(path_.string(), "", "cannot write the run lock: " + errno_text(err));
  }
}

RunLock::~RunLock() {
  if (fd_ < 0) return;
  // The file stays (removing it would race with a run that opened it already); an
  // empty lock file is never held.
  if (::ftruncate(fd_, 0) != 0) {
  }
  ::close(fd_);  // releases the flock
}

bool process_alive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

int64_t temp_file_owner(const std::string& filename) {
  const auto tmp = filename.rfind(".tmp-");
  if (tmp != std::string::npos) return parse_pid(filename.substr(tmp + 5));
  if (filename.rfind("staging.", 0) == 0) {
    const auto dot = filename.find('.', 8);
    if (dot != std::string::npos) return parse_pid(filename.substr(8, dot - 8));
  }
  return -1;
}

std::vector<std::string> remove_stale_temp_files(const fs::path& dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return removed;
  std::vector<fs::path> stale;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    const int64_t owner = temp_file_owner(it->path().filename().string());
    if (owner > 0 && owner != ::getpid() && !process_alive(owner)) stale.push_back(it->path());
  }
  for (const auto& p : stale) {
    if (fs::remove(p, ec)) removed.push_back(p.string());
  }
  return removed;
}

std::string staging_name(const std::string& name) { return "staging." + std::to_string(::getpid()) + "." + name; }

}  // namespace qat
