#include "qat/data/fashion_mnist.h"

#include <zlib.h>

#include <filesystem>

#include "qat/core/error.h"

namespace qat::data {

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

namespace {

// gzFile that closes itself; zlib reads plain files transparently too.
class GzReader {
 public:
  explicit GzReader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (!std::filesystem::exists(path)) throw IoError(path, "", "cannot open: No such file or directory");
    if (!file_) throw IoError(path, "", "cannot open");
  }
  ~GzReader() {
    if (file_) gzclose(file_);
  }
  void read(void* out, size_t bytes, const char* what) {
    const int got = gzread(file_, out, static_cast<unsigned>(bytes));
    if (got < 0 || static_cast<size_t>(got) != bytes) {
      throw IoError(path_, "", std::string("truncated IDX file while reading ") + what);
    }
  }
  uint32_t read_u32(const char* what) {
    unsigned char b[4];
    read(b, 4, what);
    return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
  }

 private:
  std::string path_;
  gzFile file_;
};

}  // namespace

at::Tensor read_idx(const std::string& path) {
  GzReader in(path);
  const uint32_t magic = in.read_u32("the header");
  std::vector<int64_t> shape;
  if (magic == 2051) {
    shape = {in.read_u32("the header"), in.read_u32("the header"), in.read_u32("the header")};
  } else if (magic == 2049) {
    shape = {in.read_u32("the header")};
  } else {
    throw IoError(path, "", "not an IDX file of uint8 images or labels (magic " + std::to_string(magic) +
                                ", expected 2051 or 2049)");
  }
  if (shape[0] > 10'000'000 || (shape.size() == 3 && (shape[1] > 4096 || shape[2] > 4096))) {
    throw IoError(path, "", "implausible IDX dimensions");
  }
  at::Tensor t = at::empty(shape, at::kByte);
  in.read(t.data_ptr(), static_cast<size_t>(t.numel()), "the data");
  return t;
}

FashionMnist load_fashion_mnist(const std::string& dir, const std::string& split) {
  const std::string base = (std::filesystem::path(dir) / split).string();
  FashionMnist out{read_idx(base + "-images-idx3-ubyte.gz"), read_idx(base + "-labels-idx1-ubyte.gz")};
  if (out.images.dim() != 3 || out.labels.dim() != 1 || out.images.size(0) != out.labels.size(0)) {
    throw IoError(base + "-labels-idx1-ubyte.gz", "", "image and label counts differ");
  }
  return out;
}

}  // namespace qat::data
