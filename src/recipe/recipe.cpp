#include "qat/recipe/recipe.h"

#include <filesystem>

#include "qat/core/atomic_file.h"
#include "qat/core/sha256.h"
#include "qat/core/yaml_map.h"
#include "qat/recipe/overrides.h"
#include "qat/recipe/recipe_fields.h"

namespace qat {

namespace {
// Run files are <name>.<suffix> (e.g. "<name>.fp32.ckpt.h5.tmp-<pid>"): leave room under NAME_MAX (255).
constexpr size_t kMaxNameChars = 200;
}  // namespace

const FieldTable<Recipe>& recipe_fields() {
  using S = Recipe;
  static const FieldTable<S> table(
      {
          field("name", &S::name, "run name; artifacts go to <output_dir>/<name>/").then([](S& r, YamlMap& m) {
            // The name is a file name inside output_dir: '.', '..' or a separator would write elsewhere.
            if (r.name.empty() || r.name == "." || r.name == ".." ||
                r.name.find_first_of("/\\") != std::string::npos || r.name.find('\0') != std::string::npos) {
              throw m.path("name").error(m.node("name"),
                                         "must be a non-empty file name, not '.' or '..', without '/' or '\\'");
            }
            if (r.name.size() > kMaxNameChars) {
              throw m.path("name").error(m.node("name"), "is " + std::to_string(r.name.size()) +
                                                             " characters long; at most " +
                                                             std::to_string(kMaxNameChars) + " (file names in output_dir)");
            }
          }),
          field("seed", &S::seed, in<int64_t>(0, int64_t(1) << 62), "seeds initialization, shuffling and augmentation"),
          field("output_dir", &S::output_dir, "where runs are written"),
          section("data", &S::data, data_fields(), "the dataset and how batches are made"),
          section("model", &S::model, model_fields(), "the detector"),
          section("fp32", &S::fp32, fp32_fields(), "the FP32 warm-start phase"),
          section("eval", &S::eval, eval_fields(), "how detections are produced and matched"),
          section("quant", &S::quant, quant_fields(), "the quantized region and its quantizers")
              .then([](S& r, YamlMap& m) {
                if (!r.model.is_onnx()) return;
                // The defaults name the native detector's nodes. For an imported model an empty
                // include means "every Conv/Gemm/MatMul but the head layers", found from the
                // graph (model::resolve_quant_region); the native excludes do not apply.
                const YAML::Node& quant = m.node("quant");
                if (!quant.IsMap() || !quant["include"].IsDefined()) r.quant.include.clear();
                if (!quant.IsMap() || !quant["exclude"].IsDefined()) r.quant.exclude.clear();
              }),
          section("qat", &S::qat, qat_fields(), "fine-tuning the fake-quantized student"),
          section("export", &S::export_, export_fields(), "the Q/DQ ONNX export")
              .then([](S& r, YamlMap& m) {
                if (!r.model.is_onnx()) return;
                // An imported model exports at its own opset (export_opset in recipe/recipe_check.h reads it from
                // the file when the model is opened): a lower one may not have its ops' meaning.
                const YAML::Node& exp = m.node("export");
                if (!exp.IsMap() || !exp["opset"].IsDefined()) r.export_.opset = 0;
              }),
          section("distributed", &S::distributed, distributed_fields(),
                  "how the ranks of a data-parallel run talk (docs/distributed.md)"),
      },
      [](S& r, YamlMap& m) {
        r.file = m.path().file();
        const std::string stem = std::filesystem::path(r.file).stem().string();
        r.name = stem.empty() ? std::string("run") : stem;
      });
  return table;
}

std::vector<FieldDoc> recipe_field_docs() { return recipe_fields().docs(); }

Recipe Recipe::from_yaml(const YAML::Node& node, const KeyPath& path) {
  Recipe r = recipe_fields().from_yaml(node, path);
  // Threshold-weighted score distillation centres on the deployed threshold unless told otherwise.
  for (auto& loss : r.qat.losses) {
    if (loss.anchor_weight == "threshold" && loss.threshold == 0) loss.threshold = r.eval.score_threshold;
  }
  return r;
}

YAML::Node Recipe::to_yaml() const {
  YAML::Node n = recipe_fields().write(*this);
  if (export_.opset == 0) n["export"].remove("opset");  // the imported model's own, read again as not given
  // How ranks talk changes no result: left out at its defaults, so recipes (and their
  // hashes, which checkpoints carry) read as before the section existed.
  if (distributed == DistributedSection{}) n.remove("distributed");
  return n;
}

std::string Recipe::to_yaml_text() const {
  YAML::Emitter out;
  out << to_yaml();
  return std::string(out.c_str()) + "\n";
}

std::string Recipe::hash() const { return sha256_hex(to_yaml_text()); }

Recipe load_recipe(const std::string& file, const std::vector<std::string>& overrides) {
  auto source = std::make_shared<YamlSource>(YamlSource{file, {}});
  YAML::Node root = load_yaml_file(file);
  for (const auto& o : overrides) apply_override(root, o, *source);
  return Recipe::from_yaml(root, KeyPath(source));
}

}  // namespace qat
