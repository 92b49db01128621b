// SHA-256 digests for provenance: recipe, dataset and model hashes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace qat {

/// Incremental SHA-256 (FIPS 180-4).
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(const std::string& s) { update(s.data(), s.size()); }
  /// The digest as 64 lowercase hex characters. Call once.
  std::string hex_digest();

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t length_ = 0;
};

/// sha256 of a string, hex.
std::string sha256_hex(const std::string& data);
/// sha256 of a file's bytes, hex. Throws IoError when the file cannot be read.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace qat
