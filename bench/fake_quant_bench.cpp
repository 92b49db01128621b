// Fake quantization forward + backward throughput on a detector activation and a
// conv weight, next to a plain copy (clone) of the same tensor: the cost QAT adds
// per quantized tensor per training step. qat's kernels (through FakeQuantizer, as
// training calls them) and ATen's ops, the former implementation, side by side; a
// SiLU with its quantizer as two ops and as the fused kernel; and a copy with
// streaming stores, the rate at which memory takes the kernels' large outputs.
//
// bytes_per_second counts the least memory traffic of each row: a clone reads and
// writes the tensor (2 x 4 bytes an element); fake quantization forward + backward
// reads x and writes y, then reads x and dy and writes dx (5 x 4 bytes; the LSQ
// rows also write and reduce the per-element scale gradient: 7 x 4). A row at the
// clone's GB/s thus moves memory as fast as a copy does. (A store through the cache
// first reads the line it writes, which the counts leave out: the clone's stores do,
// while qat's kernels write outputs of 8 MiB and more with streaming stores, which do
// not; see kStreamingStoreBytes.) Rates are per second of
// the process's CPU time (both threads at two). Compare rows of one run
// (--benchmark_repetitions=5 --benchmark_enable_random_interleaving=true, medians).
//
// `cold:0` passes the same tensor every iteration, so whatever fits the last-level
// cache stays there (a 32x64x40x40 clone, 26 MB, fits a 32 MiB L3; fake quant's x, y,
// dy and dx, 52 MB, do not). `cold:1` takes the tensors in turn from a set of more
// than 128 MiB, so every row reads memory, as a training step does: each activation
// and gradient is touched once per step, with the rest of the step in between.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>

#include "qat/core/allocator.h"
#include "qat/quant/fake_quantizer.h"
#include "qat/quant/minmax_observer.h"
#include "streaming_copy.h"

namespace {

using qat::quant::FakeQuantizer;
using qat::quant::QuantSpec;

// The tensors an iteration takes in turn: one, or (cold) enough to exceed 128 MiB.
std::vector<at::Tensor> inputs(const benchmark::State& state) {
  at::manual_seed(0);
  const std::vector<int64_t> shape{state.range(0), state.range(1), state.range(2), state.range(3)};
  const int64_t bytes = c10::multiply_integers(shape) * 4;
  const int64_t count = state.range(5) == 0 ? 1 : 1 + (int64_t{128} << 20) / bytes;
  std::vector<at::Tensor> xs;
  for (int64_t i = 0; i < count; ++i) xs.push_back(at::randn(shape));
  return xs;
}

void set_threads(const benchmark::State& state) { at::set_num_threads(static_cast<int>(state.range(4))); }

void set_bytes(benchmark::State& state, const at::Tensor& x, int64_t passes) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * x.numel() *
                          static_cast<int64_t>(x.element_size()) * passes);
}

// The per-channel axis: channels of an activation [N,C,H,W], output channels of a weight.
int64_t channel_axis(const at::Tensor& x) { return x.size(2) > 3 ? 1 : 0; }

// Forward + backward of y = f(x) (and of the learnable scale, if any) per iteration,
// x and its incoming gradient taken in turn from `xs` and as many gradients.
template <class F>
void time_fwd_bwd(benchmark::State& state, const std::vector<at::Tensor>& xs, const std::vector<at::Tensor>& extra,
                  const F& f) {
  std::vector<at::Tensor> grads;
  std::vector<std::vector<at::Tensor>> wrts;  // per x: x, then `extra`
  for (const auto& x : xs) {
    grads.push_back(at::ones_like(x));
    wrts.push_back({x});
    wrts.back().insert(wrts.back().end(), extra.begin(), extra.end());
  }
  size_t turn = 0;
  for (auto _ : state) {
    const auto y = f(xs[turn]);
    benchmark::DoNotOptimize(torch::autograd::grad({y}, wrts[turn], {grads[turn]}));
    turn = (turn + 1) % xs.size();
  }
  set_bytes(state, xs[0], extra.empty() ? 5 : 7);
}

std::vector<at::Tensor> requiring_grad(std::vector<at::Tensor> xs) {
  for (auto& x : xs) x.requires_grad_(true);
  return xs;
}

// Calibrated once, then timed like a QAT step: observer off, fake quant on.
void run_fake_quant(benchmark::State& state, bool per_channel, bool learnable) {
  set_threads(state);
  const auto xs = requiring_grad(inputs(state));
  QuantSpec spec;
  if (per_channel) spec.axis = channel_axis(xs[0]);
  FakeQuantizer fq(spec, qat::quant::make_minmax(spec), learnable);
  fq(xs[0].detach());
  fq.set_observing(false);
  time_fwd_bwd(state, xs, fq.parameters(), [&](const at::Tensor& t) { return fq(t); });
}

void BM_FakeQuantPerTensor(benchmark::State& state) { run_fake_quant(state, false, false); }
void BM_FakeQuantPerChannel(benchmark::State& state) { run_fake_quant(state, true, false); }
void BM_FakeQuantLearnablePerTensor(benchmark::State& state) { run_fake_quant(state, false, true); }
void BM_FakeQuantLearnablePerChannel(benchmark::State& state) { run_fake_quant(state, true, true); }

// ATen's ops on the same tensor and parameters (what FakeQuantizer called before).
void run_aten(benchmark::State& state, bool per_channel, bool learnable) {
  set_threads(state);
  const auto xs = requiring_grad(inputs(state));
  QuantSpec spec;
  if (per_channel) spec.axis = channel_axis(xs[0]);
  FakeQuantizer fq(spec, qat::quant::make_minmax(spec));
  fq(xs[0].detach());
  const auto qp = fq.qparams();
  const int64_t lo = spec.quant_min(), hi = spec.quant_max();
  if (learnable) {
    const auto scale = qp.scale.clone().requires_grad_(true);
    const auto zero = qp.zero_point.to(at::kFloat);
    time_fwd_bwd(state, xs, {scale}, [&](const at::Tensor& t) {
      return per_channel ? at::_fake_quantize_learnable_per_channel_affine(t, scale, zero, spec.axis, lo, hi)
                         : at::_fake_quantize_learnable_per_tensor_affine(t, scale, zero, lo, hi);
    });
    return;
  }
  time_fwd_bwd(state, xs, {}, [&](const at::Tensor& t) {
    return per_channel ? at::fake_quantize_per_channel_affine(t, qp.scale, qp.zero_point, spec.axis, lo, hi)
                       : at::fake_quantize_per_tensor_affine(t, qp.scale, qp.zero_point, lo, hi);
  });
}

void BM_AtenFakeQuantPerTensor(benchmark::State& state) { run_aten(state, false, false); }
void BM_AtenFakeQuantPerChannel(benchmark::State& state) { run_aten(state, true, false); }
void BM_AtenFakeQuantLearnablePerTensor(benchmark::State& state) { run_aten(state, false, true); }

// A SiLU and the activation quantizer reading it: at::silu then the quantizer (two ops,
// silu(x) written and read again both ways), and the fused kernel (FakeQuantizer::of_silu).
// Both rows count the fused kernel's least traffic (5 x 4 bytes), so their GB/s compare
// as their speeds do.
void run_silu_fake_quant(benchmark::State& state, bool fused) {
  set_threads(state);
  const auto xs = requiring_grad(inputs(state));
  FakeQuantizer fq(QuantSpec{}, qat::quant::make_minmax(QuantSpec{}));
  fq(at::silu(xs[0].detach()));
  fq.set_observing(false);
  time_fwd_bwd(state, xs, {}, [&](const at::Tensor& t) { return fused ? fq.of_silu(t) : fq(at::silu(t)); });
}

void BM_SiluThenFakeQuant(benchmark::State& state) { run_silu_fake_quant(state, false); }
void BM_SiluFakeQuantFused(benchmark::State& state) { run_silu_fake_quant(state, true); }

// A copy f(x) per iteration, x taken in turn from the row's tensors.
template <class F>
void time_copy(benchmark::State& state, const F& copy) {
  set_threads(state);
  const auto xs = inputs(state);
  size_t turn = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(copy(xs[turn]));
    turn = (turn + 1) % xs.size();
  }
  set_bytes(state, xs[0], 2);
}

void BM_Clone(benchmark::State& state) {
  time_copy(state, [](const at::Tensor& x) { return x.clone(); });
}

// The same copy with streaming stores (streaming_copy.h): the rate at which this machine
// takes a fake-quant output of kStreamingStoreBytes or more. A forward + backward writes
// two such outputs while its reads may hit the L3, so where memory is the bound it runs
// at about 5/4 of this row's GB/s (5 x 4 bytes counted per two outputs written, against
// 2 x 4 per one).
void BM_StreamingCopy(benchmark::State& state) {
  time_copy(state, [](const at::Tensor& x) { return streaming_copy(x); });
}

// An activation of the default detector's stride-4 stage at batch 32 (160 px), warm
// and cold; the same at 320 px (52 MiB: above glibc's mmap ceiling, see
// qat/core/allocator.h); and a 3x3 conv weight; at one thread and two.
void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "c", "h", "w", "threads", "cold"});
  for (const int threads : {1, 2}) {
    b->Args({32, 64, 40, 40, threads, 0})->Args({32, 64, 40, 40, threads, 1});
    b->Args({32, 64, 80, 80, threads, 0})->Args({128, 64, 3, 3, threads, 0});
  }
  // CPU time of the whole process: on a shared machine it does not count waiting for
  // the cores, and at two threads it counts both.
  b->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();
}
BENCHMARK(BM_Clone)->Apply(shapes);
BENCHMARK(BM_StreamingCopy)->Apply(shapes);
BENCHMARK(BM_FakeQuantPerTensor)->Apply(shapes);
BENCHMARK(BM_FakeQuantPerChannel)->Apply(shapes);
BENCHMARK(BM_FakeQuantLearnablePerTensor)->Apply(shapes);
BENCHMARK(BM_FakeQuantLearnablePerChannel)->Apply(shapes);
BENCHMARK(BM_SiluThenFakeQuant)->Apply(shapes);
BENCHMARK(BM_SiluFakeQuantFused)->Apply(shapes);
BENCHMARK(BM_AtenFakeQuantPerTensor)->Apply(shapes);
BENCHMARK(BM_AtenFakeQuantPerChannel)->Apply(shapes);
BENCHMARK(BM_AtenFakeQuantLearnablePerTensor)->Apply(shapes);

}  // namespace

int main(int argc, char** argv) {
  // As the CLI does: freed tensor memory stays in the heap (no page faults per pass).
  if (!std::getenv("QAT_BENCH_GLIBC_HEAP")) qat::keep_freed_memory_in_heap();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
