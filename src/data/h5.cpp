#include "qat/data/h5.h"

#include <hdf5.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <mutex>

#include "qat/core/error.h"
#include "qat/core/limits.h"
#include "qat/core/system_reason.h"

namespace qat::h5 {
namespace {

std::recursive_mutex& h5_mutex() {
  static std::recursive_mutex m;
  return m;
}

// Silences HDF5's error stack printing once per process. No atexit handler: after a
// failed close (a full disk) HDF5's own exit-time cleanup crashes (SIGSEGV); qat
// closes every file it writes explicitly (File::close), so there is nothing to flush.
void init_hdf5() {
  static const bool done = [] {
    H5dont_atexit();
    H5open();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

// Owns one hid_t and closes it with the matching H5*close.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle& operator=(Handle&&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }
  /// Closes now; false when HDF5 could not (for a dataset: its data did not reach the file).
  bool close() {
    const hid_t id = id_;
    id_ = -1;
    return id < 0 || close_(id) >= 0;
  }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// The innermost description on HDF5's error stack (what went wrong, not where), e.g.
// "incorrect metadata checksum after all read attempts"; "" when the stack is empty.
std::string hdf5_reason() {
  std::string reason;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
        return 0;
      },
      &reason);
  return reason;
}

// "what" with HDF5's reason appended when it gives one.
std::string with_reason(const std::string& what) {
  const std::string reason = hdf5_reason();
  return reason.empty() ? what + " (HDF5 refused it)" : what + " (HDF5: " + reason + ")";
}

[[noreturn]] void fail(const File& file, const std::string& path, const std::string& what) {
  throw IoError(file.path(), path, what);
}

// The system's reason for the last failed write ("no space left on device") is
// appended (system_reason reads errno: call right after the failing call).
[[noreturn]] void fail_write(const File& file, const std::string& path, const std::string& what) {
  const std::string reason = system_reason();
  fail(file, path, what + reason);
}

hid_t native_type(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return H5T_NATIVE_FLOAT;
    case at::kDouble: return H5T_NATIVE_DOUBLE;
    case at::kChar: return H5T_NATIVE_INT8;
    case at::kByte: return H5T_NATIVE_UINT8;
    case at::kInt: return H5T_NATIVE_INT32;
    case at::kLong: return H5T_NATIVE_INT64;
    default: throw Error(std::string("cannot store a ") + c10::toString(t) + " tensor in HDF5");
  }
}

at::ScalarType scalar_type(hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const size_t size = H5Tget_size(type);
  if (cls == H5T_FLOAT) return size == 4 ? at::kFloat : size == 8 ? at::kDouble : at::ScalarType::Undefined;
  if (cls == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (size == 1) return is_signed ? at::kChar : at::kByte;
    if (size == 4 && is_signed) return at::kInt;
    if (size == 8 && is_signed) return at::kLong;
  }
  return at::ScalarType::Undefined;
}

Handle open_dataset(const File& file, const std::string& path) {
  if (!exists(file, path)) fail(file, path, "dataset not found");
  Handle ds(H5Dopen2(file.id(), path.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) fail(file, path, "not a dataset");
  return ds;
}

Handle open_object(const File& file, const std::string& path) {
  if (path != "/" && !exists(file, path)) fail(file, path, "not found");
  Handle obj(H5Oopen(file.id(), path.c_str(), H5P_DEFAULT), H5Oclose);
  if (!obj.ok()) fail(file, path, with_reason("cannot open"));
  return obj;
}

std::vector<hsize_t> to_hsize(const std::vector<int64_t>& v) { return std::vector<hsize_t>(v.begin(), v.end()); }

// A chunked, compressed dataset of a few KB can declare gigabytes: refuse a read above
// the limit before allocating (shape from the file, element size from the type).
void check_read_size(const File& file, const std::string& path, const std::vector<int64_t>& shape,
                     at::ScalarType dtype) {
  const int64_t limit = limit_value(kMaxTensorBytes);
  int64_t bytes = static_cast<int64_t>(c10::elementSize(dtype));
  for (const int64_t d : shape) {
    if (d == 0) return;
  }
  for (const int64_t d : shape) {
    if (d < 0 || bytes > limit / d) {
      std::string dims;
      for (size_t i = 0; i < shape.size(); ++i) dims += (i ? "," : "") + std::to_string(shape[i]);
      fail(file, path, "shape [" + dims + "] is larger than " + describe_limit(kMaxTensorBytes));
    }
    bytes *= d;
  }
}

// HDF5 stores creation and modification times in every object header by default, so the
// same content written twice would differ: docs/dataset-format.md promises identical bytes.
Handle untimed(hid_t plist_class) {
  Handle plist(H5Pcreate(plist_class), H5Pclose);
  H5Pset_obj_track_times(plist.get(), false);
  return plist;
}

// Creates the groups above `path` (as H5Pset_create_intermediate_group would, but without
// timestamps: intermediate groups get the default, timed, creation list).
void create_parent_groups(const File& file, const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const std::string group = path.substr(0, slash);
    if (H5Lexists(file.id(), group.c_str(), H5P_DEFAULT) > 0) continue;
    const Handle gcpl = untimed(H5P_GROUP_CREATE);
    Handle g(H5Gcreate2(file.id(), group.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), H5Gclose);
    if (!g.ok()) fail(file, group, "cannot create group");
  }
}

}  // namespace

File File::create(const std::string& path) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  init_hdf5();
  const Handle fcpl = untimed(H5P_FILE_CREATE);  // the root group, like every object: no timestamps
  // The 1.8 file format checksums every piece of metadata (superblock, object headers
  // with their attributes, B-trees, heaps): HDF5 then refuses a damaged file with an
  // error where the default (1.0) format let it parse garbage, and crash. HDF5 1.8 and
  // later (h5py included) read it.
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_V18);
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get());
  if (id < 0) throw IoError(path, "", "cannot create an HDF5 file here");
  return File(id, path);
}

File File::open(const std::string& path) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  init_hdf5();
  if (!std::filesystem::exists(path)) throw IoError(path, "", "cannot open: No such file or directory");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw IoError(path, "", "cannot open: not an HDF5 file");
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) throw IoError(path, "", with_reason("cannot open"));
  return File(id, path);
}

File::File(File&& other) noexcept : id_(other.id_), path_(std::move(other.path_)) { other.id_ = -1; }

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0) {
      std::lock_guard<std::recursive_mutex> lock(h5_mutex());
      H5Fclose(id_);
    }
    id_ = other.id_;
    path_ = std::move(other.path_);
    other.id_ = -1;
  }
  return *this;
}

void File::close() {
  if (id_ < 0) return;
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  const hid_t id = id_;
  id_ = -1;
  errno = 0;
  if (H5Fflush(id, H5F_SCOPE_LOCAL) < 0) {
    const std::string reason = system_reason();
    H5Fclose(id);
    throw IoError(path_, "", "cannot write the file" + reason);
  }
  if (H5Fclose(id) < 0) {
    const std::string reason = system_reason();
    throw IoError(path_, "", "cannot close the file" + reason);
  }
}

File::~File() {
  if (id_ >= 0) {
    std::lock_guard<std::recursive_mutex> lock(h5_mutex());
    H5Fclose(id_);
  }
}

bool exists(const File& file, const std::string& path) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  if (path == "/") return true;
  // Check each level: H5Lexists fails (not false) when a parent is missing.
  std::string prefix;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    prefix = path.substr(0, slash);
    if (H5Lexists(file.id(), prefix.c_str(), H5P_DEFAULT) <= 0) return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

namespace {

// Children of `path` whose object type is `type`, in name order.
std::vector<std::string> children(const File& file, const std::string& path, H5O_type_t type) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  Handle g(H5Gopen2(file.id(), path.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.ok()) fail(file, path, "not a group");
  H5G_info_t ginfo;
  H5Gget_info(g.get(), &ginfo);
  std::vector<std::string> out;
  for (hsize_t i = 0; i < ginfo.nlinks; ++i) {
    const ssize_t n = H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    std::string name(static_cast<size_t>(n), '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), n + 1, H5P_DEFAULT);
    H5O_info_t oinfo;
    if (H5Oget_info_by_name(g.get(), name.c_str(), &oinfo, H5P_DEFAULT) >= 0 && oinfo.type == type) {
      out.push_back(name);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> groups(const File& file, const std::string& path) {
  return children(file, path, H5O_TYPE_GROUP);
}

std::vector<std::string> datasets(const File& file, const std::string& path) {
  return children(file, path, H5O_TYPE_DATASET);
}

void create_dataset(File& file, const std::string& path, at::ScalarType dtype, const std::vector<int64_t>& shape,
                    const Storage& storage) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  const auto dims = to_hsize(shape);
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle dcpl = untimed(H5P_DATASET_CREATE);
  if (!storage.chunk.empty()) {
    const auto chunk = to_hsize(storage.chunk);
    H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data());
    if (storage.shuffle) H5Pset_shuffle(dcpl.get());
    if (storage.deflate > 0) H5Pset_deflate(dcpl.get(), static_cast<unsigned>(storage.deflate));
  }
  create_parent_groups(file, path);
  Handle ds(H5Dcreate2(file.id(), path.c_str(), native_type(dtype), space.get(), H5P_DEFAULT, dcpl.get(),
                       H5P_DEFAULT),
            H5Dclose);
  if (!ds.ok()) fail_write(file, path, "cannot create dataset");
  errno = 0;
  if (!ds.close()) fail_write(file, path, "cannot create dataset");
}

void write_rows(File& file, const std::string& path, int64_t start, const at::Tensor& rows) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  const at::Tensor t = rows.detach().contiguous().cpu();
  Handle ds = open_dataset(file, path);
  Handle fspace(H5Dget_space(ds.get()), H5Sclose);
  std::vector<hsize_t> offset(t.dim(), 0), count(t.sizes().begin(), t.sizes().end());
  offset[0] = static_cast<hsize_t>(start);
  if (H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr) < 0) {
    fail(file, path, "rows out of range");
  }
  Handle mspace(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
  errno = 0;
  if (H5Dwrite(ds.get(), native_type(t.scalar_type()), mspace.get(), fspace.get(), H5P_DEFAULT, t.data_ptr()) < 0) {
    fail_write(file, path, "write failed");
  }
  if (!ds.close()) fail_write(file, path, "write failed");
}

void write_tensor(File& file, const std::string& path, const at::Tensor& tensor, const Storage& storage) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  const at::Tensor t = tensor.detach().contiguous().cpu();
  create_dataset(file, path, t.scalar_type(), t.sizes().vec(), storage);
  if (t.numel() == 0) return;
  Handle ds = open_dataset(file, path);
  errno = 0;
  if (H5Dwrite(ds.get(), native_type(t.scalar_type()), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()) < 0) {
    fail_write(file, path, "write failed");
  }
  if (!ds.close()) fail_write(file, path, "write failed");
}

DatasetInfo info(const File& file, const std::string& path) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  Handle ds = open_dataset(file, path);
  Handle type(H5Dget_type(ds.get()), H5Tclose);
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  DatasetInfo out;
  out.dtype = scalar_type(type.get());
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  out.shape.assign(dims.begin(), dims.end());
  Handle dcpl(H5Dget_create_plist(ds.get()), H5Pclose);
  if (H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(dims.size());
    H5Pget_chunk(dcpl.get(), rank, chunk.data());
    out.chunk.assign(chunk.begin(), chunk.end());
    const int filters = H5Pget_nfilters(dcpl.get());
    for (int i = 0; i < filters; ++i) {
      unsigned flags = 0;
      size_t n = 0;
      const H5Z_filter_t f = H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &n, nullptr, 0, nullptr, nullptr);
      out.deflate |= f == H5Z_FILTER_DEFLATE;
      out.shuffle |= f == H5Z_FILTER_SHUFFLE;
    }
  }
  return out;
}

at::Tensor read_tensor(const File& file, const std::string& path) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  const DatasetInfo i = info(file, path);
  if (i.dtype == at::ScalarType::Undefined) fail(file, path, "unsupported element type");
  check_read_size(file, path, i.shape, i.dtype);
  at::Tensor t = at::empty(i.shape, at::TensorOptions().dtype(i.dtype));
  if (t.numel() == 0) return t;
  Handle ds = open_dataset(file, path);
  if (H5Dread(ds.get(), native_type(i.dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()) < 0) {
    fail(file, path, "read failed");
  }
  return t;
}

at::Tensor read_rows(const File& file, const std::string& path, int64_t start, int64_t count) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  const DatasetInfo i = info(file, path);
  if (i.dtype == at::ScalarType::Undefined) fail(file, path, "unsupported element type");
  if (start < 0 || count < 0 || i.shape.empty() || start + count > i.shape[0]) {
    fail(file, path, "rows " + std::to_string(start) + ".." + std::to_string(start + count) + " out of range");
  }
  std::vector<int64_t> shape = i.shape;
  shape[0] = count;
  check_read_size(file, path, shape, i.dtype);
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(i.dtype));
  if (t.numel() == 0) return t;
  Handle ds = open_dataset(file, path);
  Handle fspace(H5Dget_space(ds.get()), H5Sclose);
  std::vector<hsize_t> offset(shape.size(), 0), cnt(shape.begin(), shape.end());
  offset[0] = static_cast<hsize_t>(start);
  H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, offset.data(), nullptr, cnt.data(), nullptr);
  Handle mspace(H5Screate_simple(static_cast<int>(cnt.size()), cnt.data(), nullptr), H5Sclose);
  if (H5Dread(ds.get(), native_type(i.dtype), mspace.get(), fspace.get(), H5P_DEFAULT, t.data_ptr()) < 0) {
    fail(file, path, "read failed");
  }
  return t;
}

namespace {

// Writes `values` as fixed-length UTF-8 strings (scalar when `scalar`), so that they sit
// in the object header, which the 1.8 format checksums; variable-length strings would
// go to the global heap, which it does not (a damaged one crashed HDF5's reader).
void write_strings(File& file, const std::string& path, const std::string& name, const std::vector<std::string>& values,
                   bool scalar) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  Handle obj = open_object(file, path);
  size_t width = 1;  // HDF5 has no zero-length string type
  for (const auto& v : values) width = std::max(width, v.size());
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), width);
  H5Tset_strpad(type.get(), H5T_STR_NULLPAD);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const hsize_t n = values.size();
  Handle space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr), H5Sclose);
  if (H5Aexists(obj.get(), name.c_str()) > 0) H5Adelete(obj.get(), name.c_str());
  Handle attr(H5Acreate2(obj.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  std::string data(width * values.size(), '\0');
  for (size_t i = 0; i < values.size(); ++i) std::copy(values[i].begin(), values[i].end(), data.begin() + i * width);
  if (!attr.ok() || H5Awrite(attr.get(), type.get(), data.data()) < 0) fail_write(file, path, "cannot write attribute " + name);
}

}  // namespace

void set_attribute(File& file, const std::string& path, const std::string& name, const std::string& value) {
  write_strings(file, path, name, {value}, /*scalar=*/true);
}

void set_attribute(File& file, const std::string& path, const std::string& name, int64_t value) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  Handle obj = open_object(file, path);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  if (H5Aexists(obj.get(), name.c_str()) > 0) H5Adelete(obj.get(), name.c_str());
  Handle attr(H5Acreate2(obj.get(), name.c_str(), H5T_NATIVE_INT64, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.ok() || H5Awrite(attr.get(), H5T_NATIVE_INT64, &value) < 0) fail_write(file, path, "cannot write attribute " + name);
}

void set_attribute(File& file, const std::string& path, const std::string& name,
                   const std::vector<std::string>& value) {
  write_strings(file, path, name, value, /*scalar=*/false);
}

bool has_attribute(const File& file, const std::string& path, const std::string& name) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  Handle obj = open_object(file, path);
  return H5Aexists(obj.get(), name.c_str()) > 0;
}

namespace {

Handle open_attribute(const File& file, const std::string& path, const std::string& name, Handle& obj) {
  if (H5Aexists(obj.get(), name.c_str()) <= 0) fail(file, path, "attribute '" + name + "' is missing");
  return Handle(H5Aopen(obj.get(), name.c_str(), H5P_DEFAULT), H5Aclose);
}

}  // namespace

std::vector<std::string> strings_attribute(const File& file, const std::string& path, const std::string& name) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  Handle obj = open_object(file, path);
  Handle attr = open_attribute(file, path, name, obj);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) fail(file, path, "attribute '" + name + "' is not a string");
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) fail(file, path, "cannot read attribute " + name);
  std::vector<std::string> out;
  // Read with the stored type: HDF5 does not convert between ASCII and UTF-8 strings.
  if (H5Tis_variable_str(type.get()) > 0) {  // as files written before qat used fixed-length strings hold them
    std::vector<char*> data(static_cast<size_t>(n), nullptr);
    if (H5Aread(attr.get(), type.get(), data.data()) < 0) fail(file, path, "cannot read attribute " + name);
    for (char* s : data) out.emplace_back(s ? s : "");
    H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, data.data());
    return out;
  }
  const size_t width = H5Tget_size(type.get());
  check_read_size(file, path, {n, static_cast<int64_t>(width)}, at::kByte);
  std::string data(width * static_cast<size_t>(n), '\0');
  if (H5Aread(attr.get(), type.get(), data.data()) < 0) fail(file, path, "cannot read attribute " + name);
  for (hssize_t i = 0; i < n; ++i) {
    const std::string padded = data.substr(static_cast<size_t>(i) * width, width);
    out.push_back(padded.substr(0, padded.find('\0')));
  }
  return out;
}

std::string string_attribute(const File& file, const std::string& path, const std::string& name) {
  const auto values = strings_attribute(file, path, name);
  if (values.size() != 1) throw IoError(file.path(), path, "attribute '" + name + "' is not a single string");
  return values[0];
}

int64_t int_attribute(const File& file, const std::string& path, const std::string& name) {
  std::lock_guard<std::recursive_mutex> lock(h5_mutex());
  Handle obj = open_object(file, path);
  Handle attr = open_attribute(file, path, name, obj);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_INTEGER) fail(file, path, "attribute '" + name + "' is not an integer");
  int64_t value = 0;
  if (H5Aread(attr.get(), H5T_NATIVE_INT64, &value) < 0) fail(file, path, "cannot read attribute " + name);
  return value;
}

std::string describe(const DatasetInfo& info) {
  std::string out = info.dtype == at::ScalarType::Undefined ? std::string("unsupported type")
                    : info.dtype == at::kFloat              ? std::string("float32")
                    : info.dtype == at::kDouble             ? std::string("float64")
                    : info.dtype == at::kByte               ? std::string("uint8")
                    : info.dtype == at::kChar               ? std::string("int8")
                    : info.dtype == at::kInt                ? std::string("int32")
                                                            : std::string("int64");
  out += " [";
  for (size_t i = 0; i < info.shape.size(); ++i) out += (i ? "," : "") + std::to_string(info.shape[i]);
  return out + "]";
}

}  // namespace qat::h5
