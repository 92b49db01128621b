#include "qat/train/run_context.h"

#include <cmath>
#include <iostream>

#include "dist/two_ranks.h"
#include "qat/core/error.h"
#include "qat/core/run_lock.h"
#include "qat/dist/process_group.h"
#include "qat/graph/executor.h"
#include "qat/train/evaluate.h"
#include "qat/train/loader_factory.h"
#include "qat/train/recipe_detector.h"
#include "qat/train/run_layout.h"
#include "support/test_support.h"

namespace qat::train {
namespace {

DataSection data_section() {
  DataSection d;
  d.batch_size = 6;
  d.image_size = 64;
  d.prefetch = 5;
  d.hflip = 0.25;
  return d;
}

void expect_options(const data::LoaderOptions& o, bool shuffle, double hflip, uint64_t seed, int64_t prefetch,
                    bool drop_last) {
  EXPECT_EQ(o.batch_size, 6);
  EXPECT_EQ(o.image_size, 64);
  EXPECT_EQ(o.shuffle, shuffle);
  EXPECT_EQ(o.hflip, hflip);
  EXPECT_EQ(o.seed, seed);
  EXPECT_EQ(o.prefetch, prefetch);
  EXPECT_EQ(o.drop_last, drop_last);
  EXPECT_FALSE(o.limit.has_value());
}

// The yolo-nano teacher on tiny scenes written into `dir`, scoring from 0.01 (an
// untrained head scores about its prior, 0.01).
Recipe tiny_scenes_recipe(const testing::TempDir& dir, int64_t batch_size) {
  testing::write_tiny_scenes(dir.file("d.h5"));
  Recipe recipe;
  recipe.data.path = dir.file("d.h5");
  recipe.data.image_size = 64;
  recipe.data.batch_size = batch_size;
  recipe.model.arch = (testing::source_dir() / "configs/arch/yolo-nano.yaml").string();
  recipe.eval.score_threshold = 0.01;
  return recipe;
}

}  // namespace

// Each purpose in each phase, as the phases read before the factory (seed 7).
TEST(LoaderFactory, OptionsPerPurposeAndPhase) {
  const LoaderFactory f(data_section(), 7);
  struct Row {
    const char* name;
    LoaderPurpose purpose;
    LoaderPhase phase;
    bool shuffle;
    double hflip;
    uint64_t seed;
    int64_t prefetch;
    bool drop_last;
  };
  const Row rows[] = {
      {"train fp32", LoaderPurpose::train, LoaderPhase::fp32, true, 0.25, 7, 5, true},
      {"train qat: another order", LoaderPurpose::train, LoaderPhase::qat, true, 0.25, 8, 5, true},
      {"eval fp32", LoaderPurpose::eval, LoaderPhase::fp32, false, 0.0, 7, 5, false},
      {"eval qat", LoaderPurpose::eval, LoaderPhase::qat, false, 0.0, 8, 5, false},
      {"eval check: the loader's default read-ahead", LoaderPurpose::eval, LoaderPhase::check, false, 0.0, 7, 2,
       false},
      {"calibration", LoaderPurpose::calibration, LoaderPhase::check, true, 0.0, 7, 2, false},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.name);
    expect_options(f.options(r.purpose, r.phase), r.shuffle, r.hflip, r.seed, r.prefetch, r.drop_last);
  }
  const data::LoaderOptions ort = f.onnxruntime_options(200);
  EXPECT_EQ(ort.batch_size, 200);
  EXPECT_EQ(ort.image_size, 64);
  EXPECT_FALSE(ort.shuffle);
  EXPECT_EQ(ort.hflip, 0.0);
  EXPECT_EQ(ort.seed, 0u);
  EXPECT_EQ(ort.prefetch, 2);
  EXPECT_FALSE(ort.drop_last);
  const data::LoaderOptions samples = f.sample_options(4);
  EXPECT_EQ(samples.batch_size, 4);
  EXPECT_EQ(samples.limit.value_or(-1), 4);
  EXPECT_EQ(samples.image_size, 64);
  EXPECT_FALSE(samples.shuffle);
  EXPECT_EQ(samples.hflip, 0.0);
  EXPECT_EQ(samples.seed, 0u);
}

TEST(LoaderFactory, TrainingOutsideTrainingAndCalibrationInsideAreBugs) {
  const LoaderFactory f(data_section(), 0);
  EXPECT_THROW(f.options(LoaderPurpose::train, LoaderPhase::check), Error);
  EXPECT_THROW(f.options(LoaderPurpose::calibration, LoaderPhase::qat), Error);
}

TEST(RunLayout, EveryPathOfARun) {
  Recipe recipe;
  recipe.output_dir = "/runs";
  recipe.name = "tiny";
  const RunLayout l(recipe);
  EXPECT_EQ(l.dir, "/runs/tiny");
  EXPECT_EQ(run_directory(recipe), "/runs/tiny");
  EXPECT_EQ(l.fp32_dir, "/runs/tiny/fp32");
  EXPECT_EQ(l.fp32_last, "/runs/tiny/fp32/last.h5");
  EXPECT_EQ(l.fp32_best, "/runs/tiny/fp32/best.h5");
  EXPECT_EQ(l.fp32_metrics, "/runs/tiny/fp32/metrics.csv");
  EXPECT_EQ(l.fp32_onnx, "/runs/tiny/fp32/model.fp32.onnx");
  EXPECT_EQ(l.model, "/runs/tiny/model.int8.onnx");
  EXPECT_EQ(l.manifest, "/runs/tiny/model.int8.threshold.json");
  EXPECT_EQ(l.student, "/runs/tiny/qat/best.h5");
  EXPECT_EQ(l.rejected_model, "/runs/tiny/rejected.model.int8.onnx");
  EXPECT_EQ(l.rejected_student, "/runs/tiny/qat/rejected.best.h5");
  EXPECT_EQ(l.report, "/runs/tiny/report.json");
  EXPECT_EQ(l.metrics, "/runs/tiny/metrics.csv");
  EXPECT_EQ(l.html, "/runs/tiny/report.html");
  EXPECT_EQ(l.ptq_report, "/runs/tiny/ptq/report.json");
  EXPECT_EQ(l.sweep_report, "/runs/tiny/sweep/report.json");
  EXPECT_EQ(RunLayout::staged(l.student), "/runs/tiny/qat/" + staging_name("best.h5"));
}

// Nothing is read until asked for, so each command meets errors in its own order.
TEST(RunContext, OpensNothingUntilAsked) {
  testing::TempDir dir;
  Recipe recipe;
  recipe.data.path = dir.file("missing.h5");
  recipe.qat.gate = testing::write_gate(dir, "lenient");
  RunContext ctx(recipe);
  EXPECT_EQ(ctx.gate().min_recall, 0.0);
  EXPECT_THROW(ctx.train_set(), IoError);
  EXPECT_FALSE(ctx.has_teacher());
  EXPECT_THROW(ctx.teacher(), Error);
}

// The teacher's val detections are computed once, and equal a pass of the QAT
// phase's eval loader (its other seed and read-ahead change no batch).
TEST(RunContext, TeacherValDetectionsAreComputedOnce) {
  testing::TempDir dir;
  Recipe recipe = tiny_scenes_recipe(dir, 6);
  recipe.data.prefetch = 3;
  RunContext ctx(recipe);
  ctx.set_teacher(fresh_detector(recipe, ctx.class_names()));
  EXPECT_FALSE(ctx.teacher_executor().training());
  const DetectionSet& first = ctx.teacher_val_detections();
  EXPECT_EQ(&ctx.teacher_val_detections(), &first);
  ASSERT_EQ(static_cast<int64_t>(first.images.size()), ctx.val_set().size());
  const auto qat_eval = ctx.loader(LoaderPurpose::eval, LoaderPhase::qat);
  const DetectionSet again =
      collect_detections(ctx.teacher_executor(), ctx.teacher().info, *qat_eval, recipe.eval, 0.01);
  ASSERT_EQ(again.images.size(), first.images.size());
  int64_t detections = 0;
  for (const auto& d : first.images) detections += d.scores.numel();
  EXPECT_GT(detections, 0);  // an untrained head scores about 0.5 everywhere
  for (size_t i = 0; i < first.images.size(); ++i) {
    EXPECT_TRUE(at::equal(first.images[i].boxes, again.images[i].boxes)) << i;
    EXPECT_TRUE(at::equal(first.images[i].scores, again.images[i].scores)) << i;
    EXPECT_TRUE(at::equal(first.images[i].labels, again.images[i].labels)) << i;
  }
}

namespace {

void expect_same_sets(const DetectionSet& a, const DetectionSet& b) {
  EXPECT_EQ(a.score_floor, b.score_floor);
  ASSERT_EQ(a.images.size(), b.images.size());
  for (size_t i = 0; i < a.images.size(); ++i) {
    const auto& x = a.images[i];
    const auto& y = b.images[i];
    EXPECT_EQ(x.boxes.scalar_type(), y.boxes.scalar_type());
    EXPECT_EQ(x.labels.scalar_type(), y.labels.scalar_type());
    EXPECT_TRUE(at::equal(x.boxes, y.boxes) && at::equal(x.scores, y.scores) && at::equal(x.labels, y.labels))
        << "image " << i;
  }
}

void expect_same_stats(const metrics::BehaviourStats& a, const metrics::BehaviourStats& b) {
  EXPECT_EQ(a.teacher_count, b.teacher_count);
  EXPECT_EQ(a.student_count, b.student_count);
  EXPECT_EQ(a.matched, b.matched);
  EXPECT_EQ(a.recall, b.recall);
  EXPECT_EQ(a.precision_agreement, b.precision_agreement);
  EXPECT_EQ(a.median_iou, b.median_iou);
  EXPECT_EQ(a.confidence_mae, b.confidence_mae);
  EXPECT_EQ(a.recall_per_class, b.recall_per_class);
  EXPECT_EQ(a.teacher_per_class, b.teacher_per_class);
  EXPECT_EQ(a.misses.below_threshold, b.misses.below_threshold);
  EXPECT_EQ(a.misses.wrong_class, b.misses.wrong_class);
  EXPECT_EQ(a.misses.box, b.misses.box);
  EXPECT_EQ(a.misses.absent, b.misses.absent);
  EXPECT_EQ(a.missed_teacher_scores, b.missed_teacher_scores);
}

}  // namespace

// Two ranks (threads of this process on loopback) each run the teacher and a student
// over their shard of the val split (positions r, r + 2, ... in batches of 2) and
// gather: both hold the detections one process collects, tensor for tensor, and so
// the same behaviour figures to the last bit (the median IoU and the confidence MAE
// over the matches of the whole split, in image order).
TEST(RunContext, TwoRanksGatherTheValDetectionsOfOneProcess) {
  testing::TempDir dir;
  const Recipe recipe = tiny_scenes_recipe(dir, 2);
  const double floor = 0.005, student_threshold = 0.01;

  // Every context and model is made here, before the ranks start.
  RunContext one(recipe);
  std::vector<std::unique_ptr<RunContext>> ranks;
  std::vector<model::Detector> students;
  for (int r = 0; r < 3; ++r) {
    RunContext& ctx = r == 0 ? one : *ranks.emplace_back(std::make_unique<RunContext>(recipe));
    ctx.set_teacher(fresh_detector(recipe, ctx.class_names()));
    // The student: the teacher with its prediction layers' weights scaled (close boxes
    // and scores: most detections match, with IoUs and score errors that differ).
    model::Detector& student = students.emplace_back(fresh_detector(recipe, ctx.class_names()));
    at::NoGradGuard no_grad;
    for (auto& [name, t] : student.graph.parameters()) {
      if (name.find("_pred.weight") != std::string::npos) t.mul_(1.5);
    }
  }
  const model::DetectorInfo info = one.teacher().info;
  const int classes = static_cast<int>(info.num_classes);
  auto measure = [&](RunContext& ctx, const model::Detector& student, dist::Group* group,
                     DetectionSet& teacher_set, DetectionSet& student_set, metrics::BehaviourStats& stats) {
    graph::Executor exec(student.graph);
    exec.set_training(false);
    const auto loader = ctx.loader(LoaderPurpose::eval, LoaderPhase::check);
    if (group != nullptr) {
      EXPECT_LT(loader->images(), ctx.val_set().size());
    }
    teacher_set = ctx.teacher_val_detections();
    student_set = collect_detections(exec, info, *loader, recipe.eval, floor, "student", group);
    stats = behaviour(teacher_set, recipe.eval.score_threshold, student_set, student_threshold, classes,
                      recipe.eval.match_iou);
  };
  DetectionSet teacher_one, student_one;
  metrics::BehaviourStats stats_one;
  measure(one, students[0], nullptr, teacher_one, student_one, stats_one);
  ASSERT_EQ(static_cast<int64_t>(teacher_one.images.size()), one.val_set().size());
  ASSERT_GE(one.val_set().size(), 3);  // uneven shards: rank 0 reads one image more or as many
  EXPECT_GT(stats_one.matched, 1);  // measured: 213 of 219 teacher detections, median IoU 0.69
  EXPECT_LT(stats_one.matched, stats_one.teacher_count);
  EXPECT_GT(stats_one.confidence_mae, 0.0);

  DetectionSet teacher_sets[2], student_sets[2];
  metrics::BehaviourStats stats[2];
  dist::on_two_ranks(
      [&](dist::Group& group) {
        const auto r = static_cast<size_t>(group.rank());
        ranks[r]->join(group, dir.file("rank" + std::to_string(r)));
        measure(*ranks[r], students[r + 1], &group, teacher_sets[r], student_sets[r], stats[r]);
      },
      30);
  for (int r = 0; r < 2; ++r) {
    SCOPED_TRACE("rank " + std::to_string(r));
    expect_same_sets(teacher_sets[r], teacher_one);
    expect_same_sets(student_sets[r], student_one);
    expect_same_stats(stats[r], stats_one);
  }
}

namespace {

// Equal class by class, NaN (a class without ground truth) matching NaN.
void expect_same_per_class(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t c = 0; c < a.size(); ++c) {
    EXPECT_TRUE(a[c] == b[c] || (std::isnan(a[c]) && std::isnan(b[c])))
        << "class " << c << ": " << a[c] << " vs " << b[c];
  }
}

}  // namespace

// The FP32 phase's mAP on two ranks: each runs the model over its shard of the val
// split and the ranks gather the detections and the ground truth, so both score the
// whole split in one process's image order: the same figures to the last bit.
TEST(RunContext, TwoRanksEvaluateTheMapOfOneProcess) {
  testing::TempDir dir;
  const Recipe recipe = tiny_scenes_recipe(dir, 2);
  RunContext one(recipe);
  std::vector<std::unique_ptr<RunContext>> ranks;
  for (int r = 0; r < 3; ++r) {
    RunContext& ctx = r == 0 ? one : *ranks.emplace_back(std::make_unique<RunContext>(recipe));
    ctx.set_teacher(fresh_detector(recipe, ctx.class_names()));
  }
  auto evaluate = [&](RunContext& ctx, dist::Group* group) {
    const auto loader = ctx.loader(LoaderPurpose::eval, LoaderPhase::fp32);
    if (group != nullptr) {
      EXPECT_LT(loader->images(), ctx.val_set().size());
    }
    return evaluate_detector(ctx.teacher_executor(), ctx.teacher().info, *loader, recipe.eval, group);
  };
  const Evaluation e = evaluate(one, nullptr);
  EXPECT_EQ(e.images, one.val_set().size());
  EXPECT_GT(e.map50, 0.0);
  EXPECT_GT(e.recall_at_threshold_mean, 0.0);
  Evaluation by_rank[2];
  dist::on_two_ranks(
      [&](dist::Group& group) {
        const auto r = static_cast<size_t>(group.rank());
        ranks[r]->join(group, dir.file("rank" + std::to_string(r)));
        by_rank[r] = evaluate(*ranks[r], &group);
      },
      30);
  for (const Evaluation& x : by_rank) {
    EXPECT_EQ(x.images, e.images);
    EXPECT_EQ(x.map50, e.map50);
    EXPECT_EQ(x.recall_at_threshold_mean, e.recall_at_threshold_mean);
    expect_same_per_class(x.ap_per_class, e.ap_per_class);
    expect_same_per_class(x.recall_at_threshold, e.recall_at_threshold);
  }
  std::cout << "mAP@0.5 " << e.map50 << " recall " << e.recall_at_threshold_mean << " of " << e.images << " images\n";
}

}  // namespace qat::train
