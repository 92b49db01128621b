#include "qat/train/fp32_trainer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/interrupt.h"
#include "qat/core/run_lock.h"
#include "qat/core/logging.h"
#include "qat/core/progress.h"
#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/dist/gradient_sync.h"
#include "qat/dist/process_group.h"
#include "qat/export/onnx_exporter.h"
#include "qat/graph/executor.h"
#include "qat/train/checkpoint.h"
#include "qat/loss/detection_loss.h"
#include "qat/train/evaluate.h"
#include "qat/train/lr_schedule.h"
#include "qat/train/optimizer.h"
#include "qat/train/recipe_detector.h"
#include "qat/train/run_context.h"
#include "qat/train/weight_ema.h"
#include "qat/train/bad_batches.h"
#include "train/distributed.h"

namespace qat::train {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string history_csv(const std::vector<EpochRecord>& history) {
  std::ostringstream out;
  out << "epoch,lr,loss,loss_cls,loss_box,val_map50,val_recall_at_threshold,seconds\n";
  for (const auto& r : history) {
    out << r.epoch << ',' << r.lr << ',' << r.loss << ',' << r.loss_cls << ',' << r.loss_box << ','
        << r.val_map50 << ',' << r.val_recall_at_threshold << ',' << r.seconds << '\n';
  }
  return out.str();
}

std::string history_json(const std::vector<EpochRecord>& history) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : history) {
    j.push_back({{"epoch", r.epoch}, {"lr", r.lr}, {"loss", r.loss}, {"loss_cls", r.loss_cls},
                 {"loss_box", r.loss_box}, {"val_map50", r.val_map50},
                 {"val_recall_at_threshold", r.val_recall_at_threshold}, {"seconds", r.seconds}});
  }
  return j.dump();
}

std::vector<EpochRecord> history_from_json(const std::string& text) {
  std::vector<EpochRecord> out;
  if (text.empty()) return out;
  for (const auto& j : nlohmann::json::parse(text)) {
    EpochRecord r;
    r.epoch = j.at("epoch");
    r.lr = j.at("lr");
    r.loss = j.at("loss");
    r.loss_cls = j.at("loss_cls");
    r.loss_box = j.at("loss_box");
    r.val_map50 = j.at("val_map50");
    r.val_recall_at_threshold = j.at("val_recall_at_threshold");
    r.seconds = j.at("seconds");
    out.push_back(r);
  }
  return out;
}

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One FP32 training run: the detector, its optional weight average, the optimizer
// and the schedule, and the loop over epochs that checkpoints each one.
class Fp32Training {
 public:
  Fp32Training(RunContext& context, Fp32Result& result);
  /// Continues from fp32/last.h5 (the live weights, optimizer, average, RNG and history).
  int64_t resume();
  /// Opens the loaders (after a resume has restored the RNG) and logs the plan.
  void prepare();
  /// Trains epoch `epoch` on the train split; the record's losses are per stepped batch.
  EpochRecord train_epoch(int64_t epoch);
  /// Evaluates the kept weights on the val split and checkpoints the epoch.
  void finish_epoch(EpochRecord rec);

 private:
  RunContext& ctx_;
  const Recipe& recipe_;
  const Fp32Section& cfg_;
  Fp32Result& result_;
  model::Detector& det_;
  graph::Executor exec_;
  // With weight EMA the average is what gets evaluated, kept and exported.
  model::Detector averaged_;
  std::optional<WeightEma> ema_;
  const model::Detector& evaluated_;
  graph::Executor eval_exec_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<dist::GradientSync> gradient_sync_;  // set in a data-parallel run
  LrSchedule schedule_;
  std::unique_ptr<data::DataLoader> train_loader_, val_loader_;
  int64_t iterations_ = 0;
  at::Tensor anchor_points_, anchor_strides_;
  BadBatches bad_batches_;
};

// Built from the recipe with fresh weights (deterministic for its seed).
model::Detector& build_into(Fp32Result& result, RunContext& ctx) {
  result.detector = fresh_detector(ctx.recipe(), ctx.class_names());
  result.detector.graph.to_device(ctx.device());
  return result.detector;
}

Fp32Training::Fp32Training(RunContext& context, Fp32Result& result)
    : ctx_(context),
      recipe_(context.recipe()),
      cfg_(context.recipe().fp32),
      result_(result),
      det_(build_into(result, context)),
      exec_(det_.graph),
      averaged_(cfg_.ema_decay > 0 ? model::clone_detector(det_) : model::Detector{}),
      evaluated_(cfg_.ema_decay > 0 ? averaged_ : det_),
      eval_exec_(evaluated_.graph),
      schedule_{cfg_.lr, cfg_.warmup_epochs, 0.1, static_cast<double>(cfg_.epochs), cfg_.min_lr_ratio,
                cfg_.schedule == LrScheduleKind::cosine},
      bad_batches_("fp32", cfg_.max_bad_batches, cfg_.lr, context.group()) {
  if (cfg_.ema_decay > 0) ema_.emplace(averaged_.graph, cfg_.ema_decay, cfg_.ema_tau);
  eval_exec_.set_training(false);
  OptimizerOptions opt_options;
  opt_options.momentum = cfg_.momentum;
  opt_options.weight_decay = cfg_.weight_decay;
  optimizer_ = optimizer_registry().get(cfg_.optimizer)(det_.graph.parameters(), opt_options);
  gradient_sync_ = gradient_sync(ctx_.group(), det_.graph.parameters());
}

int64_t Fp32Training::resume() {
  const std::string& last_path = ctx_.run_layout().fp32_last;  // rank 0's, on every rank
  const Checkpoint ck = load_checkpoint(last_path);
  if (ck.recipe_hash != recipe_.hash()) {
    throw IoError(last_path, "", "checkpoint was written by another recipe (hash " + ck.recipe_hash.substr(0, 12) +
                                     ", this recipe " + recipe_.hash().substr(0, 12) +
                                     "); remove it or use that recipe");
  }
  if (ck.arch != det_.info.arch) {
    throw IoError(last_path, "", "checkpoint is for architecture '" + ck.arch + "', not '" + det_.info.arch + "'");
  }
  restore_weights(ck, det_.graph, last_path);
  optimizer_->load_state(ck.optimizer);
  if (ema_) ema_->load_state(ck.ema);
  if (ck.rng_state.defined()) {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    gen.set_state(ck.rng_state);
  }
  result_.history = history_from_json(ck.history_json);
  const int64_t next_epoch = ck.epoch ? *ck.epoch + 1 : 0;
  logger().info("resuming {} from epoch {} ({})", recipe_.name, next_epoch + 1, last_path);
  return next_epoch;
}

void Fp32Training::prepare() {
  train_loader_ = ctx_.loader(LoaderPurpose::train, LoaderPhase::fp32);
  val_loader_ = ctx_.loader(LoaderPurpose::eval, LoaderPhase::fp32);
  iterations_ = train_loader_->batches_per_epoch();
  QAT_CHECK(iterations_ > 0, recipe_.data.path, ": split '", recipe_.data.train_split,
            "' has fewer images than one batch (", recipe_.data.batch_size, ")");
  anchor_points_ = det_.anchor_points();
  anchor_strides_ = det_.anchor_strides();
  logger().info("fp32: {} epochs of {} iterations, {} train / {} val images, {} classes", cfg_.epochs, iterations_,
                ctx_.train_set().size(), ctx_.val_set().size(), det_.info.num_classes);
}

EpochRecord Fp32Training::train_epoch(int64_t epoch) {
  const auto epoch_start = Clock::now();
  Progress progress(fmt::format("fp32 epoch {}/{} iter", epoch + 1, cfg_.epochs), iterations_,
                    (cfg_.epochs - epoch - 1) * iterations_);
  exec_.set_training(true);
  train_loader_->begin_epoch(static_cast<int>(epoch));
  EpochRecord rec;
  rec.epoch = epoch;
  int64_t it = 0;
  const int64_t skipped_before = bad_batches_.skipped();
  const loss::DetectionLossOptions loss_options;
  for (; auto batch = train_loader_->next(); ++it) {
    throw_if_interrupted();
    const double lr = schedule_.at(static_cast<double>(epoch) + static_cast<double>(it) / iterations_);
    const auto out = exec_.run({{det_.info.input, batch->images}}, {det_.info.logits});
    const loss::LossParts loss = loss::detection_loss(out.at(det_.info.logits), out.at(det_.info.boxes), anchor_points_,
                                          anchor_strides_, batch->targets, loss_options);
    const double loss_value = loss.total.item<double>();
    optimizer_->zero_grad();
    if (!bad_batches_.loss_ok(loss_value, epoch, it)) continue;
    backward(gradient_sync_.get(), loss.total);
    if (!bad_batches_.gradients_ok(det_.graph.parameters(), epoch, it)) {
      optimizer_->zero_grad();
      continue;
    }
    optimizer_->step(lr);
    average_buffers(ctx_.group(), det_.graph);
    if (ema_) ema_->update(det_.graph);
    rec.lr = lr;
    rec.loss += loss_value;
    rec.loss_cls += loss.cls.item<double>();
    rec.loss_box += loss.box.item<double>();
    progress.update(it + 1, {{"loss", rec.loss / (it + 1)}, {"lr", lr, 5}});
  }
  const int64_t stepped = std::max<int64_t>(1, it - (bad_batches_.skipped() - skipped_before));
  rec.loss /= stepped;
  rec.loss_cls /= stepped;
  rec.loss_box /= stepped;
  average_values(ctx_.group(), {&rec.loss, &rec.loss_cls, &rec.loss_box});
  rec.seconds = seconds_since(epoch_start);  // the evaluation adds to it (finish_epoch)
  return rec;
}

void Fp32Training::finish_epoch(EpochRecord rec) {
  const auto eval_start = Clock::now();
  exec_.set_training(false);
  const Evaluation ev = evaluate_detector(eval_exec_, det_.info, *val_loader_, recipe_.eval, ctx_.group());
  rec.val_map50 = ev.map50;
  rec.val_recall_at_threshold = ev.recall_at_threshold_mean;
  rec.seconds += seconds_since(eval_start);
  result_.history.push_back(rec);
  logger().info("fp32 epoch {}/{} done in {}: loss {:.4f} val mAP@0.5 {:.4f} recall@{:.2f} {:.4f}", rec.epoch + 1,
                cfg_.epochs, clock_text(rec.seconds), rec.loss, rec.val_map50, recipe_.eval.score_threshold,
                rec.val_recall_at_threshold);

  const RunLayout& layout = ctx_.layout();
  Checkpoint ck;
  ck.epoch = rec.epoch;
  ck.phase = "fp32";
  ck.recipe_hash = recipe_.hash();
  ck.arch = det_.info.arch;
  ck.rng_state = at::detail::getDefaultCPUGenerator().get_state();
  ck.history_json = history_json(result_.history);
  ck.recipe_yaml = recipe_.to_yaml_text();
  ck.class_names = ctx_.class_names();
  if (!result_.best_epoch || rec.val_map50 > result_.best_map50) {
    result_.best_epoch = rec.epoch;
    result_.best_map50 = rec.val_map50;
    capture_weights(evaluated_.graph, ck);  // best.h5 holds the weights that were evaluated
    save_checkpoint(layout.fp32_best, ck);
  }
  // last.h5 resumes training: the live weights, their optimizer state and the average.
  capture_weights(det_.graph, ck);
  ck.optimizer = optimizer_->state();
  if (ema_) ck.ema = ema_->state();
  save_checkpoint(layout.fp32_last, ck);
  write_file_atomic(layout.fp32_metrics, history_csv(result_.history));
}

// Both splits open, with the same classes.
void check_splits(RunContext& ctx) {
  QAT_CHECK(ctx.train_set().class_names() == ctx.val_set().class_names(), ctx.recipe().data.path,
            ": splits disagree on class names");
}

}  // namespace

Fp32Result train_fp32(RunContext& ctx, const TrainOptions& options) {
  const Recipe& recipe = ctx.recipe();
  const auto& cfg = recipe.fp32;
  check_splits(ctx);
  Fp32Result result;
  result.run_dir = ctx.layout().dir;
  fs::create_directories(ctx.layout().fp32_dir);
  QAT_CHECK(!recipe.model.is_onnx(), "model.onnx: ", recipe.model.onnx,
            " is trained already; FP32 training applies to an architecture (model.arch)");
  Fp32Training training(ctx, result);
  int64_t start_epoch = 0;
  if (options.resume && fs::exists(ctx.run_layout().fp32_last)) start_epoch = training.resume();
  for (const auto& r : result.history) {
    if (!result.best_epoch || r.val_map50 > result.best_map50) {
      result.best_epoch = r.epoch;
      result.best_map50 = r.val_map50;
    }
  }
  training.prepare();
  const auto run_start = Clock::now();
  const int64_t end_epoch = options.max_epochs_this_run
                                ? std::min<int64_t>(cfg.epochs, start_epoch + *options.max_epochs_this_run)
                                : cfg.epochs;
  for (int64_t epoch = start_epoch; epoch < end_epoch; ++epoch) {
    EpochRecord rec = training.train_epoch(epoch);
    throw_if_interrupted();
    training.finish_epoch(rec);
    throw_if_interrupted();
  }
  if (end_epoch < cfg.epochs) {
    logger().info("fp32 stopped after epoch {} of {}; resume with --resume", end_epoch, cfg.epochs);
    return result;
  }
  result.finished = true;
  logger().info("fp32 finished in {}: best epoch {} with val mAP@0.5 {:.4f}", clock_text(seconds_since(run_start)),
                result.best_epoch ? *result.best_epoch + 1 : 0, result.best_map50);
  // Every rank takes the best epoch rank 0 kept (a resumed run's may predate this run).
  if (ctx.group() != nullptr) ctx.group()->barrier("the end of the FP32 phase");
  const std::string& best_path = ctx.run_layout().fp32_best;
  if (fs::exists(best_path)) restore_weights(load_checkpoint(best_path), result.detector.graph, best_path);
  return result;
}

void export_fp32_onnx(const RunContext& ctx, const Fp32Result& fp32) {
  exporter::ExportOptions ex;
  ex.metadata["qat.recipe_hash"] = ctx.recipe().hash();
  ex.metadata["qat.phase"] = "fp32";
  exporter::export_onnx(fp32.detector.graph, ctx.layout().fp32_onnx, ex);
}

Fp32Result train_fp32(const Recipe& recipe, const TrainOptions& options) {
  const std::unique_ptr<dist::Group> group = dist::join_from_environment(recipe.distributed);
  const InterruptScope interrupts;
  const RankScratch scratch(group.get());
  RunContext ctx(recipe);
  if (group != nullptr) ctx.join(*group, scratch.dir());
  check_splits(ctx);
  const RunLock lock(ctx.layout().dir);
  for (const auto& p : remove_stale_temp_files(ctx.layout().dir)) logger().info("removed {} (its run is gone)", p);
  Fp32Result result = train_fp32(ctx, options);
  if (result.finished) export_fp32_onnx(ctx, result);
  return result;
}

}  // namespace qat::train
