// Training and inference throughput of the native detector (images/s), the
// budget behind "FP32 training in minutes on 2 cores".
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <thread>

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

void BM_DetectorTrainStep(benchmark::State& state) {
  const int64_t batch = state.range(0), size = state.range(1);
  auto det = make_detector(size);
  qat::graph::Executor exec(det.graph);
  exec.set_training(true);
  const auto images = at::rand({batch, 3, size, size});
  for (auto _ : state) {
    const auto out = exec.run({{"images", images}}, {"logits"});
    (out.at("logits").sigmoid().mean() + out.at("boxes").mean() * 1e-3).backward();
  }
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch * state.iterations()),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DetectorTrainStep)->ArgNames({"batch", "size"})->Args({32, 160})->Args({32, 128})->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
