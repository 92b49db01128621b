#include "qat/train/provenance_check.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <onnx/onnx_pb.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <map>
#include <memory>
#include <sstream>

#include "qat/core/error.h"
#include "qat/core/excerpt.h"
#include "qat/core/limits.h"
#include "qat/data/dataset.h"
#include "qat/data/loader.h"
#include "qat/export/onnx_exporter.h"
#include "qat/export/onnx_summary.h"
#include "qat/export/export_profile.h"
#include "qat/export/qdq_exporter.h"
#include "qat/model/imported_defaults.h"
#include "qat/recipe/recipe_check.h"
#include "qat/quant/quantize.h"
#include "qat/runtime/onnx_runtime.h"
#include "qat/train/checkpoint.h"
#include "qat/train/ptq.h"
#include "qat/train/recipe_detector.h"
#include "qat/train/run_context.h"
#include "qat/train/quantized_student.h"
#include "qat/train/student_checkpoint.h"

namespace qat::train {
namespace fs = std::filesystem;

namespace {

// A path stored in a checkpoint is input like any other: it must name a regular file of
// the expected kind, so a checkpoint cannot make qat read /etc/passwd or a device.
void check_stored_path(const std::string& checkpoint, const std::string& key, const std::string& path,
                       const std::vector<std::string>& extensions) {
  const std::string ext = fs::path(path).extension().string();
  std::string allowed;
  for (const auto& e : extensions) allowed += (allowed.empty() ? "" : " or ") + e;
  if (std::find(extensions.begin(), extensions.end(), ext) == extensions.end()) {
    throw IoError(checkpoint, "/recipe", key + " '" + excerpt(path) + "' is not a " + allowed + " file");
  }
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw IoError(checkpoint, "/recipe", key + " '" + excerpt(path) + "' is not a readable file");
  }
}

// The recipe that describes the checkpoint's model: its own when it records one.
Recipe model_recipe(const Checkpoint& ck, const ProvenanceOptions& o) {
  if (!ck.recipe_yaml.empty()) {
    YAML::Node node;
    try {
      node = YAML::Load(ck.recipe_yaml);
    } catch (const YAML::Exception& e) {
      throw IoError(o.checkpoint, "/recipe", "the stored recipe is not valid YAML: " + excerpt(e.msg));
    }
    Recipe r = Recipe::from_yaml(node, KeyPath(o.checkpoint + ":/recipe"));
    if (r.model.is_onnx()) {
      check_stored_path(o.checkpoint, "model.onnx", r.model.onnx, {".onnx"});
    } else {
      check_stored_path(o.checkpoint, "model.arch", r.model.arch, {".yaml", ".yml"});
    }
    return r;
  }
  if (o.recipe) return *o.recipe;
  throw IoError(o.checkpoint, "", "the checkpoint does not record its recipe (written by an older qat): pass --recipe");
}

// The inputs: the first images of --recipe's val split at the model's size, or random ones.
at::Tensor sample_images(const ProvenanceOptions& o, const RunContext& ctx, std::string& description) {
  const int64_t image_size = ctx.recipe().data.image_size;
  QAT_CHECK(o.samples > 0, "--samples must be positive, got ", o.samples);
  QAT_CHECK(o.samples <= limit_value(kMaxProvenanceSamples), "--samples ", o.samples, " is too many: ",
            describe_limit(kMaxProvenanceSamples));
  if (o.recipe) {
    RunContext given(*o.recipe);
    data::DataLoader loader(given.val_set(), ctx.loaders().sample_options(o.samples));
    loader.begin_epoch(0);
    auto batch = loader.next();
    QAT_CHECK(batch.has_value(), o.recipe->data.path, ": split '", o.recipe->data.val_split, "' has no images");
    description = std::to_string(batch->images.size(0)) + " images of " + o.recipe->data.path + " split '" +
                  o.recipe->data.val_split + "'";
    return batch->images;
  }
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  description = std::to_string(o.samples) + " random images (seed " + std::to_string(o.seed) + ")";
  return at::rand({o.samples, 3, image_size, image_size}, gen);
}

// Runs libtorch with oneDNN convolution off (ATen's native one) for its scope.
class NativeConvolutionGuard {
 public:
  NativeConvolutionGuard() : previous_(at::globalContext().userEnabledMkldnn()) {
    at::globalContext().setUserEnabledMkldnn(false);
  }
  ~NativeConvolutionGuard() { at::globalContext().setUserEnabledMkldnn(previous_); }
  NativeConvolutionGuard(const NativeConvolutionGuard&) = delete;
  NativeConvolutionGuard& operator=(const NativeConvolutionGuard&) = delete;

 private:
  bool previous_;
};

std::string metadata(const onnx::ModelProto& model, const std::string& key) {
  for (const auto& p : model.metadata_props()) {
    if (p.key() == key) return p.value();
  }
  return "";
}

}  // namespace

SelfSpread measure_spread(const std::string& between, const at::Tensor& a, const at::Tensor& b,
                          double base_tolerance) {
  QAT_CHECK(a.sizes() == b.sizes(), between, ": shapes ", a.sizes(), " and ", b.sizes(), " differ");
  SelfSpread s;
  s.between = between;
  if (a.numel() == 0) return s;
  const at::Tensor diff = (a.to(at::kDouble) - b.to(at::kDouble)).abs();
  s.max_abs_diff = diff.max().item<double>();
  s.beyond = (diff > base_tolerance).sum().item<int64_t>();
  return s;
}

OutputDiff judge_output(const std::string& name, const at::Tensor& libtorch, const at::Tensor& runtime,
                        double base_tolerance, int64_t floor_beyond, std::vector<SelfSpread> spreads) {
  const SelfSpread d = measure_spread("libtorch vs onnxruntime", libtorch, runtime, base_tolerance);
  OutputDiff o;
  o.name = name;
  o.max_abs_diff = d.max_abs_diff;
  o.base_tolerance = base_tolerance;
  o.elements = libtorch.numel();
  o.tolerance = base_tolerance;
  o.allowed_beyond = floor_beyond;
  for (const auto& s : spreads) {
    o.tolerance = std::max(o.tolerance, s.max_abs_diff);
    o.allowed_beyond = std::max(o.allowed_beyond, kSpreadFactor * s.beyond);
  }
  o.allowed_beyond = std::min(o.allowed_beyond, o.elements);
  o.spreads = std::move(spreads);
  if (o.elements > 0) {
    o.beyond = ((libtorch.to(at::kDouble) - runtime.to(at::kDouble)).abs() > o.tolerance).sum().item<int64_t>();
  }
  return o;
}

bool ProvenanceReport::matches() const {
  if (!initializers.all_identical()) return false;
  for (const auto& o : outputs) {
    if (!o.within()) return false;
  }
  return true;
}

namespace {

// The checkpoint's model, its in-memory export and its libtorch executor.
struct CheckpointModel {
  model::Detector fp32;
  std::unique_ptr<QuantizedStudent> student;
  std::unique_ptr<graph::Executor> fp32_exec;
  onnx::ModelProto reference;
  std::string profile;  ///< qat: the profile it was re-exported with

  const model::Detector& detector() const { return student ? student->detector() : fp32; }
  graph::Executor& executor() { return student ? student->executor() : *fp32_exec; }
};

void load_checkpoint_model(const Checkpoint& ck, const Recipe& recipe, const std::vector<std::string>& class_names,
                           const std::string& path, CheckpointModel& m) {
  if (ck.phase == "fp32") {
    m.fp32 = load_fp32_detector(recipe, class_names, path);
    m.reference = exporter::to_onnx(m.fp32.graph, {});
    m.fp32_exec = std::make_unique<graph::Executor>(m.fp32.graph);
  } else {
    const model::Detector teacher = fresh_detector(recipe, class_names);
    m.student = std::make_unique<QuantizedStudent>(
        teacher, recipe.quant, exporter::make_export_profile(recipe.export_.profile)->placement());
    restore_student(ck, *m.student, path);
    m.student->quantizers().set_mode(quant::QuantizerMode::deploy);
    exporter::QdqExportOptions eo;
    eo.profile = recipe.export_.profile;
    eo.opset = export_opset(recipe);
    m.profile = eo.profile;
    m.reference = exporter::to_qdq_onnx(m.student->detector().graph, m.student->quantizers(), eo);
  }
  m.executor().set_training(false);
}

// One output of the deployed model in ONNX Runtime against the checkpoint in libtorch.
OutputDiff judge(const std::string& name, const std::string& phase, const graph::ValueMap& want,
                 const graph::ValueMap& want_native, const std::map<std::string, std::map<std::string, at::Tensor>>& ort_runs,
                 const ProvenanceOptions& o) {
  const auto& got = ort_runs.at(o.runtime_optimization);
  if (!got.count(name)) throw IoError(o.model, name, "the model has no output of this name");
  const at::Tensor& w = want.at(name);
  QAT_CHECK(got.at(name).sizes() == w.sizes(), o.model, ": output '", name, "' has shape ", got.at(name).sizes(),
            ", the checkpoint gives ", w.sizes());
  double base = 0;
  int64_t floor_beyond = 0;
  if (phase == "fp32") {
    base = kFp32RelativeTolerance * std::max(1.0, w.abs().max().item<double>());
  } else {
    base = quant::qparams_from_range(w.min().reshape({1}), w.max().reshape({1}), quant::QuantSpec{})
               .scale.item<double>();
    floor_beyond = static_cast<int64_t>(kQdqBeyondFraction * static_cast<double>(w.numel()));
  }
  std::vector<SelfSpread> spreads;
  spreads.push_back(measure_spread("onnxruntime disabled vs all", ort_runs.at("disabled").at(name).to(at::kFloat),
                                   ort_runs.at("all").at(name).to(at::kFloat), base));
  spreads.push_back(measure_spread("libtorch onednn vs native", w, want_native.at(name), base));
  return judge_output(name, w, got.at(name).to(at::kFloat), base, floor_beyond, std::move(spreads));
}

}  // namespace

ProvenanceReport check_provenance(const ProvenanceOptions& o) {
  const onnx::ModelProto deployed = exporter::read_onnx_model(o.model);
  std::error_code ec;
  if (!fs::is_regular_file(o.checkpoint, ec)) throw IoError(o.checkpoint, "", "cannot read the file");
  const Checkpoint ck = load_checkpoint(o.checkpoint);
  if (ck.phase != "fp32" && ck.phase != "qat") {
    throw IoError(o.checkpoint, "", "phase '" + ck.phase + "' is neither 'fp32' nor 'qat'");
  }
  const Recipe recipe = model_recipe(ck, o);
  RunContext ctx(recipe);
  const std::vector<std::string> class_names = !ck.class_names.empty() ? ck.class_names : ctx.class_names();

  ProvenanceReport r;
  r.checkpoint = o.checkpoint;
  r.model = o.model;
  r.phase = ck.phase;
  r.checkpoint_recipe_hash = ck.recipe_hash;
  r.model_recipe_hash = metadata(deployed, "qat.recipe_hash");

  CheckpointModel m;
  load_checkpoint_model(ck, recipe, class_names, o.checkpoint, m);
  r.profile = m.profile;
  const model::Detector& det = m.detector();
  r.initializers = exporter::compare_initializers(m.reference, deployed);

  const at::Tensor images = sample_images(o, ctx, r.inputs);
  // The checkpoint in libtorch, with its default (oneDNN) and its native convolution.
  graph::ValueMap want, want_native;
  {
    at::NoGradGuard no_grad;
    want = m.executor().run({{det.info.input, images}});
    const NativeConvolutionGuard native;
    want_native = m.executor().run({{det.info.input, images}});
  }
  // The deployed model in ONNX Runtime at the requested level, and at disabled and all.
  r.runtime_optimization = o.runtime_optimization;
  std::map<std::string, std::map<std::string, at::Tensor>> ort_runs;  // level → outputs
  for (const std::string& level : {o.runtime_optimization, std::string("disabled"), std::string("all")}) {
    if (ort_runs.count(level)) continue;
    runtime::OrtOptions ort;
    ort.optimization = level;
    ort_runs[level] = runtime::run_onnxruntime(o.model, {{det.info.input, images}}, ort);
  }
  for (const std::string& name : {det.info.boxes, det.info.scores}) {
    r.outputs.push_back(judge(name, ck.phase, want, want_native, ort_runs, o));
  }
  return r;
}

std::string format_provenance(const ProvenanceReport& r) {
  std::ostringstream out;
  auto hash = [](const std::string& h) { return h.empty() ? std::string("-") : h.substr(0, 12); };
  out << "checkpoint: " << r.checkpoint << " (phase " << r.phase << ", recipe " << hash(r.checkpoint_recipe_hash)
      << ")\n";
  out << "model: " << r.model << " (recipe " << hash(r.model_recipe_hash) << ")\n";
  if (!r.profile.empty()) out << "re-exported with profile: " << r.profile << "\n";
  const auto& d = r.initializers;
  out << "initializers identical: " << d.identical << " of " << d.total << "\n";
  for (const auto& n : d.differing) out << "  differs: " << n << "\n";
  for (const auto& n : d.only_deployed) out << "  only in the model: " << n << "\n";
  for (const auto& n : d.only_reference) out << "  missing from the model: " << n << "\n";
  out << "inputs: " << r.inputs << "\n";
  out << "ONNX Runtime optimization: " << r.runtime_optimization << "\n";
  for (const auto& o : r.outputs) {
    std::ostringstream line;
    line << std::setprecision(3) << "output " << o.name << ": max abs diff " << o.max_abs_diff << ", "
         << o.beyond << " of " << o.elements << " beyond the tolerance " << o.tolerance << " (allowed "
         << o.allowed_beyond << ") " << (o.within() ? "ok" : "EXCEEDED") << "\n";
    line << "  base tolerance " << o.base_tolerance << "\n";
    for (const auto& s : o.spreads) {
      line << "  spread " << s.between << ": max abs diff " << s.max_abs_diff << ", " << s.beyond
           << " beyond the base tolerance\n";
    }
    out << line.str();
  }
  out << (r.matches() ? "provenance: match" : "provenance: MISMATCH") << "\n";
  return out.str();
}

}  // namespace qat::train
