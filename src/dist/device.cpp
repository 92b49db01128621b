#include "qat/dist/device.h"

#include <ATen/Context.h>

#include <cerrno>
#include <cstdlib>

#include "qat/core/error.h"

namespace qat::dist {

namespace {
constexpr long kMaxDeviceIndex = 1023;
}

std::optional<c10::Device> parse_device(const std::string& text) {
  if (text == "cpu") return c10::Device(c10::kCPU);
  if (text == "cuda") return c10::Device(c10::kCUDA);
  const std::string prefix = "cuda:";
  if (text.rfind(prefix, 0) != 0 || text.size() == prefix.size()) return std::nullopt;
  const std::string digits = text.substr(prefix.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 4) return std::nullopt;
  const long index = std::strtol(digits.c_str(), nullptr, 10);
  if (index > kMaxDeviceIndex) return std::nullopt;
  return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(index));
}

c10::Device resolve_device(const std::string& text, int64_t local_rank) {
  std::optional<c10::Device> device = parse_device(text);
  QAT_CHECK(device.has_value(), "distributed.device: must be cpu, cuda or cuda:N, got '", text, "'");
  if (device->is_cpu()) return *device;
  if (!device->has_index()) device = c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(local_rank));
  QAT_CHECK(at::hasCUDA(), "distributed.device: ", text, text == "cuda" ? " (" + device->str() + ")" : "",
            " needs a CUDA build of libtorch; this one is CPU-only (use cpu)");
  return *device;
}

}  // namespace qat::dist
