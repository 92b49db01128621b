// Fake quantization forward + backward throughput (bytes of input per second) on a
// detector activation and a conv weight, next to a plain copy of the same tensor:
// the cost QAT adds per quantized tensor per training step.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "qat/quant/fake_quantizer.h"
#include "qat/quant/minmax_observer.h"

namespace {

using qat::quant::FakeQuantizer;
using qat::quant::QuantSpec;

at::Tensor input(const benchmark::State& state) {
  at::manual_seed(0);
  return at::randn({state.range(0), state.range(1), state.range(2), state.range(3)});
}

void set_bytes(benchmark::State& state, const at::Tensor& x) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * x.numel() *
                          static_cast<int64_t>(x.element_size()));
}

// Calibrated once, then timed like a QAT step: observer off, fake quant on.
void run_fake_quant(benchmark::State& state, QuantSpec spec, bool learnable) {
  const auto x = input(state).requires_grad_(true);
  FakeQuantizer fq(spec, qat::quant::make_minmax(spec), learnable);
  fq(x.detach());
  fq.set_observing(false);
  const auto grad = at::ones_like(x);
  std::vector<at::Tensor> wrt{x};
  for (const auto& p : fq.parameters()) wrt.push_back(p);
  for (auto _ : state) {
    const auto y = fq(x);
    benchmark::DoNotOptimize(torch::autograd::grad({y}, wrt, {grad}));
  }
  set_bytes(state, x);
}

void BM_FakeQuantPerTensor(benchmark::State& state) { run_fake_quant(state, QuantSpec{}, false); }

void BM_FakeQuantPerChannel(benchmark::State& state) {
  QuantSpec spec;
  spec.axis = 0;
  run_fake_quant(state, spec, false);
}

void BM_FakeQuantLearnablePerTensor(benchmark::State& state) { run_fake_quant(state, QuantSpec{}, true); }

void BM_Clone(benchmark::State& state) {
  const auto x = input(state);
  for (auto _ : state) benchmark::DoNotOptimize(x.clone());
  set_bytes(state, x);
}

// An activation of a 320x320 detector's stride-8 stage, and a 3x3 conv weight.
void shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "c", "h", "w"})->Args({32, 64, 40, 40})->Args({128, 64, 3, 3})->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_Clone)->Apply(shapes);
BENCHMARK(BM_FakeQuantPerTensor)->Apply(shapes);
BENCHMARK(BM_FakeQuantPerChannel)->Apply(shapes);
BENCHMARK(BM_FakeQuantLearnablePerTensor)->Apply(shapes);

}  // namespace

BENCHMARK_MAIN();
