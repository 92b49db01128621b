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
#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/export/onnx_exporter.h"
#include "qat/graph/executor.h"
#include "qat/train/checkpoint.h"
#include "qat/loss/detection_loss.h"
#include "qat/train/evaluate.h"
#include "qat/train/lr_schedule.h"
#include "qat/train/optimizer.h"
#include "qat/train/weight_ema.h"
#include "train/bad_batches.h"

namespace qat::train {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string run_directory(const Recipe& recipe) {
  return (fs::path(recipe.output_dir) / recipe.name).string();
}

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

std::string clock_text(double seconds) {
  const int s = static_cast<int>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%d:%02d", s / 60, s % 60);
  return buf;
}

data::LoaderOptions loader_options(const Recipe& recipe, bool training) {
  data::LoaderOptions o;
  o.batch_size = recipe.data.batch_size;
  o.image_size = recipe.data.image_size;
  o.shuffle = training;
  o.hflip = training ? recipe.data.hflip : 0.0;
  o.seed = static_cast<uint64_t>(recipe.seed);
  o.prefetch = recipe.data.prefetch;
  o.drop_last = training;
  return o;
}

}  // namespace

Fp32Result train_fp32(const Recipe& recipe, const TrainOptions& options) {
  const auto& cfg = recipe.fp32;
  data::DetectionDataset train_set(recipe.data.path, recipe.data.train_split);
  data::DetectionDataset val_set(recipe.data.path, recipe.data.val_split);
  QAT_CHECK(train_set.class_names() == val_set.class_names(), recipe.data.path,
            ": splits disagree on class names");

  Fp32Result result;
  result.run_dir = run_directory(recipe);
  const InterruptScope interrupts;
  std::optional<RunLock> lock;
  if (options.lock_run_dir) {
    lock.emplace(result.run_dir);
    for (const auto& p : remove_stale_temp_files(result.run_dir)) logger().info("removed {} (its run is gone)", p);
  }
  const fs::path phase_dir = fs::path(result.run_dir) / "fp32";
  fs::create_directories(phase_dir);
  const std::string last_path = (phase_dir / "last.h5").string();
  const std::string best_path = (phase_dir / "best.h5").string();

  QAT_CHECK(!recipe.model.is_onnx(), "model.onnx: ", recipe.model.onnx,
            " is trained already; FP32 training applies to an architecture (model.arch)");
  const auto arch = model::load_arch(recipe.model.arch);
  result.detector = model::build_detector(arch, train_set.class_names(), recipe.data.image_size,
                                          static_cast<uint64_t>(recipe.seed));
  model::Detector& det = result.detector;
  graph::Executor exec(det.graph);
  // With weight EMA the average is what gets evaluated, kept and exported.
  model::Detector averaged;
  std::optional<WeightEma> ema;
  if (cfg.ema_decay > 0) {
    averaged = model::clone_detector(det);
    ema.emplace(averaged.graph, cfg.ema_decay, cfg.ema_tau);
  }
  const model::Detector& evaluated = ema ? averaged : det;
  graph::Executor eval_exec(evaluated.graph);
  eval_exec.set_training(false);

  OptimizerOptions opt_options;
  opt_options.momentum = cfg.momentum;
  opt_options.weight_decay = cfg.weight_decay;
  auto optimizer = optimizer_registry().get(cfg.optimizer)(det.graph.parameters(), opt_options);
  LrSchedule schedule{cfg.lr, cfg.warmup_epochs, 0.1, static_cast<double>(cfg.epochs), cfg.min_lr_ratio,
                      cfg.schedule == "cosine"};

  int64_t start_epoch = 0;
  if (options.resume && fs::exists(last_path)) {
    const Checkpoint ck = load_checkpoint(last_path);
    if (ck.recipe_hash != recipe.hash()) {
      throw IoError(last_path, "", "checkpoint was written by another recipe (hash " +
                                       ck.recipe_hash.substr(0, 12) + ", this recipe " +
                                       recipe.hash().substr(0, 12) + "); remove it or use that recipe");
    }
    if (ck.arch != arch.name) {
      throw IoError(last_path, "", "checkpoint is for architecture '" + ck.arch + "', not '" + arch.name + "'");
    }
    restore_weights(ck, det.graph, last_path);
    optimizer->load_state(ck.optimizer);
    if (ema) ema->load_state(ck.ema);
    if (ck.rng_state.defined()) {
      at::Generator gen = at::detail::getDefaultCPUGenerator();
      gen.set_state(ck.rng_state);
    }
    result.history = history_from_json(ck.history_json);
    start_epoch = ck.epoch + 1;
    logger().info("resuming {} from epoch {} ({})", recipe.name, start_epoch + 1, last_path);
  }
  for (const auto& r : result.history) {
    if (result.best_epoch < 0 || r.val_map50 > result.best_map50) {
      result.best_epoch = r.epoch;
      result.best_map50 = r.val_map50;
    }
  }

  data::DataLoader train_loader(train_set, loader_options(recipe, true));
  data::DataLoader val_loader(val_set, loader_options(recipe, false));
  const int64_t iterations = train_loader.batches_per_epoch();
  QAT_CHECK(iterations > 0, recipe.data.path, ": split '", recipe.data.train_split,
            "' has fewer images than one batch (", recipe.data.batch_size, ")");
  const auto anchor_points = det.anchor_points();
  const auto anchor_strides = det.anchor_strides();
  loss::DetectionLossOptions loss_options;
  BadBatches bad_batches("fp32", cfg.max_bad_batches, cfg.lr);

  logger().info("fp32: {} epochs of {} iterations, {} train / {} val images, {} classes", cfg.epochs,
                iterations, train_set.size(), val_set.size(), det.info.num_classes);
  const auto run_start = Clock::now();
  const int64_t end_epoch = options.max_epochs_this_run < 0
                                ? cfg.epochs
                                : std::min<int64_t>(cfg.epochs, start_epoch + options.max_epochs_this_run);
  for (int64_t epoch = start_epoch; epoch < end_epoch; ++epoch) {
    const auto epoch_start = Clock::now();
    auto last_log = epoch_start;
    exec.set_training(true);
    train_loader.begin_epoch(static_cast<int>(epoch));
    EpochRecord rec;
    rec.epoch = epoch;
    int64_t it = 0;
    const int64_t skipped_before = bad_batches.skipped();
    while (auto batch = train_loader.next()) {
      throw_if_interrupted();
      const double lr = schedule.at(static_cast<double>(epoch) + static_cast<double>(it) / iterations);
      const auto out = exec.run({{det.info.input, batch->images}}, {det.info.logits});
      const loss::LossParts loss = loss::detection_loss(out.at(det.info.logits), out.at(det.info.boxes), anchor_points,
                                                  anchor_strides, batch->targets, loss_options);
      const double loss_value = loss.total.item<double>();
      optimizer->zero_grad();
      if (!bad_batches.loss_ok(loss_value, epoch, it)) {
        ++it;
        continue;
      }
      loss.total.backward();
      if (!bad_batches.gradients_ok(det.graph.parameters(), epoch, it)) {
        optimizer->zero_grad();
        ++it;
        continue;
      }
      optimizer->step(lr);
      if (ema) ema->update(det.graph);
      rec.lr = lr;
      rec.loss += loss_value;
      rec.loss_cls += loss.cls.item<double>();
      rec.loss_box += loss.box.item<double>();
      ++it;
      const auto now = Clock::now();
      if (std::chrono::duration<double>(now - last_log).count() > 15 || it == iterations) {
        last_log = now;
        const double per_it = std::chrono::duration<double>(now - epoch_start).count() / it;
        const double left = per_it * ((iterations - it) + (cfg.epochs - epoch - 1) * iterations);
        logger().info("fp32 epoch {}/{} iter {}/{} loss {:.4f} lr {:.5f} eta {}", epoch + 1, cfg.epochs, it,
                      iterations, rec.loss / it, lr, clock_text(left));
      }
    }
    const int64_t stepped = std::max<int64_t>(1, it - (bad_batches.skipped() - skipped_before));
    rec.loss /= stepped;
    rec.loss_cls /= stepped;
    rec.loss_box /= stepped;
    throw_if_interrupted();

    exec.set_training(false);
    const Evaluation ev = evaluate_detector(eval_exec, det.info, val_loader, recipe.eval);
    rec.val_map50 = ev.map50;
    rec.val_recall_at_threshold = ev.recall_at_threshold_mean;
    rec.seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    result.history.push_back(rec);
    logger().info("fp32 epoch {}/{} done in {}: loss {:.4f} val mAP@0.5 {:.4f} recall@{:.2f} {:.4f}",
                  epoch + 1, cfg.epochs, clock_text(rec.seconds), rec.loss, rec.val_map50,
                  recipe.eval.score_threshold, rec.val_recall_at_threshold);

    Checkpoint ck;
    ck.epoch = epoch;
    ck.phase = "fp32";
    ck.recipe_hash = recipe.hash();
    ck.arch = arch.name;
    ck.rng_state = at::detail::getDefaultCPUGenerator().get_state();
    ck.history_json = history_json(result.history);
    ck.recipe_yaml = recipe.to_yaml_text();
    ck.class_names = train_set.class_names();
    if (result.best_epoch < 0 || rec.val_map50 > result.best_map50) {
      result.best_epoch = epoch;
      result.best_map50 = rec.val_map50;
      capture_weights(evaluated.graph, ck);  // best.h5 holds the weights that were evaluated
      save_checkpoint(best_path, ck);
    }
    // last.h5 resumes training: the live weights, their optimizer state and the average.
    capture_weights(det.graph, ck);
    ck.optimizer = optimizer->state();
    if (ema) ck.ema = ema->state();
    save_checkpoint(last_path, ck);
    write_file_atomic(phase_dir / "metrics.csv", history_csv(result.history));
    throw_if_interrupted();
  }
  if (end_epoch < cfg.epochs) {
    logger().info("fp32 stopped after epoch {} of {}; resume with --resume", end_epoch, cfg.epochs);
    return result;
  }
  logger().info("fp32 finished in {}: best epoch {} with val mAP@0.5 {:.4f}",
                clock_text(std::chrono::duration<double>(Clock::now() - run_start).count()),
                result.best_epoch + 1, result.best_map50);

  if (fs::exists(best_path)) restore_weights(load_checkpoint(best_path), det.graph, best_path);
  exporter::ExportOptions ex;
  ex.metadata["qat.recipe_hash"] = recipe.hash();
  ex.metadata["qat.phase"] = "fp32";
  exporter::export_onnx(det.graph, (phase_dir / "model.fp32.onnx").string(), ex);
  return result;
}

}  // namespace qat::train
