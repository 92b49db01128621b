// Training and inference throughput of the native detector (images/s), the
// budget behind "FP32 training in minutes on 2 cores", and what quantization-aware
// training costs next to it: the FP32 training step, the BN-folded student's
// forward+backward with and without fake quantization, and the full QAT step
// (teacher forward, student, the default recipe's distillation losses, optimizer),
// all at the default recipe's batch and size. Ratios are only meaningful within
// one run: use --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
// and compare medians. The new rows count the process's CPU time (both threads at
// two), which a shared machine's load does not inflate; wall time is reported too.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <thread>

#include "qat/core/allocator.h"
#include "qat/distill/distill_objective.h"
#include "qat/graph/executor.h"
#include "qat/loss/detection_loss.h"
#include "qat/model/detector.h"
#include "qat/recipe/recipe.h"
#include "qat/train/optimizer.h"
#include "qat/train/qat_step.h"
#include "qat/train/quantized_student.h"

namespace {

// Benchmarks that take no thread count run on every core (others set their own).
void use_all_cores() { at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))); }

qat::model::Detector make_detector(int64_t size) {
  const auto arch = qat::model::load_arch("configs/arch/yolo-nano.yaml");
  return qat::model::build_detector(arch, std::vector<std::string>(10, "c"), size, 0);
}

void BM_DetectorForward(benchmark::State& state) {
  const int64_t batch = state.range(0), size = state.range(1);
  use_all_cores();
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
  use_all_cores();
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


// ---- FP32 vs QAT training steps (recipes/fmnist-default.yaml) ----

const qat::Recipe& default_recipe() {
  static const qat::Recipe recipe = qat::load_recipe("recipes/fmnist-default.yaml");
  return recipe;
}

// Two plausible boxes per image ([T,6]: batch index, label, x1, y1, x2, y2).
at::Tensor targets_for(int64_t batch, int64_t size) {
  std::vector<float> rows;
  for (int64_t b = 0; b < batch; ++b) {
    const float s = static_cast<float>(size);
    const float boxes[2][4] = {{0.1f * s, 0.2f * s, 0.4f * s, 0.5f * s}, {0.5f * s, 0.4f * s, 0.9f * s, 0.8f * s}};
    for (int k = 0; k < 2; ++k) {
      rows.insert(rows.end(), {static_cast<float>(b), static_cast<float>((b + k) % 10), boxes[k][0], boxes[k][1],
                               boxes[k][2], boxes[k][3]});
    }
  }
  return at::tensor(rows).reshape({-1, 6});
}

void set_threads(const benchmark::State& state, int index) { at::set_num_threads(static_cast<int>(state.range(index))); }

void count_images(benchmark::State& state, int64_t batch) {
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(batch * state.iterations()),
                                                  benchmark::Counter::kIsRate);
}

// The FP32 phase's step: forward, detection loss, backward, optimizer (fp32_trainer.cpp).
void BM_Fp32TrainStep(benchmark::State& state) {
  const int64_t batch = state.range(0), size = state.range(1);
  set_threads(state, 2);
  const auto& recipe = default_recipe();
  auto det = make_detector(size);
  qat::graph::Executor exec(det.graph);
  exec.set_training(true);
  qat::train::OptimizerOptions oo;
  oo.momentum = recipe.fp32.momentum;
  oo.weight_decay = recipe.fp32.weight_decay;
  auto optimizer = qat::train::optimizer_registry().get(recipe.fp32.optimizer)(det.graph.parameters(), oo);
  const auto points = det.anchor_points(), strides = det.anchor_strides();
  const auto images = at::rand({batch, 3, size, size});
  const auto targets = targets_for(batch, size);
  const qat::loss::DetectionLossOptions loss_options;
  for (auto _ : state) {
    const auto out = exec.run({{det.info.input, images}}, {det.info.logits});
    const auto loss = qat::loss::detection_loss(out.at(det.info.logits), out.at(det.info.boxes), points, strides,
                                                 targets, loss_options);
    optimizer->zero_grad();
    loss.total.backward();
    optimizer->step(1e-4);
    benchmark::DoNotOptimize(loss.total.item<double>());
  }
  count_images(state, batch);
}
BENCHMARK(BM_Fp32TrainStep)
    ->ArgNames({"batch", "size", "threads"})
    ->Args({32, 160, 2})
    ->Args({8, 640, 2})
    ->Args({32, 160, 1})
    ->Args({8, 160, 2})
    ->Args({8, 160, 1})
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();

// A teacher and its BN-folded student, calibrated on the bench images and set up as
// in QAT epoch 1 of the default recipe (weights observed, activation ranges frozen).
struct QatSetup {
  explicit QatSetup(int64_t batch, int64_t size)
      : teacher(make_detector(size)),
        student(teacher, default_recipe().quant),
        images(at::rand({batch, 3, size, size})),
        targets(targets_for(batch, size)) {
    auto& q = student.quantizers();
    {
      at::NoGradGuard no_grad;
      q.set_mode(qat::quant::QuantizerMode::calibrate);
      student.executor().run({{teacher.info.input, images}});
    }
    q.set_mode(default_recipe().qat.observer_freeze_epoch > 0 ? qat::quant::QuantizerMode::train_observing
                                                              : qat::quant::QuantizerMode::train);
    student.executor().set_training(true);
  }
  std::unique_ptr<qat::train::Optimizer> optimizer() {
    const auto& qat = default_recipe().qat;
    auto params = student.detector().graph.parameters();
    for (auto& p : student.quantizers().parameters()) params.push_back(p);
    qat::train::OptimizerOptions oo;
    oo.momentum = default_recipe().fp32.momentum;
    oo.weight_decay = qat.weight_decay;
    const std::string name = qat.optimizer == "same" ? default_recipe().fp32.optimizer : qat.optimizer;
    return qat::train::optimizer_registry().get(name)(params, oo);
  }

  qat::model::Detector teacher;
  qat::train::QuantizedStudent student;
  at::Tensor images, targets;
};

// The student's forward + backward alone (the loss of BM_DetectorTrainStep), with its
// fake quantizers on as in QAT (fake_quant 1: weight ranges follow the weights), on with
// every range frozen (2: as exported, so 1 - 2 is what following the weights costs), or
// off (0: the BN-folded FP32 network).
void BM_StudentForwardBackward(benchmark::State& state) {
  const int64_t batch = state.range(0), size = state.range(1);
  set_threads(state, 3);
  QatSetup setup(batch, size);
  if (state.range(2) == 0) {
    setup.student.quantizers().set_mode(qat::quant::QuantizerMode::bypass);
  }
  if (state.range(2) == 2) setup.student.quantizers().set_mode(qat::quant::QuantizerMode::deploy);
  auto& exec = setup.student.executor();
  for (auto _ : state) {
    const auto out = exec.run({{setup.teacher.info.input, setup.images}}, {"logits"});
    (out.at("logits").sigmoid().mean() + out.at("boxes").mean() * 1e-3).backward();
  }
  count_images(state, batch);
}
BENCHMARK(BM_StudentForwardBackward)
    ->ArgNames({"batch", "size", "fake_quant", "threads"})
    ->Args({32, 160, 1, 2})
    ->Args({32, 160, 2, 2})
    ->Args({32, 160, 0, 2})
    ->Args({32, 160, 1, 1})
    ->Args({32, 160, 0, 1})
    ->Args({8, 640, 1, 2})
    ->Args({8, 640, 0, 2})
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();

// train_qat's iteration (qat::train::QatStep) with the default recipe's losses and optimizer.
void BM_QatTrainStep(benchmark::State& state) {
  const int64_t batch = state.range(0), size = state.range(1);
  set_threads(state, 2);
  QatSetup setup(batch, size);
  const qat::distill::DistillObjective objective(default_recipe().qat.losses);
  qat::train::QatStep step(setup.teacher, setup.student, objective);
  auto optimizer = setup.optimizer();
  for (auto _ : state) {
    benchmark::DoNotOptimize(step.run(setup.images, setup.targets, *optimizer, 1e-4).total.item<double>());
  }
  count_images(state, batch);
}
BENCHMARK(BM_QatTrainStep)
    ->ArgNames({"batch", "size", "threads"})
    ->Args({32, 160, 2})
    ->Args({32, 160, 1})
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();

}  // namespace

int main(int argc, char** argv) {
  // QAT_BENCH_GLIBC_HEAP=1 leaves glibc's defaults, to measure what the setting saves.
  if (!std::getenv("QAT_BENCH_GLIBC_HEAP")) qat::keep_freed_memory_in_heap();
  use_all_cores();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
