#include "qat/train/run_context.h"

#include "qat/core/error.h"
#include "qat/graph/executor.h"
#include "qat/dist/device.h"
#include "qat/dist/process_group.h"

namespace qat::train {

namespace {

at::Device run_device(const Recipe& recipe) {
  const auto env = dist::launch_env_from_environment();
  return dist::resolve_device(recipe.distributed.device, env ? env->local_rank : 0);
}

}  // namespace

RunContext::RunContext(const Recipe& recipe)
    : recipe_(recipe),
      layout_(recipe),
      run_layout_(recipe),
      loaders_(recipe.data, recipe.seed),
      device_(run_device(recipe)) {}

RunContext::~RunContext() = default;

void RunContext::join(dist::Group& group, const std::string& scratch_dir) {
  group_ = &group;
  if (!group.writes()) layout_ = RunLayout(scratch_dir);
}

const data::DetectionDataset& RunContext::train_set() {
  if (!train_set_) train_set_.emplace(recipe_.data.path, recipe_.data.train_split);
  return *train_set_;
}

const data::DetectionDataset& RunContext::val_set() {
  if (!val_set_) val_set_.emplace(recipe_.data.path, recipe_.data.val_split);
  return *val_set_;
}

std::unique_ptr<data::DataLoader> RunContext::loader(LoaderPurpose purpose, LoaderPhase phase) {
  const data::DetectionDataset& split = purpose == LoaderPurpose::eval ? val_set() : train_set();
  data::LoaderOptions o = loaders_.options(purpose, phase);
  o.device = device_;
  // Each rank trains on its shard of the order every rank computes, and runs the model
  // on its shard of the val split (collect_detections gathers the detections, for
  // behaviour and mAP); calibration decides for itself (ptq_phase).
  if (group_ != nullptr && (purpose == LoaderPurpose::train || purpose == LoaderPurpose::eval)) {
    o.shard_rank = group_->rank();
    o.shard_count = group_->world_size();
  }
  return std::make_unique<data::DataLoader>(split, o);
}

const metrics::Gate& RunContext::gate() {
  if (!gate_) gate_ = metrics::Gate::load(recipe_.qat.gate);
  return *gate_;
}

void RunContext::set_teacher(model::Detector teacher) {
  QAT_ASSERT(teacher_ == nullptr, "the teacher is set once");
  teacher_ = std::make_unique<model::Detector>(std::move(teacher));
  teacher_->graph.to_device(device_);
  teacher_executor_ = std::make_unique<graph::Executor>(teacher_->graph);
  teacher_executor_->set_training(false);
}

const model::Detector& RunContext::teacher() const {
  QAT_ASSERT(teacher_ != nullptr, "no teacher yet");
  return *teacher_;
}

const graph::Executor& RunContext::teacher_executor() const {
  QAT_ASSERT(teacher_executor_ != nullptr, "no teacher yet");
  return *teacher_executor_;
}

const DetectionSet& RunContext::teacher_val_detections() {
  if (!teacher_val_detections_) {
    const auto val_loader = loader(LoaderPurpose::eval, LoaderPhase::check);
    teacher_val_detections_ = collect_detections(teacher_executor(), teacher().info, *val_loader, recipe_.eval,
                                                 recipe_.eval.score_threshold, "teacher detections images", group_);
  }
  return *teacher_val_detections_;
}

}  // namespace qat::train
