#include "qat/model/head_adapter.h"

#include <cstdint>
#include <limits>

#include "qat/core/did_you_mean.h"
#include "qat/core/error.h"
#include "qat/graph/op_traits.h"
#include "graph_values.h"

namespace qat::model {
namespace {

constexpr const char* kBoxes = "qat.boxes";
constexpr const char* kScores = "qat.scores";
constexpr const char* kLogits = "qat.logits";

using detail::shape_text;

const graph::ValueInfo* find_output(const graph::Graph& g, const std::string& name) {
  return detail::find_value(g.outputs(), name);
}

// Appends the adapter's nodes and constants, all named "qat.head/<what>".
class AdapterBuilder {
 public:
  AdapterBuilder(graph::Graph& g, std::string path) : g_(g), path_(std::move(path)) {}

  const graph::ValueInfo& output(const std::string& key, const std::string& name, size_t rank) const {
    const auto* v = find_output(g_, name);
    if (!v) {
      std::vector<std::string> names;
      for (const auto& o : g_.outputs()) names.push_back(o.name);
      const std::string guess = closest_match(name, names);
      throw IoError(path_, "", "model.head." + key + " '" + name + "' is not a graph output" +
                                   (guess.empty() ? "" : "; did you mean '" + guess + "'?"));
    }
    if (v->shape.size() != rank) {
      throw IoError(path_, "", "output '" + name + "' has shape " + shape_text(v->shape) + "; expected rank " +
                                   std::to_string(rank) + " for model.head." + key);
    }
    return *v;
  }

  std::string op(const std::string& what, const std::string& type, std::vector<std::string> inputs,
                 graph::Attributes attrs = {}, std::string out = "") {
    const std::string name = "qat.head/" + what;
    if (out.empty()) out = name;
    g_.add_node({name, type, std::move(inputs), {out}, std::move(attrs)});
    return out;
  }

  std::string constant(const std::string& what, at::Tensor value) {
    const std::string name = "qat.head/" + what;
    g_.set_initializer(name, std::move(value), /*trainable=*/false);
    return name;
  }

  // [B,K,A] -> [B,A,K]
  std::string transpose(const std::string& what, const std::string& x, const std::string& out = "") {
    graph::Attributes perm;
    perm.set("perm", std::vector<int64_t>{0, 2, 1});
    return op(what, "Transpose", {x}, perm, out);
  }

  // x[:, :, start:end]
  std::string slice_last(const std::string& what, const std::string& x, int64_t start, int64_t end,
                         const std::string& out = "") {
    const auto ints = [](int64_t v) { return at::tensor(std::vector<int64_t>{v}); };
    return op(what, "Slice",
              {x, constant(what + ".starts", ints(start)), constant(what + ".ends", ints(end)),
               constant(what + ".axes", ints(2))},
              {}, out);
  }

  // Channel-last boxes in `format` -> xyxy named `out` (`x` itself for xyxy).
  std::string to_xyxy(const std::string& x, const std::string& format, const std::string& out) {
    if (format == "xyxy") return x;
    const std::string first = slice_last("box_xy", x, 0, 2);
    const std::string second = slice_last("box_wh", x, 2, 4);
    std::string x1y1, x2y2;
    if (format == "cxcywh") {
      const std::string half = op("box_half_wh", "Mul", {second, constant("half", at::tensor({0.5f}))});
      x1y1 = op("box_x1y1", "Sub", {first, half});
      x2y2 = op("box_x2y2", "Add", {first, half});
    } else {  // xywh: x, y the top-left corner
      x1y1 = first;
      x2y2 = op("box_x2y2", "Add", {first, second});
    }
    graph::Attributes axis;
    axis.set("axis", int64_t{2});
    return op("boxes", "Concat", {x1y1, x2y2}, axis, out);
  }

  graph::Graph& graph() { return g_; }

 private:
  graph::Graph& g_;
  std::string path_;
};

// The input of the Sigmoid that makes `value`: `value` itself a Sigmoid's output,
// or a Concat whose last input is (Ultralytics: Concat(dbox, Sigmoid(cls))).
std::string sigmoid_input(const graph::Graph& g, const std::string& value) {
  const graph::Node* p = g.producer(value);
  if (p && graph::op_traits(p->op_type).joins_inputs && !p->inputs.empty()) p = g.producer(p->inputs.back());
  return p && graph::op_traits(p->op_type).silu == graph::SiluRole::sigmoid ? p->inputs[0] : std::string();
}

HeadValues adapt_boxes_scores(AdapterBuilder& b, const OnnxHeadSection& head, std::vector<int64_t>& boxes_shape,
                              std::vector<int64_t>& scores_shape) {
  HeadValues v;
  boxes_shape = b.output("boxes", head.boxes, 3).shape;
  scores_shape = b.output("scores", head.scores, 3).shape;
  v.boxes = head.boxes;
  v.scores = head.scores;
  v.logits = head.logits.empty() ? sigmoid_input(b.graph(), head.scores) : head.logits;
  return v;
}

HeadValues adapt_ultralytics(AdapterBuilder& b, const OnnxHeadSection& head, const std::string& path,
                             std::vector<int64_t>& boxes_shape, std::vector<int64_t>& scores_shape) {
  HeadValues v;
  const auto& out = b.output("output", head.output, 3);
  const auto& s = out.shape;  // [B, 4+C, A]
  if (s[1] >= 0 && s[1] <= 4) {
    throw IoError(path, "", "output '" + head.output + "' has shape " + shape_text(s) +
                                "; expected [B,4+C,A] with at least one class");
  }
  boxes_shape = {s[0], s[2], 4};
  scores_shape = {s[0], s[2], s[1] < 0 ? -1 : s[1] - 4};
  const std::string bak = b.transpose("output_bak", head.output);
  v.boxes = b.to_xyxy(b.slice_last("cxcywh", bak, 0, 4), "cxcywh", kBoxes);
  v.scores = b.slice_last("scores", bak, 4, std::numeric_limits<int64_t>::max(), kScores);
  const std::string logits = head.logits.empty() ? sigmoid_input(b.graph(), head.output) : head.logits;
  if (!logits.empty()) v.logits = b.transpose("logits", logits, kLogits);
  return v;
}

// The general layout's outputs turned channels-last ([B, A, C]) when they come channels-first.
struct Orientation {
  AdapterBuilder& b;
  bool first;
  std::string last(const std::string& what, const std::string& value, const std::string& out = "") const {
    return first ? b.transpose(what, value, out) : value;
  }
  std::vector<int64_t> last_shape(std::vector<int64_t> s) const {
    if (first) std::swap(s[1], s[2]);
    return s;
  }
};

// scores = the geometric mean of the sigmoids of the score inputs (one input: its sigmoid).
void product_scores(const Orientation& o, const OnnxHeadSection& head, std::vector<int64_t>& scores_shape) {
  AdapterBuilder& b = o.b;
  const size_t n = head.score_inputs.size();
  std::string product;
  for (size_t i = 0; i < n; ++i) {
    const auto& name = head.score_inputs[i];
    const auto shape = o.last_shape(b.output("score_inputs", name, 3).shape);
    // The class count comes from the factor that has the classes (not a [B,A,1] one).
    if (i == 0 || shape[2] != 1) scores_shape = shape;
    const std::string k = std::to_string(i);
    const std::string sig =
        b.op("factor" + k + ".sigmoid", "Sigmoid", {o.last("factor" + k + ".last", name)}, {}, n == 1 ? kScores : "");
    product = i == 0 ? sig : b.op("factor" + k + ".product", "Mul", {product, sig});
  }
  if (n == 2) {
    b.op("scores", "Sqrt", {product}, {}, kScores);
  } else if (n > 2) {
    b.op("scores", "Pow", {product, b.constant("inverse_count", at::tensor({1.0f / static_cast<float>(n)}))}, {},
         kScores);
  }
}

// Scores from one output: as they are, or after a sigmoid or a softmax over the classes.
void single_scores(const Orientation& o, const OnnxHeadSection& head, HeadValues& v,
                   std::vector<int64_t>& scores_shape) {
  AdapterBuilder& b = o.b;
  scores_shape = o.last_shape(b.output("scores", head.scores, 3).shape);
  const std::string scores = o.last("scores_last", head.scores, head.score == "none" ? kScores : "");
  if (head.score == "none") {
    v.scores = scores;
    const std::string logits = head.logits.empty() ? sigmoid_input(b.graph(), head.scores) : head.logits;
    if (!logits.empty()) v.logits = o.last("logits", logits, kLogits);
  } else if (head.score == "sigmoid") {
    v.scores = b.op("scores", "Sigmoid", {scores}, {}, kScores);
    v.logits = head.logits.empty() ? scores : o.last("logits", head.logits, kLogits);
  } else {  // softmax over the classes
    graph::Attributes axis;
    axis.set("axis", int64_t{2});
    v.scores = b.op("scores", "Softmax", {scores}, axis, kScores);
    if (!head.logits.empty()) v.logits = o.last("logits", head.logits, kLogits);
  }
}

HeadValues adapt_general(AdapterBuilder& b, const OnnxHeadSection& head, std::vector<int64_t>& boxes_shape,
                         std::vector<int64_t>& scores_shape) {
  HeadValues v;
  const Orientation o{b, head.channels == "first"};
  boxes_shape = o.last_shape(b.output("boxes", head.boxes, 3).shape);
  if (!o.first && head.box_format == "xyxy") {
    v.boxes = head.boxes;
  } else if (head.box_format == "xyxy") {
    v.boxes = b.transpose("boxes_last", head.boxes, kBoxes);
  } else {
    v.boxes = b.to_xyxy(o.last("boxes_last", head.boxes), head.box_format, kBoxes);
  }
  if (head.score != "product") {
    single_scores(o, head, v, scores_shape);
    return v;
  }
  product_scores(o, head, scores_shape);
  v.scores = kScores;
  if (!head.logits.empty()) v.logits = o.last("logits", head.logits, kLogits);
  return v;
}

HeadValues adapt(AdapterBuilder& b, const OnnxHeadSection& head, const std::string& path,
                 std::vector<int64_t>& boxes_shape, std::vector<int64_t>& scores_shape) {
  if (head.layout == "boxes_scores") return adapt_boxes_scores(b, head, boxes_shape, scores_shape);
  if (head.layout == "ultralytics") return adapt_ultralytics(b, head, path, boxes_shape, scores_shape);
  return adapt_general(b, head, boxes_shape, scores_shape);
}

}  // namespace

HeadValues append_head_adapter(graph::Graph& g, const OnnxHeadSection& head, const std::string& path) {
  if (find_output(g, kBoxes) && find_output(g, kScores)) {
    // A candidate exported by qat: the adapter's outputs are there already.
    HeadValues v{kBoxes, kScores, ""};
    if (g.producer(kLogits)) v.logits = kLogits;
    else if (head.layout == "boxes_scores") v.logits = head.logits.empty() ? sigmoid_input(g, head.scores) : head.logits;
    return v;
  }
  AdapterBuilder b(g, path);
  std::vector<int64_t> boxes_shape, scores_shape;
  HeadValues v = adapt(b, head, path, boxes_shape, scores_shape);
  if (!head.logits.empty() && !g.producer(head.logits)) {
    std::vector<std::string> values;
    for (const auto& n : g.nodes()) values.insert(values.end(), n.outputs.begin(), n.outputs.end());
    const std::string guess = closest_match(head.logits, values);
    throw IoError(path, "", "model.head.logits '" + head.logits + "' is not computed by any node" +
                                (guess.empty() ? "" : "; did you mean '" + guess + "'?"));
  }
  if (v.logits.empty()) {
    // No Sigmoid makes these scores (FCOS's product, a softmax): the logits are the
    // scores' inverse sigmoid, so score distillation works on the scores themselves.
    const std::string lo = b.constant("eps", at::scalar_tensor(1e-6f, at::kFloat));
    const std::string hi = b.constant("one_minus_eps", at::scalar_tensor(1.0f - 1e-6f, at::kFloat));
    const std::string s = b.op("scores_clipped", "Clip", {v.scores, lo, hi});
    const std::string rest = b.op("scores_rest", "Sub", {b.constant("one", at::tensor({1.0f})), s});
    v.logits = b.op("logits", "Sub", {b.op("log_scores", "Log", {s}), b.op("log_rest", "Log", {rest})}, {}, kLogits);
  }
  if (v.boxes == kBoxes) g.add_output({kBoxes, boxes_shape});
  if (v.scores == kScores) g.add_output({kScores, scores_shape});
  return v;
}

graph::ValueMap adapt_head_outputs(const OnnxHeadSection& head, const graph::ValueMap& outputs,
                                   const std::string& path) {
  if (outputs.count(kBoxes) && outputs.count(kScores)) {
    return {{"boxes", outputs.at(kBoxes)}, {"scores", outputs.at(kScores)}};
  }
  graph::Graph h;
  for (const auto& [name, t] : outputs) {
    // As outputs too, so the adapter finds them by name as in the model.
    h.add_input({name, t.sizes().vec(), t.scalar_type()});
    h.add_output({name, t.sizes().vec(), t.scalar_type()});
  }
  OnnxHeadSection no_logits = head;  // the logits are inside the model, not among its outputs
  no_logits.logits.clear();
  AdapterBuilder b(h, path);
  std::vector<int64_t> boxes_shape, scores_shape;
  const HeadValues v = adapt(b, no_logits, path, boxes_shape, scores_shape);
  h.outputs().clear();
  for (const auto& value : {v.boxes, v.scores}) {
    if (h.producer(value)) h.add_output({value, {}});
  }
  const graph::ValueMap out = h.outputs().empty() ? graph::ValueMap{} : graph::Executor(h).run(outputs);
  auto value = [&](const std::string& name) { return out.count(name) ? out.at(name) : outputs.at(name); };
  return {{"boxes", value(v.boxes)}, {"scores", value(v.scores)}};
}

}  // namespace qat::model
