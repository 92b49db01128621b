// Heap settings for tensor workloads.
#pragma once

namespace qat {

/// Keeps freed tensor buffers in the process heap instead of handing them back to
/// the kernel. glibc serves blocks above its mmap threshold (128 KiB, adapting up to
/// 32 MiB) with fresh mmaps, so a training step that frees and re-allocates the same
/// activations page-faults every page again: ~15% of an FP32 step at 160 px
/// (few-MiB activations), and 3-10x on a fake-quant pass of a 52 MiB one
/// (bench/fake_quant_bench.cpp, 32x64x80x80). Call once at start-up, before threads allocate.
/// Returns false when the C library refused a setting.
bool keep_freed_memory_in_heap();

}  // namespace qat
