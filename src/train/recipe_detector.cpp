#include "qat/train/recipe_detector.h"

#include <filesystem>

#include "qat/core/error.h"
#include "qat/model/arch_spec.h"
#include "qat/model/onnx_detector.h"
#include "qat/train/checkpoint.h"

namespace qat::train {
namespace fs = std::filesystem;

model::Detector fresh_detector(const Recipe& recipe, const std::vector<std::string>& class_names) {
  if (recipe.model.is_onnx()) return model::load_onnx_detector(recipe.model, class_names);
  return model::build_detector(model::load_arch(recipe.model.arch), class_names, recipe.data.image_size,
                               static_cast<uint64_t>(recipe.seed));
}

model::Detector load_fp32_detector(const Recipe& recipe, const std::vector<std::string>& class_names,
                                   const std::string& checkpoint) {
  // An imported model is the trained FP32 teacher already.
  if (recipe.model.is_onnx()) return fresh_detector(recipe, class_names);
  if (!fs::exists(checkpoint)) {
    throw IoError(checkpoint, "", "no FP32 checkpoint here; run `qat train " +
                                      (recipe.file.empty() ? std::string("RECIPE") : recipe.file) +
                                      " --phase fp32` first or pass --weights");
  }
  model::Detector det = fresh_detector(recipe, class_names);
  const Checkpoint ck = load_checkpoint(checkpoint);
  if (ck.arch != det.info.arch) {
    throw IoError(checkpoint, "", "checkpoint is for architecture '" + ck.arch + "', not '" + det.info.arch + "'");
  }
  restore_weights(ck, det.graph, checkpoint);
  return det;
}

}  // namespace qat::train
