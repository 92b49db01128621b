// A small RAII layer over HDF5's C API: the detection dataset format and the
// training checkpoints are both HDF5 files written through it.
//
// Every call takes the file and an object path ("/train/boxes"); failures throw
// qat::IoError(file path, object path, reason). HDF5's own error printing is
// turned off. Calls hold one process-wide mutex, since Debian's serial libhdf5
// is not thread-safe and the data loader reads on a background thread.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace qat::h5 {

using hid = int64_t;  // hid_t, without including hdf5.h in public headers

/// An open HDF5 file; closed by the destructor. Move-only.
class File {
 public:
  /// Creates (truncates) `path` for writing.
  static File create(const std::string& path);
  /// Opens an existing file read-only. IoError "cannot open: ..." when missing or not HDF5.
  static File open(const std::string& path);

  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  /// Flushes and closes a file being written; IoError "<path>: cannot write the file:
  /// no space left on device" (or the system's reason) when the data did not reach the
  /// disk. The destructor closes too, but cannot report.
  void close();

  const std::string& path() const { return path_; }
  hid id() const { return id_; }

 private:
  File(hid id, std::string path) : id_(id), path_(std::move(path)) {}
  hid id_ = -1;
  std::string path_;
};

/// Storage options for a new dataset.
struct Storage {
  std::vector<int64_t> chunk;  ///< empty: contiguous
  int deflate = 0;             ///< gzip level 0-9 (needs a chunk)
  bool shuffle = false;        ///< byte shuffle before deflate
};

bool exists(const File& file, const std::string& path);
/// Names of the groups directly below `path`, sorted.
std::vector<std::string> groups(const File& file, const std::string& path);
/// Names of the datasets directly below `path`, sorted.
std::vector<std::string> datasets(const File& file, const std::string& path);

/// Writes a whole tensor (float32/64, int8, uint8, int32, int64); intermediate groups are created.
void write_tensor(File& file, const std::string& path, const at::Tensor& tensor, const Storage& storage = {});
/// Reads a whole dataset as a tensor of its stored type.
at::Tensor read_tensor(const File& file, const std::string& path);
/// Creates an empty dataset to be filled with write_rows.
void create_dataset(File& file, const std::string& path, at::ScalarType dtype,
                    const std::vector<int64_t>& shape, const Storage& storage);
/// Writes `rows` at rows [start, start + rows.size(0)) of a dataset.
void write_rows(File& file, const std::string& path, int64_t start, const at::Tensor& rows);
/// Reads rows [start, start + count) of a dataset (shape [count, ...]).
at::Tensor read_rows(const File& file, const std::string& path, int64_t start, int64_t count);

struct DatasetInfo {
  at::ScalarType dtype;  ///< at::kFloat ...; at::Undefined for types qat does not read
  std::vector<int64_t> shape;
  std::vector<int64_t> chunk;  ///< empty when contiguous
  bool deflate = false;
  bool shuffle = false;
};
DatasetInfo info(const File& file, const std::string& path);

/// Attributes on the object at `path` ("/" for the root).
void set_attribute(File& file, const std::string& path, const std::string& name, const std::string& value);
void set_attribute(File& file, const std::string& path, const std::string& name, int64_t value);
void set_attribute(File& file, const std::string& path, const std::string& name,
                   const std::vector<std::string>& value);
bool has_attribute(const File& file, const std::string& path, const std::string& name);
std::string string_attribute(const File& file, const std::string& path, const std::string& name);
int64_t int_attribute(const File& file, const std::string& path, const std::string& name);
std::vector<std::string> strings_attribute(const File& file, const std::string& path, const std::string& name);

/// "float32 [10,160,160]", for error messages.
std::string describe(const DatasetInfo& info);

}  // namespace qat::h5
