#include "qat/train/checkpoint.h"

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/data/h5.h"

namespace qat::train {
namespace {

constexpr const char* kFormat = "qat-checkpoint";
constexpr int64_t kVersion = 1;

void write_group(h5::File& f, const std::string& group, const std::map<std::string, at::Tensor>& tensors) {
  // Names may contain '/', which nests groups (optimizer slots: "<param>/<slot>").
  for (const auto& [name, t] : tensors) h5::write_tensor(f, group + "/" + name, t);
}

void read_group(const h5::File& f, const std::string& group, const std::string& prefix,
                std::map<std::string, at::Tensor>& out) {
  if (!h5::exists(f, group)) return;
  // Datasets are leaves; groups below are walked recursively.
  const auto children = h5::groups(f, group);
  for (const auto& g : children) read_group(f, group + "/" + g, prefix + g + "/", out);
  // Leaves: everything listed in the group that is not a subgroup.
  for (const auto& name : h5::datasets(f, group)) out[prefix + name] = h5::read_tensor(f, group + "/" + name);
}

// Quantizer parameters by index: /<group>/<i>/{scale,zero_point}, names in the root
// attribute <group>_names (value names of imported graphs may contain '/').
void write_qparams(h5::File& f, const std::string& group, const std::map<std::string, quant::QParams>& qparams) {
  if (qparams.empty()) return;
  std::vector<std::string> names;
  for (const auto& [name, qp] : qparams) {
    const std::string at = "/" + group + "/" + std::to_string(names.size());
    h5::write_tensor(f, at + "/scale", qp.scale.detach().contiguous());
    h5::write_tensor(f, at + "/zero_point", qp.zero_point.contiguous());
    names.push_back(name);
  }
  h5::set_attribute(f, "/", group + "_names", names);
}

std::map<std::string, quant::QParams> read_qparams(const h5::File& f, const std::string& group) {
  std::map<std::string, quant::QParams> out;
  if (!h5::has_attribute(f, "/", group + "_names")) return out;
  const auto names = h5::strings_attribute(f, "/", group + "_names");
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string at = "/" + group + "/" + std::to_string(i);
    out[names[i]] = {h5::read_tensor(f, at + "/scale"), h5::read_tensor(f, at + "/zero_point")};
  }
  return out;
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& ck) {
  AtomicFile target(path);
  try {
    h5::File f = h5::File::create(target.temp_path().string());
    h5::set_attribute(f, "/", "format", std::string(kFormat));
    h5::set_attribute(f, "/", "format_version", kVersion);
    h5::set_attribute(f, "/", "epoch", ck.epoch);
    h5::set_attribute(f, "/", "phase", ck.phase);
    h5::set_attribute(f, "/", "recipe_hash", ck.recipe_hash);
    h5::set_attribute(f, "/", "arch", ck.arch);
    h5::set_attribute(f, "/", "history", ck.history_json);
    if (!ck.recipe_yaml.empty()) h5::set_attribute(f, "/", "recipe", ck.recipe_yaml);
    if (!ck.class_names.empty()) h5::set_attribute(f, "/", "class_names", ck.class_names);
    write_group(f, "/params", ck.params);
    write_group(f, "/buffers", ck.buffers);
    write_group(f, "/optimizer", ck.optimizer);
    write_group(f, "/ema", ck.ema);
    if (ck.rng_state.defined()) h5::write_tensor(f, "/rng/cpu", ck.rng_state);
    write_qparams(f, "qparams", ck.qparams);
    write_qparams(f, "output_qparams", ck.output_qparams);
    f.close();  // a full disk shows here; the temporary is removed and `path` keeps its old content
  } catch (Error& e) {
    e.add_context("writing the checkpoint " + path);
    throw;
  }
  target.commit();
}

Checkpoint load_checkpoint(const std::string& path) {
  const h5::File f = h5::File::open(path);
  if (!h5::has_attribute(f, "/", "format") || h5::string_attribute(f, "/", "format") != kFormat) {
    throw IoError(path, "/", "not a qat checkpoint (attribute 'format' is not '" + std::string(kFormat) + "')");
  }
  const int64_t version = h5::int_attribute(f, "/", "format_version");
  if (version != kVersion) {
    throw IoError(path, "/", "checkpoint format version " + std::to_string(version) + " is not supported (expected " +
                                 std::to_string(kVersion) + ")");
  }
  Checkpoint ck;
  ck.epoch = h5::int_attribute(f, "/", "epoch");
  ck.phase = h5::string_attribute(f, "/", "phase");
  ck.recipe_hash = h5::string_attribute(f, "/", "recipe_hash");
  ck.arch = h5::string_attribute(f, "/", "arch");
  ck.history_json = h5::string_attribute(f, "/", "history");
  if (h5::has_attribute(f, "/", "recipe")) ck.recipe_yaml = h5::string_attribute(f, "/", "recipe");
  if (h5::has_attribute(f, "/", "class_names")) ck.class_names = h5::strings_attribute(f, "/", "class_names");
  read_group(f, "/params", "", ck.params);
  read_group(f, "/buffers", "", ck.buffers);
  read_group(f, "/optimizer", "", ck.optimizer);
  read_group(f, "/ema", "", ck.ema);
  if (h5::exists(f, "/rng/cpu")) ck.rng_state = h5::read_tensor(f, "/rng/cpu");
  ck.qparams = read_qparams(f, "qparams");
  ck.output_qparams = read_qparams(f, "output_qparams");
  return ck;
}

void capture_weights(const graph::Graph& graph, Checkpoint& ck) {
  for (const auto& [name, t] : graph.parameters()) ck.params[name] = t.detach().clone();
  for (const auto& [name, t] : graph.buffers()) ck.buffers[name] = t.detach().clone();
}

void restore_weights(const Checkpoint& ck, graph::Graph& graph, const std::string& path) {
  auto restore = [&](const std::vector<std::pair<std::string, at::Tensor>>& targets,
                     const std::map<std::string, at::Tensor>& source, const std::string& group) {
    for (const auto& [name, t] : targets) {
      auto it = source.find(name);
      if (it == source.end()) throw IoError(path, group + "/" + name, "missing: the checkpoint is for another model");
      if (it->second.sizes() != t.sizes()) {
        throw IoError(path, group + "/" + name, "has shape " + c10::str(it->second.sizes()) + ", the model has " +
                                                    c10::str(t.sizes()));
      }
      at::NoGradGuard no_grad;
      at::Tensor dst = t;
      dst.copy_(it->second);
    }
  };
  restore(graph.parameters(), ck.params, "/params");
  restore(graph.buffers(), ck.buffers, "/buffers");
}

}  // namespace qat::train
