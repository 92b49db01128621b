#include "qat/data/contained_path.h"

#include <deque>
#include <filesystem>
#include <system_error>

#include "qat/core/error.h"
#include "qat/core/excerpt.h"

namespace qat::data {

namespace fs = std::filesystem;

namespace {

// As Linux's MAXSYMLINKS: more links than this on one path is a loop.
constexpr int kMaxLinks = 40;

constexpr const char* kHint = " (give --allow-outside to read files elsewhere)";

[[noreturn]] void fail(const PathOrigin& origin, const std::string& what) {
  throw IoError(origin.file, origin.entry, what);
}

// realpath() without requiring the target to exist: walks the components, replacing
// each symbolic link by its target. Returns false on a loop.
bool resolve(const fs::path& absolute, fs::path& out) {
  std::deque<fs::path> todo(absolute.begin(), absolute.end());
  fs::path result = "/";
  int links = 0;
  while (!todo.empty()) {
    const fs::path part = todo.front();
    todo.pop_front();
    if (part == "/" || part == "." || part.empty()) continue;
    if (part == "..") {
      result = result.parent_path();
      continue;
    }
    const fs::path next = result / part;
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(next, ec);
    if (!ec && fs::is_symlink(st)) {
      if (++links > kMaxLinks) return false;
      const fs::path target = fs::read_symlink(next, ec);
      if (ec) {
        result = next;
        continue;
      }
      if (target.is_absolute()) result = "/";
      todo.insert(todo.begin(), target.begin(), target.end());
      continue;
    }
    result = next;
  }
  out = result;
  return true;
}

bool inside(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (const fs::path& r : root) {
    if (r.empty()) continue;  // a trailing separator
    if (p == path.end() || *p != r) return false;
    ++p;
  }
  return true;
}

}  // namespace

std::string contained_path(const std::string& root, const std::string& relative, bool allow_outside,
                           const PathOrigin& origin) {
  const std::string quoted = "'" + excerpt(relative) + "'";
  const fs::path rel(relative);
  if (!allow_outside && rel.is_absolute()) {
    fail(origin, quoted + " is an absolute path; paths must stay inside " + root + kHint);
  }
  const fs::path joined = fs::absolute(fs::path(root)) / rel;
  fs::path root_resolved, resolved;
  if (!resolve(fs::absolute(fs::path(root)), root_resolved)) fail(origin, root + ": symbolic link loop");
  if (!allow_outside && !inside(joined.lexically_normal(), fs::absolute(fs::path(root)).lexically_normal())) {
    fail(origin, quoted + " leaves " + root + kHint);
  }
  if (!resolve(joined, resolved)) fail(origin, quoted + ": symbolic link loop");
  if (!allow_outside && !inside(resolved, root_resolved)) {
    fail(origin, quoted + " leads out of " + root + " through a symbolic link" + kHint);
  }
  // Not normalised: the kernel resolves "link/.." as resolve() did, lexically_normal would not.
  return (fs::path(root) / rel).string();
}

}  // namespace qat::data
