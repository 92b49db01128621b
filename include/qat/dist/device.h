// `distributed.device`: where a rank (or the one process) runs its tensors: the run
// context places its models and batches there (train::RunContext::device). This
// libtorch is CPU-only, so only `cpu` runs; `cuda` and `cuda:N` are read and refused
// (exit 2) (docs/distributed.md).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <optional>
#include <string>

namespace qat::dist {

/// `cpu`, `cuda` (no index) or `cuda:N` (N a whole number in [0, 1023]); nullopt for
/// anything else. Plain `cuda` has no index (resolve_device gives it one).
std::optional<c10::Device> parse_device(const std::string& text);

/// The device of the rank with `local_rank` (0 in one process) for `text` (parse_device):
/// plain `cuda` is cuda:LOCAL_RANK, one GPU per rank of a machine. Throws qat::Error
/// (exit 2) naming distributed.device when `text` is not a device, or asks for CUDA
/// and this libtorch has none.
c10::Device resolve_device(const std::string& text, int64_t local_rank);

}  // namespace qat::dist
