// Training and inference throughput of the native detector (images/s), the
// budget behind "FP32 training in minutes on 2 cores".
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <thread>

#include "qat/core/allocator.h"
#include "qat/graph/executor.h"
#include "qat/model/detector.h"

namespace {

qat::model::Detector make_detector(int64_t size) {
  const auto arch = qat::model::load_arch("configs/arch/yolo-nano.yaml");
  return qat::model::build_detector(arch, std::vector<std::string>(10, "c"), size, 0);
}

void BM_DetectorForward(benchmark::State& state) {
  const int64_t batch = state.range(0), size = state.range(1);
  auto det = make_detector(size);
  qat::graph::Executor exec(det.graph);
  const auto images = at::rand({batch, 3, size, size});
  at::NoGradGuard no_grad;
  for (auto _ : state) benchmark::DoNotOptimize(exec.run({{"images", images}}));
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch * state.iterations()),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DetectorForward)->ArgNames({"batch", "size"})->Args({32, 160})->Unit(benchmark::kMillisecond);

// Tapping every Sigmoid output keeps the executor from running Mul(x, Sigmoid(x))
// as one silu: the "unfused" case measures what that fusion saves.
std::vector<std::string> train_taps(const qat::model::Detector& det, bool unfused) {
  std::vector<std::string> taps = {"logits"};
  if (!unfused) return taps;
  for (const auto& node : det.graph.nodes()) {
    if (node.op_type == "Sigmoid") taps.push_back(node.outputs[0]);
  }
  return taps;
}

void BM_DetectorTrainStep(benchmark::State& state) {
  const int64_t batch = state.range(0), size = state.range(1);
  auto det = make_detector(size);
  qat::graph::Executor exec(det.graph);
  exec.set_training(true);
  const auto images = at::rand({batch, 3, size, size});
  const auto taps = train_taps(det, state.range(2) != 0);
  for (auto _ : state) {
    const auto out = exec.run({{"images", images}}, taps);
    (out.at("logits").sigmoid().mean() + out.at("boxes").mean() * 1e-3).backward();
  }
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch * state.iterations()),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DetectorTrainStep)
    ->ArgNames({"batch", "size", "unfused"})
    ->Args({32, 160, 0})
    ->Args({32, 160, 1})
    ->Args({32, 128, 0})
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  // QAT_BENCH_GLIBC_HEAP=1 leaves glibc's defaults, to measure what the setting saves.
  if (!std::getenv("QAT_BENCH_GLIBC_HEAP")) qat::keep_freed_memory_in_heap();
  at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
