#include "qat/train/checkpoint.h"

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/sha256.h"
#include "qat/data/h5.h"

namespace qat::train {
namespace {

constexpr const char* kFormat = "qat-checkpoint";
// Version 2 added content_sha256; version 1 files (no digest) are refused.
constexpr int64_t kVersion = 2;
// The epoch attribute of a checkpoint with no completed epoch (Checkpoint::epoch empty).
constexpr int64_t kNoEpoch = -1;

int64_t epoch_attribute(const Checkpoint& ck) { return ck.epoch.value_or(kNoEpoch); }

// The digest covers everything load_checkpoint returns, in a canonical order, so a
// flipped weight byte (or an edited attribute) is found on load by every reader:
// ptq --weights, --resume, sweep and provenance.
class ContentDigest {
 public:
  void text(const std::string& key, const std::string& value) {
    field(key);
    field(value);
  }
  void tensor(const std::string& key, const at::Tensor& t) {
    field(key);
    if (!t.defined()) {
      field("undefined");
      return;
    }
    const at::Tensor c = t.detach().contiguous().cpu();
    field(c10::toString(c.scalar_type()));
    field(c10::str(c.sizes()));
    sha_.update(c.data_ptr(), static_cast<size_t>(c.numel()) * c.element_size());
  }
  void tensors(const std::string& group, const std::map<std::string, at::Tensor>& ts) {
    for (const auto& [name, t] : ts) tensor(group + "/" + name, t);
  }
  void qparams(const std::string& group, const std::map<std::string, quant::QParams>& qp) {
    for (const auto& [name, q] : qp) {
      tensor(group + "/" + name + "/scale", q.scale);
      tensor(group + "/" + name + "/zero_point", q.zero_point);
    }
  }
  std::string hex() { return sha_.hex_digest(); }

 private:
  // Length-prefixed, so no two different field sequences hash the same bytes.
  void field(const std::string& s) {
    const uint64_t n = s.size();
    sha_.update(&n, sizeof(n));
    sha_.update(s);
  }
  Sha256 sha_;
};

std::string content_digest(const Checkpoint& ck) {
  ContentDigest d;
  d.text("epoch", std::to_string(epoch_attribute(ck)));
  d.text("phase", ck.phase);
  d.text("recipe_hash", ck.recipe_hash);
  d.text("arch", ck.arch);
  d.text("history", ck.history_json);
  d.text("recipe", ck.recipe_yaml);
  for (const auto& name : ck.class_names) d.text("class_name", name);
  d.tensors("params", ck.params);
  d.tensors("buffers", ck.buffers);
  d.tensors("optimizer", ck.optimizer);
  d.tensors("ema", ck.ema);
  d.tensor("rng", ck.rng_state);
  d.qparams("qparams", ck.qparams);
  d.qparams("output_qparams", ck.output_qparams);
  return d.hex();
}

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
    h5::set_attribute(f, "/", "epoch", epoch_attribute(ck));
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
    h5::set_attribute(f, "/", "content_sha256", content_digest(ck));
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
  if (version == 1) {
    throw IoError(path, "/", "checkpoint format version 1 has no content digest (content_sha256) and is no longer "
                             "read: retrain to write a version 2 checkpoint");
  }
  if (version != kVersion) {
    throw IoError(path, "/", "checkpoint format version " + std::to_string(version) + " is not supported (expected " +
                                 std::to_string(kVersion) + ")");
  }
  Checkpoint ck;
  if (const int64_t epoch = h5::int_attribute(f, "/", "epoch"); epoch != kNoEpoch) ck.epoch = epoch;
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
  if (!h5::has_attribute(f, "/", "content_sha256")) throw IoError(path, "/", "attribute 'content_sha256' is missing");
  const std::string stored = h5::string_attribute(f, "/", "content_sha256");
  const std::string actual = content_digest(ck);
  if (stored != actual) {
    throw IoError(path, "/", "content does not match its digest (content_sha256 " + stored.substr(0, 12) +
                                 ", content " + actual.substr(0, 12) +
                                 "): the file was modified or corrupted after it was written");
  }
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
