#include "qat/train/student_checkpoint.h"

#include "qat/core/error.h"
#include "qat/core/excerpt.h"

namespace qat::train {

void save_student_checkpoint(const std::string& path, const QuantizedStudent& student, const Recipe& recipe,
                             const std::vector<std::string>& class_names, std::optional<int64_t> epoch,
                             const std::map<std::string, quant::QParams>& output_qparams) {
  Checkpoint ck;
  ck.epoch = epoch;
  ck.phase = "qat";
  ck.recipe_hash = recipe.hash();
  ck.arch = student.detector().info.arch;
  ck.recipe_yaml = recipe.to_yaml_text();
  ck.class_names = class_names;
  capture_weights(student.detector().graph, ck);
  ck.qparams = student.quantizers().qparams();
  ck.output_qparams = output_qparams;
  save_checkpoint(path, ck);
}

void restore_student(const Checkpoint& ck, QuantizedStudent& student, const std::string& path) {
  if (ck.phase != "qat") throw IoError(path, "", "a '" + excerpt(ck.phase) + "' checkpoint, not a QAT student");
  restore_weights(ck, student.detector().graph, path);
  try {
    student.quantizers().set_qparams(ck.qparams);
  } catch (const Error& e) {
    throw IoError(path, "/qparams", e.message() + ": the checkpoint is for another region");
  }
}

}  // namespace qat::train
