#include "qat/core/allocator.h"

#include <malloc.h>

namespace qat {

bool keep_freed_memory_in_heap() {
  // No block is served by its own mmap: the threshold stops glibc adapting it, and with
  // no mmapped blocks allowed even those above its 32 MiB ceiling (a batch of 640-px
  // activations) come from the heap. Only freed space beyond 1 GiB at the top is
  // trimmed. A heap that cannot grow still falls back to mmap inside glibc.
  const bool threshold_ok = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1;
  const bool no_mmap_ok = mallopt(M_MMAP_MAX, 0) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024) == 1;
  return threshold_ok && no_mmap_ok && trim_ok;
}

}  // namespace qat
