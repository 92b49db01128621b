// Paths taken from an input (a COCO file_name, a YOLO folder entry) must not reach
// outside the folder the user gave: "../../etc/passwd", "/etc/passwd" and symlinks
// pointing out are refused before anything outside is looked at, so the error does
// not tell which outside files exist.
#pragma once

#include <string>

namespace qat::data {

/// Where a path comes from, for errors: the file that names it and the entry there
/// (e.g. "instances.json", "images[2] (id 5)"); `entry` may be empty.
struct PathOrigin {
  std::string file;
  std::string entry;
};

/// `root / relative` with every symbolic link resolved (lexically, so a link need not
/// point at an existing file), '.' and '..' folded. Unless `allow_outside`, an absolute
/// `relative`, a '..' above root or a link leading out of root is refused. Throws
/// IoError(origin.file, origin.entry, ...) for those and for a symbolic-link loop
/// (more than 40 links followed). Does not check that the result exists.
std::string contained_path(const std::string& root, const std::string& relative, bool allow_outside,
                           const PathOrigin& origin);

}  // namespace qat::data
