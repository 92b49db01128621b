#include "qat/train/qat_trainer.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "qat/core/error.h"
#include "qat/core/interrupt.h"
#include "qat/core/logging.h"
#include "qat/core/progress.h"
#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/dist/gradient_sync.h"
#include "qat/dist/process_group.h"
#include "qat/distill/distill_objective.h"
#include "qat/metrics/behaviour_metrics.h"
#include "qat/model/imported_defaults.h"
#include "qat/train/detection_set.h"
#include "qat/train/lr_schedule.h"
#include "qat/train/optimizer.h"
#include "qat/train/qat_step.h"
#include "train/distributed.h"
#include "qat/train/run_context.h"
#include "qat/train/bad_batches.h"

namespace qat::train {
using Clock = std::chrono::steady_clock;

double objective_value(const std::string& name, const metrics::BehaviourStats& s) {
  if (const auto value = metrics::objective_of(name, s)) return *value;
  throw Error("unknown QAT objective '" + name + "'");
}

void select_epoch(QatResult& result) {
  result.selected.reset();
  result.lowest_loss.reset();
  auto better = [](const QatEpoch& a, const QatEpoch& b) {  // a strictly better than b
    if (a.objective != b.objective) return a.objective > b.objective;
    return a.at_threshold.confidence_mae < b.at_threshold.confidence_mae;
  };
  for (size_t i = 0; i < result.history.size(); ++i) {
    const auto& e = result.history[i];
    if (!e.is_ptq() && (!result.lowest_loss || e.loss < result.history[*result.lowest_loss].loss)) {
      result.lowest_loss = i;
    }
    if (e.passed && (!result.selected || better(e, result.history[*result.selected]))) {
      result.selected = i;
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

// "ptq" for the PTQ starting point (no epoch), else "qat epoch N" (1-based): log lines and labels.
std::string epoch_label(std::optional<int64_t> epoch) {
  return epoch ? "qat epoch " + std::to_string(*epoch + 1) : std::string("ptq");
}

// `val_loader` reads the behaviour shard of this rank of `group` (or the whole split).
QatEpoch measure(std::optional<int64_t> epoch, const DetectionSet& teacher_set, QuantizedStudent& student,
                 const model::DetectorInfo& info, data::DataLoader& val_loader, dist::Group* group,
                 const Recipe& recipe, const QatSection& q, const metrics::Gate& gate) {
  const double t = recipe.eval.score_threshold;
  const double floor = std::min(q.threshold_lo, t);
  const bool was_training = student.executor().training();
  student.executor().set_training(false);
  const DetectionSet student_set = collect_detections(
      student.executor(), info, val_loader, recipe.eval, floor,
      epoch_label(epoch) + " behaviour images", group);
  student.executor().set_training(was_training);
  const ThresholdChoice choice = search_threshold(teacher_set, t, student_set, gate,
                                                  {q.threshold_lo, q.threshold_hi, q.threshold_step},
                                                  info.class_names, recipe.eval.match_iou);
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
  const std::string name = epoch_label(e.epoch);
  logger().info("{} at {:.2f}: {} -> {}", name, teacher_threshold, metrics::format_behaviour(s, " "),
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

// What an epoch of QAT updates: the student (through the distillation step), its
// optimizer over the weights and learnable quantizer parameters, and the schedule.
class QatLoop {
 public:
  /// With a `group`, gradients, statistics and observers are combined across its ranks.
  QatLoop(const Recipe& recipe, const QatSection& qat, const model::Detector& teacher, QuantizedStudent& student,
          data::DataLoader& train_loader, dist::Group* group);
  /// Trains epoch `epoch`; the record has its last lr and its losses per stepped batch.
  QatEpoch train_epoch(int64_t epoch);

 private:
  const QatSection& q_;
  QuantizedStudent& student_;
  data::DataLoader& train_loader_;
  const distill::DistillObjective objective_;
  QatStep step_;
  std::vector<std::pair<std::string, at::Tensor>> params_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<dist::GradientSync> gradient_sync_;  // set in a data-parallel run
  double lr_;
  LrSchedule schedule_;
  int64_t iterations_;
  BadBatches bad_batches_;
  dist::Group* group_;
};

std::unique_ptr<Optimizer> make_optimizer(const Recipe& recipe, const QatSection& q,
                                          const std::vector<std::pair<std::string, at::Tensor>>& params) {
  OptimizerOptions oo;
  oo.momentum = recipe.fp32.momentum;
  oo.weight_decay = q.weight_decay;
  const std::string optimizer_name = q.optimizer == "same" ? recipe.fp32.optimizer : q.optimizer;
  return optimizer_registry().get(optimizer_name)(params, oo);
}

std::vector<std::pair<std::string, at::Tensor>> trained_parameters(QuantizedStudent& student) {
  auto params = student.detector().graph.parameters();
  for (auto& p : student.quantizers().parameters()) params.push_back(p);
  return params;
}

QatLoop::QatLoop(const Recipe& recipe, const QatSection& qat, const model::Detector& teacher,
                 QuantizedStudent& student, data::DataLoader& train_loader, dist::Group* group)
    : q_(qat),
      student_(student),
      train_loader_(train_loader),
      objective_(model::resolve_loss_taps(teacher, qat.losses)),
      step_(teacher, student, objective_),
      params_(trained_parameters(student)),
      optimizer_(make_optimizer(recipe, qat, params_)),
      gradient_sync_(gradient_sync(group, params_)),
      lr_(qat.lr > 0 ? qat.lr : recipe.fp32.lr / 10),
      schedule_{lr_, 0.0, 1.0, static_cast<double>(qat.epochs), 0.1, true},
      iterations_(train_loader.batches_per_epoch()),
      bad_batches_("qat", qat.max_bad_batches, lr_, group),
      group_(group) {
  QAT_CHECK(iterations_ > 0, recipe.data.path, ": split '", recipe.data.train_split,
            "' has fewer images than one batch");
  // Ranks that observe different batches must combine what they saw after each step.
  QAT_CHECK(group == nullptr || qat.observer_freeze_epoch == 0 || observers_combine_every_step(student.quantizers()),
            "qat.observer_freeze_epoch ", qat.observer_freeze_epoch, " on ", group->world_size(),
            " ranks needs observers whose statistics combine across ranks (minmax, ema_minmax); "
            "set qat.observer_freeze_epoch: 0 or change quant.activations.observer");
}

QatEpoch QatLoop::train_epoch(int64_t epoch) {
  // Activation ranges follow the student until the freeze epoch, then stay fixed.
  student_.quantizers().set_mode(epoch < q_.observer_freeze_epoch ? quant::QuantizerMode::train_observing
                                                                 : quant::QuantizerMode::train);
  QatEpoch rec;
  Progress progress(fmt::format("qat epoch {}/{} iter", epoch + 1, q_.epochs), iterations_,
                    (q_.epochs - epoch - 1) * iterations_);
  train_loader_.begin_epoch(epoch);
  int64_t it = 0;
  const int64_t skipped_before = bad_batches_.skipped();
  for (; auto batch = train_loader_.next(); ++it) {
    throw_if_interrupted();
    const double step_lr = schedule_.at(static_cast<double>(epoch) + static_cast<double>(it) / iterations_);
    auto parts = step_.losses(batch->images, batch->targets);
    const double loss_value = parts.total.item<double>();
    optimizer_->zero_grad();
    if (!bad_batches_.loss_ok(loss_value, epoch, it)) continue;
    backward(gradient_sync_.get(), parts.total);
    if (!bad_batches_.gradients_ok(params_, epoch, it)) {
      optimizer_->zero_grad();
      continue;
    }
    optimizer_->step(step_lr);
    average_buffers(group_, student_.detector().graph);
    if (epoch < q_.observer_freeze_epoch) combine_observers(group_, student_.quantizers());
    rec.lr = step_lr;
    rec.loss += loss_value;
    for (const auto& [k, v] : parts.values) rec.loss_parts[k] += v;
    progress.update(it + 1, {{"loss", rec.loss / static_cast<double>(it + 1)}, {"lr", step_lr, 5}});
  }
  const int64_t stepped = std::max<int64_t>(1, it - (bad_batches_.skipped() - skipped_before));
  rec.loss /= stepped;
  for (auto& [k, v] : rec.loss_parts) v /= stepped;
  std::vector<double*> figures{&rec.loss};
  for (auto& [k, v] : rec.loss_parts) figures.push_back(&v);  // the same keys, in order, on every rank
  average_values(group_, figures);
  return rec;
}

std::string epoch_name(const QatResult& result, std::optional<size_t> index) {
  if (!index) return "-";
  const std::optional<int64_t>& epoch = result.history[*index].epoch;
  return epoch ? "qat epoch " + std::to_string(*epoch + 1) : std::string("the PTQ model");
}

// Picks the epoch (select_epoch) and leaves the student holding it.
void select_and_restore(QatResult& result, const std::vector<Snapshot>& snapshots, QuantizedStudent& student,
                        const QatSection& q) {
  select_epoch(result);
  if (!result.selected) {
    logger().warn("no epoch passed the gate ({})", q.gate);
    return;
  }
  restore(student, snapshots[*result.selected]);
  const auto& e = result.history[*result.selected];
  logger().info("selected {} (threshold {:.2f}, {} {:.4f}); lowest loss was {}", epoch_name(result, result.selected),
                e.threshold, q.objective, e.objective, epoch_name(result, result.lowest_loss));
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

QatResult train_qat(RunContext& ctx, QuantizedStudent& student, const QatSection& q) {
  const Recipe& recipe = ctx.recipe();
  QatResult result;
  result.gate = ctx.gate();
  const auto train_loader = ctx.loader(LoaderPurpose::train, LoaderPhase::qat);
  const auto val_loader = ctx.loader(LoaderPurpose::eval, LoaderPhase::qat);
  const model::Detector& teacher = ctx.teacher();
  const double t = recipe.eval.score_threshold;
  const DetectionSet& teacher_set = ctx.teacher_val_detections();
  auto measured = [&](std::optional<int64_t> epoch) {
    return measure(epoch, teacher_set, student, teacher.info, *val_loader, ctx.group(), recipe, q, result.gate);
  };

  // The PTQ starting point is a candidate too: QAT has to beat it.
  std::vector<Snapshot> snapshots;
  const auto ptq_start = Clock::now();
  QatEpoch ptq = measured(std::nullopt);
  ptq.seconds = seconds_since(ptq_start);
  log_epoch(ptq, t);
  if (ptq.at_teacher_threshold.teacher_count == 0 && !ptq.verdict_at_teacher_threshold.passed) {
    logger().warn("{}", metrics::refusal_text(ptq.at_teacher_threshold, ptq.verdict_at_teacher_threshold, t,
                                              recipe.data.val_split, "eval.score_threshold"));
  }
  result.history.push_back(ptq);
  snapshots.push_back(take(student));

  QatLoop loop(recipe, q, teacher, student, *train_loader, ctx.group());
  student.executor().set_training(true);
  for (int64_t epoch = 0; epoch < q.epochs; ++epoch) {
    const auto start = Clock::now();
    const QatEpoch rec = loop.train_epoch(epoch);
    throw_if_interrupted();
    QatEpoch e = measured(epoch);
    e.lr = rec.lr;
    e.loss = rec.loss;
    e.loss_parts = rec.loss_parts;
    e.seconds = seconds_since(start);
    logger().info("qat epoch {}/{}: loss {:.4f} in {:.0f} s", epoch + 1, q.epochs, e.loss, e.seconds);
    log_epoch(e, t);
    result.history.push_back(e);
    snapshots.push_back(take(student));
  }
  student.executor().set_training(false);
  select_and_restore(result, snapshots, student, q);
  return result;
}

}  // namespace qat::train
