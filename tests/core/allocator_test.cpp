#include "qat/core/allocator.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "support/test_support.h"

namespace qat {
namespace {

long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Allocates `bytes`, writes every page, frees it; returns the page faults this took.
long faults_of_one_block(size_t bytes) {
  const long before = minor_faults();
  auto* p = static_cast<char*>(std::malloc(bytes));
  EXPECT_NE(p, nullptr);
  const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  for (size_t i = 0; i < bytes; i += page) p[i] = 1;
  asm volatile("" : : "r"(p) : "memory");  // the writes and the block are used
  std::free(p);
  return minor_faults() - before;
}

// 64 MiB: above glibc's 32 MiB mmap ceiling, the size of a batch of 640-px activations.
// Without the setting each block is a fresh mmap and faults all of its 16384 pages.
TEST(KeepFreedMemoryInHeap, AReallocatedBlockAboveTheMmapCeilingDoesNotFaultAgain) {
  ASSERT_TRUE(keep_freed_memory_in_heap());
  constexpr size_t kBytes = 64u << 20;
  faults_of_one_block(kBytes);  // the heap grows once
  EXPECT_LT(faults_of_one_block(kBytes), 64);
}

// A thread allocates from its own arena, whose heaps glibc caps at 64 MiB; without
// mmapped blocks a larger request falls back to the main heap instead of failing.
// libtorch's CPU allocator asks with posix_memalign, as here.
TEST(KeepFreedMemoryInHeap, AThreadStillGetsABlockLargerThanItsArena) {
  ASSERT_TRUE(keep_freed_memory_in_heap());
  void* small = nullptr;
  void* large = nullptr;
  std::thread([&] {
    small = std::malloc(64);  // gives this thread its arena
    ASSERT_EQ(posix_memalign(&large, 64, size_t{96} << 20), 0);
    static_cast<char*>(large)[(size_t{96} << 20) - 1] = 1;
  }).join();
  EXPECT_NE(large, nullptr);
  std::free(large);
  std::free(small);
}

}  // namespace
}  // namespace qat
