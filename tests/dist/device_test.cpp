// distributed.device: what parses, what plain `cuda` becomes on a rank, and the
// refusal of CUDA on this CPU-only libtorch.
#include "qat/dist/device.h"

#include <ATen/Context.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

namespace qat::dist {
namespace {

TEST(Device, ParsesCpuCudaAndCudaN) {
  EXPECT_EQ(parse_device("cpu"), c10::Device(c10::kCPU));
  EXPECT_EQ(parse_device("cuda"), c10::Device(c10::kCUDA));
  EXPECT_FALSE(parse_device("cuda")->has_index());
  EXPECT_EQ(parse_device("cuda:0"), c10::Device(c10::kCUDA, 0));
  EXPECT_EQ(parse_device("cuda:17"), c10::Device(c10::kCUDA, 17));
  for (const char* bad : {"", "gpu", "CPU", "cuda:", "cuda:-1", "cuda:1x", "cuda: 1", "cuda:1024", "cpu:0", "mps"}) {
    EXPECT_FALSE(parse_device(bad).has_value()) << bad;
  }
}

TEST(Device, CpuIsTheCpuOnEveryRank) {
  EXPECT_EQ(resolve_device("cpu", 0), c10::Device(c10::kCPU));
  EXPECT_EQ(resolve_device("cpu", 3), c10::Device(c10::kCPU));
}

TEST(Device, CudaNamesTheKeyAndTheRanksDeviceOnThisBuild) {
  ASSERT_FALSE(at::hasCUDA());  // this libtorch is CPU-only; a CUDA build would return the devices
  ASSERT_THROWS_WITH(resolve_device("cuda", 2), Error,
                     "distributed.device: cuda (cuda:2) needs a CUDA build of libtorch; this one is CPU-only (use cpu)");
  ASSERT_THROWS_WITH(resolve_device("cuda:1", 0), Error,
                     "distributed.device: cuda:1 needs a CUDA build of libtorch; this one is CPU-only (use cpu)");
  ASSERT_THROWS_WITH(resolve_device("gpu", 0), Error, "distributed.device: must be cpu, cuda or cuda:N, got 'gpu'");
}

}  // namespace
}  // namespace qat::dist
