// Stand-in for libtorch's torch/csrc/distributed/autograd/context/context.h, which
// Debian's libtorch-dev 1.13 does not ship although c10d/reducer.hpp includes it.
// The Reducer uses exactly two of its names: ContextPtr (a shared_ptr member, whose
// layout does not depend on the pointee) and DistAutogradContext::GradCallback (in a
// static_assert). Both are declared here as upstream declares them. qat never uses
// distributed autograd (RPC); the real header, where installed, is found first
// (this directory is searched after the system ones: -idirafter, src/dist/CMakeLists.txt).
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};

using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
