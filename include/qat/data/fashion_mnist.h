// Fashion-MNIST in its IDX format (gzipped), as Debian's dataset-fashion-mnist ships it.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace qat::data {

/// Debian's location of the files.
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// The ten class names, by label.
const std::vector<std::string>& fashion_mnist_classes();

/// Reads an IDX file (gzipped or plain): images uint8 [N,28,28] (magic 2051) or
/// labels uint8 [N] (magic 2049). Throws IoError naming the file for a bad magic
/// number, bad dimensions or truncated data.
at::Tensor read_idx(const std::string& path);

struct FashionMnist {
  at::Tensor images;  ///< uint8 [N,28,28]
  at::Tensor labels;  ///< uint8 [N]
};

/// "train" (60000) or "t10k" (10000) from `dir`.
FashionMnist load_fashion_mnist(const std::string& dir, const std::string& split);

}  // namespace qat::data
