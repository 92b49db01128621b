#include "qat/recipe/recipe.h"

#include <filesystem>

#include "qat/core/atomic_file.h"
#include "qat/core/sha256.h"
#include "qat/core/yaml_map.h"
#include "qat/recipe/overrides.h"

namespace qat {

namespace {
// Run files are <name>.<suffix> (e.g. "<name>.fp32.ckpt.h5.tmp-<pid>"): leave room under NAME_MAX (255).
constexpr size_t kMaxNameChars = 200;
}  // namespace

Recipe Recipe::from_yaml(const YAML::Node& node, const KeyPath& path) {
  YamlMap m(node, path);
  Recipe r;
  r.file = path.file();
  const std::string stem = std::filesystem::path(r.file).stem().string();
  r.name = m.get("name", stem.empty() ? std::string("run") : stem);
  // The name is a file name inside output_dir: '.', '..' or a separator would write elsewhere.
  if (r.name.empty() || r.name == "." || r.name == ".." || r.name.find_first_of("/\\") != std::string::npos ||
      r.name.find('\0') != std::string::npos) {
    throw m.path("name").error(m.node("name"), "must be a non-empty file name, not '.' or '..', without '/' or '\\'");
  }
  if (r.name.size() > kMaxNameChars) {
    throw m.path("name").error(m.node("name"), "is " + std::to_string(r.name.size()) + " characters long; at most " +
                                                   std::to_string(kMaxNameChars) + " (file names in output_dir)");
  }
  r.seed = m.get_in<int64_t>("seed", r.seed, 0, int64_t(1) << 62);
  r.output_dir = m.get("output_dir", r.output_dir);
  r.data = DataSection::from_yaml(m.node("data"), m.path("data"));
  r.model = ModelSection::from_yaml(m.node("model"), m.path("model"));
  r.fp32 = Fp32Section::from_yaml(m.node("fp32"), m.path("fp32"));
  r.eval = EvalSection::from_yaml(m.node("eval"), m.path("eval"));
  r.quant = QuantSection::from_yaml(m.node("quant"), m.path("quant"));
  if (r.model.is_onnx()) {
    // The defaults name the native detector's nodes. For an imported model an empty
    // include means "every Conv/Gemm/MatMul but the head layers", found from the
    // graph (model::resolve_quant_region); the native excludes do not apply.
    const YAML::Node& quant = m.node("quant");
    if (!quant.IsMap() || !quant["include"].IsDefined()) r.quant.include.clear();
    if (!quant.IsMap() || !quant["exclude"].IsDefined()) r.quant.exclude.clear();
  }
  r.qat = QatSection::from_yaml(m.node("qat"), m.path("qat"));
  r.export_ = ExportSection::from_yaml(m.node("export"), m.path("export"));
  m.finish();
  // Threshold-weighted score distillation centres on the deployed threshold unless told otherwise.
  for (auto& loss : r.qat.losses) {
    if (loss.anchor_weight == "threshold" && loss.threshold == 0) loss.threshold = r.eval.score_threshold;
  }
  return r;
}

YAML::Node Recipe::to_yaml() const {
  YAML::Node n;
  n["name"] = name;
  n["seed"] = seed;
  n["output_dir"] = output_dir;
  n["data"] = data.to_yaml();
  n["model"] = model.to_yaml();
  n["fp32"] = fp32.to_yaml();
  n["eval"] = eval.to_yaml();
  n["quant"] = quant.to_yaml();
  n["qat"] = qat.to_yaml();
  n["export"] = export_.to_yaml();
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
