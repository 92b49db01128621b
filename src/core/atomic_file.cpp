#include "qat/core/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "qat/core/error.h"
#include "qat/core/system_reason.h"

namespace qat {

AtomicFile::AtomicFile(std::filesystem::path target) : target_(std::move(target)) {
  if (target_.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(target_.parent_path(), ec);
    if (ec) throw IoError(target_.parent_path().string(), "", "cannot create directory: " + ec.message());
  }
  temp_ = target_;
  temp_ += ".tmp-" + std::to_string(::getpid());
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
  }
}

void AtomicFile::commit() {
  std::error_code ec;
  std::filesystem::rename(temp_, target_, ec);
  if (ec) throw IoError(target_.string(), "", "cannot rename temporary file into place: " + ec.message());
  committed_ = true;
}

void write_file_atomic(const std::filesystem::path& path, const std::string& content) {
  AtomicFile file(path);
  {
    std::ofstream out(file.temp_path(), std::ios::binary);
    if (!out) throw IoError(path.string(), "", std::string("cannot write: ") + std::strerror(errno));
    errno = 0;
    out << content;
    out.close();  // the data reaches the file system here; a full disk shows here
    if (!out) throw IoError(path.string(), "", "write failed" + system_reason());
  }
  file.commit();
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path.string(), "", std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace qat
