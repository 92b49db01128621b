// What every phase of a run shares, built once from the recipe: the run's paths,
// the two splits, the loader factory, the behaviour gate, and the FP32 teacher
// with its executor and its detections on the val split (computed once).
// Parts are opened on first use, so a command reads only what it needs and
// errors come in the order the command asks (a bad gate before a missing split).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/metrics/gate.h"
#include "qat/model/detector.h"
#include "qat/recipe/recipe.h"
#include "qat/train/detection_set.h"
#include "qat/train/loader_factory.h"
#include "qat/train/run_layout.h"

namespace qat::graph { class Executor; }
namespace qat::dist { class Group; }

namespace qat::train {

class RunContext {
 public:
  /// `recipe` must outlive the context.
  explicit RunContext(const Recipe& recipe);
  ~RunContext();
  RunContext(const RunContext&) = delete;
  RunContext& operator=(const RunContext&) = delete;

  const Recipe& recipe() const { return recipe_; }
  /// Where this process writes: the run's directory, or a rank's scratch (join).
  const RunLayout& layout() const { return layout_; }
  /// The run's directory as rank 0 writes it, what every rank reads back (a resume's
  /// checkpoint, the best FP32 epoch); layout() itself in one process.
  const RunLayout& run_layout() const { return run_layout_; }
  const LoaderFactory& loaders() const { return loaders_; }

  /// Makes this process one rank of `group` (which must outlive the context): the train
  /// and eval loaders read the rank's shard, and a rank other than 0 keeps its
  /// files under `scratch_dir` (rank 0 alone writes the run). Without it: one process.
  void join(dist::Group& group, const std::string& scratch_dir);
  /// The process group of a data-parallel run, or nullptr.
  dist::Group* group() const { return group_; }
  /// Where this process's models and batches live (distributed.device, resolved for the
  /// launcher's LOCAL_RANK): the teacher, every model built from it and the batches of
  /// loader() are placed there.
  at::Device device() const { return device_; }

  /// The recipe's data.train_split and data.val_split (opened on first use).
  const data::DetectionDataset& train_set();
  const data::DetectionDataset& val_set();
  /// Opens both splits now, train first (a missing split fails before any work).
  void open_datasets() {
    train_set();
    val_set();
  }
  /// The class names of the train split.
  const std::vector<std::string>& class_names() { return train_set().class_names(); }
  /// A loader over the purpose's split (loaders.options(purpose, phase)).
  std::unique_ptr<data::DataLoader> loader(LoaderPurpose purpose, LoaderPhase phase);

  /// The behaviour gate of qat.gate (loaded on first use).
  const metrics::Gate& gate();

  /// The FP32 teacher: trained by this run, imported or loaded (set once).
  void set_teacher(model::Detector teacher);
  bool has_teacher() const { return teacher_ != nullptr; }
  const model::Detector& teacher() const;
  /// The teacher's executor, in eval mode.
  const graph::Executor& teacher_executor() const;
  /// The teacher's detections on the val split at eval.score_threshold, computed on
  /// first use with the check eval loader (in a data-parallel run each rank on its
  /// shard, then gathered: every rank holds the whole split's) and kept for every later
  /// phase.
  const DetectionSet& teacher_val_detections();

 private:
  const Recipe& recipe_;
  RunLayout layout_;
  RunLayout run_layout_;
  LoaderFactory loaders_;
  dist::Group* group_ = nullptr;
  at::Device device_;
  std::optional<data::DetectionDataset> train_set_, val_set_;
  std::optional<metrics::Gate> gate_;
  std::unique_ptr<model::Detector> teacher_;
  std::unique_ptr<graph::Executor> teacher_executor_;
  std::optional<DetectionSet> teacher_val_detections_;
};

}  // namespace qat::train
