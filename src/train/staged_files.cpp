#include "qat/train/staged_files.h"

#include <filesystem>

#include "qat/core/error.h"

namespace qat::train {
namespace fs = std::filesystem;

StagedFiles& StagedFiles::operator=(StagedFiles&& other) noexcept {
  if (this != &other) {
    remove();
    paths_ = std::move(other.paths_);
    other.paths_.clear();
  }
  return *this;
}

void StagedFiles::remove() noexcept {
  for (const auto& p : paths_) {
    std::error_code ec;
    fs::remove(p, ec);
  }
  paths_.clear();
}

void move_into_place(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) throw IoError(to, "", "cannot rename " + from + " into place: " + ec.message());
}

}  // namespace qat::train
