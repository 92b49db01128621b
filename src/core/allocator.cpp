#include "qat/core/allocator.h"

#include <malloc.h>

namespace qat {

bool keep_freed_memory_in_heap() {
  // The largest threshold glibc accepts on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX): blocks
  // up to 32 MiB come from the heap; only freed space beyond 1 GiB at the top is trimmed.
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024) == 1;
  return mmap_ok && trim_ok;
}

}  // namespace qat
