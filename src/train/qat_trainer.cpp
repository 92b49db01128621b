#include "qat/train/qat_trainer.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "qat/core/error.h"
#include "qat/core/interrupt.h"
#include "qat/core/logging.h"
#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/distill/distill_objective.h"
#include "qat/model/imported_defaults.h"
#include "qat/train/detection_set.h"
#include "qat/train/lr_schedule.h"
#include "qat/train/optimizer.h"
#include "qat/train/qat_step.h"
#include "train/bad_batches.h"

namespace qat::train {
using Clock = std::chrono::steady_clock;

double objective_value(const std::string& name, const metrics::BehaviourStats& s) {
  if (name == "recall") return s.recall;
  if (name == "precision_agreement") return s.precision_agreement;
  if (name == "median_iou") return s.median_iou;
  if (name == "confidence_mae") return -s.confidence_mae;
  if (name == "f1") {
    const double sum = s.recall + s.precision_agreement;
    return sum > 0 ? 2 * s.recall * s.precision_agreement / sum : 0.0;
  }
  throw Error("unknown QAT objective '" + name + "'");
}

void select_epoch(QatResult& result) {
  result.selected = -1;
  result.lowest_loss = -1;
  auto better = [](const QatEpoch& a, const QatEpoch& b) {  // a strictly better than b
    if (a.objective != b.objective) return a.objective > b.objective;
    return a.at_threshold.confidence_mae < b.at_threshold.confidence_mae;
  };
  for (size_t i = 0; i < result.history.size(); ++i) {
    const auto& e = result.history[i];
    if (e.epoch >= 0 && (result.lowest_loss < 0 || e.loss < result.history[static_cast<size_t>(result.lowest_loss)].loss)) {
      result.lowest_loss = static_cast<int64_t>(i);
    }
    if (e.passed && (result.selected < 0 || better(e, result.history[static_cast<size_t>(result.selected)]))) {
      result.selected = static_cast<int64_t>(i);
    }
  }
}

namespace {

// What an epoch's student is: its parameters and every quantizer's range.
struct Snapshot {
  std::map<std::string, at::Tensor> params;
  std::map<std::string, quant::QParams> qparams;
};

Snapshot take(QuantizedStudent& s) {
  Snapshot snap;
  for (const auto& [name, t] : s.detector().graph.parameters()) snap.params[name] = t.detach().clone();
  for (const auto& [name, qp] : s.quantizers().qparams()) {
    snap.qparams[name] = {qp.scale.detach().clone(), qp.zero_point.clone()};
  }
  return snap;
}

void restore(QuantizedStudent& s, const Snapshot& snap) {
  at::NoGradGuard no_grad;
  for (const auto& [name, t] : s.detector().graph.parameters()) {
    at::Tensor dst = t;
    dst.copy_(snap.params.at(name));
  }
  s.quantizers().set_qparams(snap.qparams);
}

QatEpoch measure(int64_t epoch, const DetectionSet& teacher_set, QuantizedStudent& student,
                 const model::DetectorInfo& info, data::DataLoader& val_loader, const Recipe& recipe,
                 const metrics::Gate& gate) {
  const auto& q = recipe.qat;
  const double t = recipe.eval.score_threshold;
  const double floor = std::min(q.threshold_lo, t);
  const bool was_training = student.executor().training();
  student.executor().set_training(false);
  const DetectionSet student_set = collect_detections(student.executor(), info, val_loader, recipe.eval, floor);
  student.executor().set_training(was_training);
  const int classes = static_cast<int>(info.num_classes);
  const ThresholdChoice choice = search_threshold(teacher_set, t, student_set, gate,
                                                  {q.threshold_lo, q.threshold_hi, q.threshold_step}, classes,
                                                  recipe.eval.match_iou);
  QatEpoch e;
  e.epoch = epoch;
  e.at_teacher_threshold = choice.table.front().stats;
  e.verdict_at_teacher_threshold = choice.table.front().verdict;
  e.passed = choice.found;
  if (choice.found) {
    e.threshold = choice.threshold;
    e.at_threshold = choice.chosen.stats;
    e.objective = objective_value(q.objective, choice.chosen.stats);
  }
  return e;
}

void log_epoch(const QatEpoch& e, double teacher_threshold) {
  const auto& s = e.at_teacher_threshold;
  const std::string name = e.epoch < 0 ? std::string("ptq") : "qat epoch " + std::to_string(e.epoch + 1);
  logger().info("{} at {:.2f}: recall {:.4f} precision agreement {:.4f} median IoU {:.4f} confidence MAE {:.4f} -> {}",
                name, teacher_threshold, s.recall, s.precision_agreement, s.median_iou, s.confidence_mae,
                e.verdict_at_teacher_threshold.summary());
  const auto& m = s.misses;
  if (s.teacher_count > s.matched) {
    logger().info("{}: {} missed teacher detections: {} below threshold, {} wrong class, {} box, {} absent", name,
                  s.teacher_count - s.matched, m.below_threshold, m.wrong_class, m.box, m.absent);
  }
  if (e.passed && e.threshold != teacher_threshold) {
    logger().info("{}: passes the gate at threshold {:.2f} (recall {:.4f})", name, e.threshold, e.at_threshold.recall);
  } else if (!e.passed) {
    logger().info("{}: no threshold in the search range passes the gate", name);
  }
}

}  // namespace

QatResult train_qat(const Recipe& recipe, const model::Detector& teacher, QuantizedStudent& student) {
  const auto& q = recipe.qat;
  QatResult result;
  result.gate = metrics::Gate::load(q.gate);
  data::DetectionDataset train_set(recipe.data.path, recipe.data.train_split);
  data::DetectionDataset val_set(recipe.data.path, recipe.data.val_split);
  data::LoaderOptions lo;
  lo.batch_size = recipe.data.batch_size;
  lo.image_size = recipe.data.image_size;
  lo.seed = static_cast<uint64_t>(recipe.seed) + 1;  // a different order from the FP32 phase
  lo.prefetch = recipe.data.prefetch;
  lo.hflip = recipe.data.hflip;
  lo.drop_last = true;
  data::DataLoader train_loader(train_set, lo);
  data::LoaderOptions vo = lo;
  vo.shuffle = false;
  vo.hflip = 0;
  vo.drop_last = false;
  data::DataLoader val_loader(val_set, vo);

  graph::Executor teacher_exec(teacher.graph);
  teacher_exec.set_training(false);
  const auto& info = teacher.info;
  const double t = recipe.eval.score_threshold;
  const DetectionSet teacher_set = collect_detections(teacher_exec, info, val_loader, recipe.eval, t);

  // The PTQ starting point is a candidate too: QAT has to beat it.
  std::vector<Snapshot> snapshots;
  {
    const auto start = Clock::now();
    QatEpoch ptq = measure(-1, teacher_set, student, info, val_loader, recipe, result.gate);
    ptq.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    log_epoch(ptq, t);
    if (ptq.at_teacher_threshold.teacher_count == 0 && !ptq.verdict_at_teacher_threshold.passed) {
      logger().warn("{}", metrics::refusal_text(ptq.at_teacher_threshold, ptq.verdict_at_teacher_threshold, t,
                                                recipe.data.val_split, "eval.score_threshold"));
    }
    result.history.push_back(ptq);
    snapshots.push_back(take(student));
  }

  const distill::DistillObjective objective(model::resolve_loss_taps(teacher, q.losses));
  QatStep step(teacher, student, objective);
  auto params = student.detector().graph.parameters();
  for (auto& p : student.quantizers().parameters()) params.push_back(p);
  OptimizerOptions oo;
  oo.momentum = recipe.fp32.momentum;
  oo.weight_decay = q.weight_decay;
  const std::string optimizer_name = q.optimizer == "same" ? recipe.fp32.optimizer : q.optimizer;
  auto optimizer = optimizer_registry().get(optimizer_name)(params, oo);
  const double lr = q.lr > 0 ? q.lr : recipe.fp32.lr / 10;
  const LrSchedule schedule{lr, 0.0, 1.0, static_cast<double>(q.epochs), 0.1, true};
  const int64_t iterations = train_loader.batches_per_epoch();
  QAT_CHECK(iterations > 0, recipe.data.path, ": split '", recipe.data.train_split, "' has fewer images than one batch");

  BadBatches bad_batches("qat", q.max_bad_batches, lr);

  student.executor().set_training(true);
  for (int64_t epoch = 0; epoch < q.epochs; ++epoch) {
    const auto start = Clock::now();
    // Activation ranges follow the student until the freeze epoch, then stay fixed.
    student.quantizers().set_observing(true, epoch < q.observer_freeze_epoch);
    QatEpoch rec;
    train_loader.begin_epoch(epoch);
    int64_t it = 0;
    const int64_t skipped_before = bad_batches.skipped();
    for (; auto batch = train_loader.next(); ++it) {
      throw_if_interrupted();
      const double step_lr = schedule.at(static_cast<double>(epoch) + static_cast<double>(it) / iterations);
      auto parts = step.losses(batch->images, batch->targets);
      const double loss_value = parts.total.item<double>();
      optimizer->zero_grad();
      if (!bad_batches.loss_ok(loss_value, epoch, it)) continue;
      parts.total.backward();
      if (!bad_batches.gradients_ok(params, epoch, it)) {
        optimizer->zero_grad();
        continue;
      }
      optimizer->step(step_lr);
      rec.lr = step_lr;
      rec.loss += loss_value;
      for (const auto& [k, v] : parts.values) rec.loss_parts[k] += v;
    }
    const int64_t stepped = std::max<int64_t>(1, it - (bad_batches.skipped() - skipped_before));
    rec.loss /= stepped;
    for (auto& [k, v] : rec.loss_parts) v /= stepped;
    throw_if_interrupted();
    QatEpoch measured = measure(epoch, teacher_set, student, info, val_loader, recipe, result.gate);
    measured.lr = rec.lr;
    measured.loss = rec.loss;
    measured.loss_parts = rec.loss_parts;
    measured.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    logger().info("qat epoch {}/{}: loss {:.4f} in {:.0f} s", epoch + 1, q.epochs, measured.loss, measured.seconds);
    log_epoch(measured, t);
    result.history.push_back(measured);
    snapshots.push_back(take(student));
  }
  student.executor().set_training(false);

  select_epoch(result);
  if (result.selected >= 0) {
    restore(student, snapshots[static_cast<size_t>(result.selected)]);
    const auto& e = result.history[static_cast<size_t>(result.selected)];
    logger().info("selected {} (threshold {:.2f}, {} {:.4f}); lowest loss was {}",
                  e.epoch < 0 ? std::string("the PTQ model") : "qat epoch " + std::to_string(e.epoch + 1),
                  e.threshold, q.objective, e.objective,
                  result.lowest_loss < 0 ? std::string("-")
                                         : "qat epoch " + std::to_string(result.history[result.lowest_loss].epoch + 1));
  } else {
    logger().warn("no epoch passed the gate ({})", q.gate);
  }
  return result;
}

}  // namespace qat::train
