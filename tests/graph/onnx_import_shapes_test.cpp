// The importer on the shape arithmetic of real torch.onnx.export output: shape
// chains folded by inference with data propagation, what depends on the batch run
// as kernels, static-batch exports made dynamic or refused, output shapes found
// by inference, Softmax-family ops before opset 13, InstanceNormalization and
// torch's GroupNorm. Each test names the error the importer gave before.
#include <onnx/onnx_pb.h>

#include <cstdint>

#include "onnx_test_models.h"
#include "qat/graph/executor.h"
#include "qat/graph/onnx_importer.h"
#include "qat/graph/shape_inference.h"
#include "support/test_support.h"

namespace qat::graph {
namespace {

// Gives dimension i of value `v` the symbol symbols[i] ("" keeps it static).
void name_dims(onnx::ValueInfoProto* v, const std::vector<std::string>& symbols) {
  auto* shape = v->mutable_type()->mutable_tensor_type()->mutable_shape();
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (!symbols[i].empty()) shape->mutable_dim(static_cast<int>(i))->set_dim_param(symbols[i]);
  }
}

std::vector<std::string> node_names(const Graph& g) {
  std::vector<std::string> names;
  for (const auto& n : g.nodes()) names.push_back(n.name);
  return names;
}

at::Tensor random(std::vector<int64_t> shape, int seed) {
  at::manual_seed(seed);
  return at::randn(shape);
}

// torchvision's FPN: F.interpolate(x, size=feat.shape[-2:]) + feat, opset 11:
// sizes = Concat(Slice(Shape(x), 0, 2), Cast(Slice(Shape(feat), 2, 4))).
onnx::ModelProto fpn_model(int64_t batch) {
  onnx::ModelProto m = model_with_opset(11);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {batch, 8, 4, 4});
  add_value(g->mutable_input(), "feat", {batch, 8, 8, 8});
  add_value(g->mutable_output(), "y", {batch, 8, 8, 8});
  add_initializer(g, "zero", longs({0}));
  add_initializer(g, "two", longs({2}));
  add_initializer(g, "four", longs({4}));
  add_node(g, "shape_feat", "Shape", {"feat"}, {"sf"});
  add_node(g, "slice_hw", "Slice", {"sf", "two", "four", "zero"}, {"hw"});
  add_int(add_node(g, "cast_hw", "Cast", {"hw"}, {"hw64"}), "to", onnx::TensorProto::INT64);
  add_node(g, "shape_x", "Shape", {"x"}, {"sx"});
  add_node(g, "slice_nc", "Slice", {"sx", "zero", "two", "zero"}, {"nc"});
  add_int(add_node(g, "concat", "Concat", {"nc", "hw64"}, {"sizes"}), "axis", 0);
  add_constant(g, "roi_const", "roi", at::empty({0}));
  add_constant(g, "scales_const", "scales", at::empty({0}));
  add_node(g, "up", "Resize", {"x", "roi", "scales", "sizes"}, {"upsampled"});
  add_node(g, "add", "Add", {"upsampled", "feat"}, {"y"});
  return m;
}

}  // namespace

// Before: "node 'up' (Resize): input 3 ('sizes') must be a constant" for a dynamic
// batch, because only Shape of a fully static shape folded.
TEST(OnnxImportShapes, FoldsTheStaticDimsOfAResizeSizesChainAndComputesTheBatch) {
  const Graph g = import_onnx(fpn_model(-1), "fpn.onnx");
  // The height and width folded (data propagation through Shape -> Slice -> Cast);
  // the batch and channels stay computed.
  EXPECT_EQ(node_names(g), (std::vector<std::string>{"shape_x", "slice_nc", "concat", "up", "add"}));
  const Node* concat = g.find_node("concat");
  ASSERT_TRUE(g.has_initializer(concat->inputs[1]));
  EXPECT_TRUE(at::equal(g.initializer(concat->inputs[1]), longs({8, 8})));
  EXPECT_EQ(g.outputs()[0].shape, (std::vector<int64_t>{-1, 8, 8, 8}));
  for (int64_t batch : {1, 3}) {
    const auto x = random({batch, 8, 4, 4}, 1), feat = random({batch, 8, 8, 8}, 2);
    const auto y = Executor(g).run({{"x", x}, {"feat", feat}}).at("y");
    EXPECT_TRUE(at::equal(y, at::upsample_nearest2d(x, {8, 8}) + feat));
  }
}

// Negative indices as torch writes feat.shape[-2:] and x.shape[-1], folded by data
// propagation: the values must be the trailing dims, not garbage.
TEST(OnnxImportShapes, DataPropagationReadsNegativeShapeIndices) {
  onnx::ModelProto m = model_with_opset(13);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {-1, 2, 5, 7});
  add_value(g->mutable_output(), "y", {-1, 2, 35});
  add_node(g, "shape", "Shape", {"x"}, {"s"});
  add_initializer(g, "minus2", longs({-2}));
  add_initializer(g, "max", longs({INT64_MAX}));
  add_initializer(g, "axis0", longs({0}));
  add_node(g, "tail", "Slice", {"s", "minus2", "max", "axis0"}, {"hw"});
  add_constant(g, "last", "i", at::scalar_tensor(-1, at::kLong));
  add_node(g, "gather", "Gather", {"s", "i"}, {"w"});
  add_node(g, "unsqueeze", "Unsqueeze", {"w", "axis0"}, {"wu"});
  add_initializer(g, "zero_two", longs({0, 2}));
  add_node(g, "mul", "Mul", {"hw", "wu"}, {"hw_w"});  // [5 * 7, 7 * 7]
  add_initializer(g, "one", longs({1}));
  add_node(g, "first", "Slice", {"hw_w", "axis0", "one", "axis0"}, {"h_w"});
  add_int(add_node(g, "concat", "Concat", {"zero_two", "h_w"}, {"target"}), "axis", 0);
  add_node(g, "reshape", "Reshape", {"x", "target"}, {"y"});
  const Graph graph = import_onnx(m, "neg.onnx");
  EXPECT_EQ(node_names(graph), (std::vector<std::string>{"reshape"}));
  EXPECT_TRUE(at::equal(graph.initializer("target"), longs({0, 2, 35})));
  EXPECT_EQ(graph.outputs()[0].shape, (std::vector<int64_t>{-1, 2, 35}));
  const auto x = random({3, 2, 5, 7}, 15);
  EXPECT_TRUE(at::equal(Executor(graph).run({{"x", x}}).at("y"), x.reshape({3, 2, 35})));
}

TEST(OnnxImportShapes, FoldsAStaticResizeSizesChainEntirely) {
  const Graph g = import_onnx(fpn_model(2), "fpn.onnx");
  EXPECT_EQ(node_names(g), (std::vector<std::string>{"up", "add"}));
  EXPECT_EQ(g.find_node("up")->inputs, (std::vector<std::string>{"x", "", "", "sizes"}));
  EXPECT_TRUE(at::equal(g.initializer("sizes"), longs({2, 8, 8, 8})));
}

// C2f's x.chunk(2, 1) on a dynamic batch: ends = Unsqueeze(Gather(Shape(x), 1) / 2).
// Before: "node 'slice_a' (Slice): input 2 ('e') must be a constant".
TEST(OnnxImportShapes, FoldsSliceBoundsComputedFromAStaticDim) {
  onnx::ModelProto m = model_with_opset(13);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {-1, 4, 2});
  add_value(g->mutable_output(), "a", {-1, 2, 2});
  add_value(g->mutable_output(), "b", {-1, 2, 2});
  add_node(g, "shape", "Shape", {"x"}, {"s"});
  add_constant(g, "one", "i", at::scalar_tensor(1, at::kLong));
  add_node(g, "gather", "Gather", {"s", "i"}, {"c"});
  add_initializer(g, "two", at::scalar_tensor(2, at::kLong));
  add_node(g, "half", "Div", {"c", "two"}, {"h"});
  add_initializer(g, "axes0", longs({0}));
  add_node(g, "unsqueeze", "Unsqueeze", {"h", "axes0"}, {"e"});
  add_initializer(g, "start", longs({0}));
  add_initializer(g, "end", longs({INT64_MAX}));
  add_initializer(g, "axis1", longs({1}));
  add_node(g, "slice_a", "Slice", {"x", "start", "e", "axis1"}, {"a"});
  add_node(g, "slice_b", "Slice", {"x", "e", "end", "axis1"}, {"b"});
  const Graph graph = import_onnx(m, "chunk.onnx");
  EXPECT_EQ(node_names(graph), (std::vector<std::string>{"slice_a", "slice_b"}));
  EXPECT_TRUE(at::equal(graph.initializer("e"), longs({2})));
  const auto x = random({3, 4, 2}, 3);
  const auto out = Executor(graph).run({{"x", x}});
  EXPECT_TRUE(at::equal(out.at("a"), x.slice(1, 0, 2)));
  EXPECT_TRUE(at::equal(out.at("b"), x.slice(1, 2, 4)));
}

// A Slice bound that depends on the batch stays computed and runs as a kernel.
// Before: "node 'slice' (Slice): input 2 ('e') must be a constant".
TEST(OnnxImportShapes, RunsASliceWhoseEndDependsOnTheBatch) {
  onnx::ModelProto m = model_with_opset(13);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {-1, 3});
  add_value(g->mutable_output(), "y", {-1, 3});
  add_node(g, "shape", "Shape", {"x"}, {"s"});
  add_constant(g, "zero", "i", at::scalar_tensor(0, at::kLong));
  add_node(g, "gather", "Gather", {"s", "i"}, {"n"});
  add_initializer(g, "two", at::scalar_tensor(2, at::kLong));
  add_node(g, "half", "Div", {"n", "two"}, {"h"});
  add_initializer(g, "axes0", longs({0}));
  add_node(g, "unsqueeze", "Unsqueeze", {"h", "axes0"}, {"e"});
  add_initializer(g, "start", longs({0}));
  add_node(g, "slice", "Slice", {"x", "start", "e", "axes0"}, {"y"});
  const Graph graph = import_onnx(m, "half.onnx");
  EXPECT_EQ(node_names(graph), (std::vector<std::string>{"shape", "gather", "half", "unsqueeze", "slice"}));
  const Executor exec(graph);
  for (int64_t batch : {4, 6}) {
    const auto x = random({batch, 3}, 4);
    EXPECT_TRUE(at::equal(exec.run({{"x", x}}).at("y"), x.slice(0, 0, batch / 2)));
  }
}

namespace {

// YOLOv8's DFL exported at batch 1: x [1, 64, 6] -> Reshape [1, 4, 16, 6] ->
// Transpose [0, 2, 1, 3] -> y [1, 16, 4, 6]; torch's constant folding baked the batch.
onnx::ModelProto static_batch_model(const std::vector<int64_t>& target) {
  onnx::ModelProto m = model_with_opset(13);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {1, 64, 6});
  add_value(g->mutable_output(), "y", {1, 16, 4, 6});
  add_initializer(g, "target", longs(target));
  add_node(g, "dfl_view", "Reshape", {"x", "target"}, {"r"});
  add_ints(add_node(g, "dfl_transpose", "Transpose", {"r"}, {"y"}), "perm", {0, 2, 1, 3});
  return m;
}

}  // namespace

// Before: the run failed inside the kernel, "shape '[1, 4, 16, 6]' is invalid for
// input of size 1536"; now the executor names the input and the batch.
TEST(OnnxImportShapes, AStaticBatchModelRefusesAnotherBatchByName) {
  const Graph g = import_onnx(static_batch_model({1, 4, 16, 6}), "dfl.onnx");
  ASSERT_THROWS_WITH(Executor(g).run({{"x", at::zeros({4, 64, 6})}}), ShapeError,
                     "graph input 'x' has batch 4; the graph runs at batch 1 only "
                     "(import it with graph::ImportOptions::batch)");
}

// Before: no batch option; at batch 4 the baked Reshape target crashed the run
// ("shape '[1, 4, 16, 6]' is invalid for input of size 1536").
TEST(OnnxImportShapes, MakesAStaticBatchDynamicForTheRequestedBatch) {
  for (const BatchSize& batch : {BatchSize::fixed(4), BatchSize::any()}) {
    SCOPED_TRACE(batch.describe());
    ImportOptions options;
    options.batch = batch;
    const Graph g = import_onnx(static_batch_model({1, 4, 16, 6}), "dfl.onnx", options);
    EXPECT_EQ(g.inputs()[0].shape, (std::vector<int64_t>{-1, 64, 6}));
    EXPECT_EQ(g.outputs()[0].shape, (std::vector<int64_t>{-1, 16, 4, 6}));
    // The baked batch became 0: "copy dimension 0 of the input".
    EXPECT_TRUE(at::equal(g.initializer(g.find_node("dfl_view")->inputs[1]), longs({0, 4, 16, 6})));
    EXPECT_FALSE(g.has_initializer("target"));
    for (int64_t n : {1, 4}) {
      const auto x = random({n, 64, 6}, 5);
      EXPECT_TRUE(at::equal(Executor(g).run({{"x", x}}).at("y"), x.reshape({n, 4, 16, 6}).permute({0, 2, 1, 3})));
    }
  }
  // The declared batch is the requested one: nothing changes.
  ImportOptions same;
  same.batch = BatchSize::fixed(1);
  const Graph g = import_onnx(static_batch_model({1, 4, 16, 6}), "dfl.onnx", same);
  EXPECT_EQ(g.inputs()[0].shape, (std::vector<int64_t>{1, 64, 6}));
  EXPECT_TRUE(at::equal(g.initializer("target"), longs({1, 4, 16, 6})));
}

TEST(OnnxImportShapes, RefusesAStaticBatchNamingTheInputAndTheBatch) {
  ImportOptions refuse;
  refuse.batch = BatchSize::fixed(4);
  refuse.static_batch = StaticBatch::kRefuse;
  ASSERT_THROWS_WITH(import_onnx(static_batch_model({1, 4, 16, 6}), "dfl.onnx", refuse), IoError,
                     "dfl.onnx: input 'x': the model is exported for batch 1 and cannot run at batch 4 "
                     "(export with dynamic_axes={'x': {0: 'batch'}})");
  // A Reshape that folds the batch into another dimension cannot be made dynamic.
  ImportOptions make_dynamic;
  make_dynamic.batch = BatchSize::fixed(4);
  ASSERT_THROWS_WITH(import_onnx(static_batch_model({4, 16, 1, 6}), "dfl.onnx", make_dynamic), IoError,
                     "dfl.onnx: input 'x': the model is exported for batch 1 and cannot run at batch 4: "
                     "node 'dfl_view' (Reshape) fixes dimension 0 to 4 (shape [4,16,1,6]) "
                     "(export with dynamic_axes={'x': {0: 'batch'}})");
}

namespace {

// A dynamic-batch head: x [B, 8, 4, 4] -> Reshape [B, 8, -1] -> Transpose -> y
// [B, 16, 8] (anchors, classes), declared as [batch, anchors, classes] symbols.
onnx::ModelProto dynamic_head_model() {
  onnx::ModelProto m = model_with_opset(13);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {-1, 8, 4, 4});
  add_value(g->mutable_output(), "y", {-1, -1, -1});
  name_dims(g->mutable_output(0), {"batch", "anchors", "classes"});
  add_node(g, "shape", "Shape", {"x"}, {"s"});
  add_constant(g, "zero", "i", at::scalar_tensor(0, at::kLong));
  add_node(g, "gather", "Gather", {"s", "i"}, {"b"});
  add_initializer(g, "axes0", longs({0}));
  add_node(g, "unsqueeze", "Unsqueeze", {"b", "axes0"}, {"bu"});
  add_initializer(g, "rest", longs({8, -1}));
  add_int(add_node(g, "concat", "Concat", {"bu", "rest"}, {"target"}), "axis", 0);
  add_node(g, "reshape", "Reshape", {"x", "target"}, {"r"});
  add_ints(add_node(g, "transpose", "Transpose", {"r"}, {"y"}), "perm", {0, 2, 1});
  return m;
}

}  // namespace

// Before: "output 'boxes' has shape [?,?,?]" (the declared shape was taken as is).
TEST(OnnxImportShapes, ADynamicBatchOutputKeepsItsAnchorAndClassDims) {
  const Graph g = import_onnx(dynamic_head_model(), "head.onnx");
  EXPECT_EQ(g.outputs()[0].shape, (std::vector<int64_t>{-1, 16, 8}));
  EXPECT_EQ(infer_output_shapes(g, {{"x", {2, 8, 4, 4}}}), (StaticShapes{{"y", {2, 16, 8}}}));
  const auto x = random({2, 8, 4, 4}, 6);
  EXPECT_TRUE(at::equal(Executor(g).run({{"x", x}}).at("y"), x.reshape({2, 8, 16}).permute({0, 2, 1})));
}

namespace {

onnx::ModelProto softmax_model(const std::string& op, int64_t axis, bool known_rank) {
  onnx::ModelProto m = model_with_opset(11);
  auto* g = m.mutable_graph();
  if (known_rank) {
    add_value(g->mutable_input(), "x", {2, 3, 4});
    add_value(g->mutable_output(), "y", {2, 3, 4});
  } else {
    add_unshaped(g->mutable_input(), "x");
    add_unshaped(g->mutable_output(), "y");
  }
  add_int(add_node(g, "sm", op, {"x"}, {"y"}), "axis", axis);
  return m;
}

// The opset-11 reference: the input as 2-D [prod(dims < axis), prod(dims >= axis)].
at::Tensor softmax_11(const std::string& op, const at::Tensor& x, int64_t axis) {
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.size(d);
  const at::Tensor flat = x.reshape({outer, -1});
  at::Tensor y;
  if (op == "Softmax") y = at::softmax(flat, 1);
  if (op == "LogSoftmax") y = at::log_softmax(flat, 1);
  if (op == "Hardmax") y = at::one_hot(flat.argmax(1), flat.size(1)).to(at::kFloat);
  return y.reshape(x.sizes());
}

}  // namespace

// Before: "Softmax before opset 13 is supported over the last axis only (axis 1 of
// a rank-3 input)" and "(axis 1 of an input of unknown rank)"; LogSoftmax and
// Hardmax were unsupported ops.
TEST(OnnxImportShapes, SoftmaxFamilyBeforeOpset13CoercesTo2DAtTheAxis) {
  for (const std::string op : {"Softmax", "LogSoftmax", "Hardmax"}) {
    SCOPED_TRACE(op);
    const Graph known = import_onnx(softmax_model(op, 1, true), "sm.onnx");
    // Shape(x) folded: the static shape is the Reshape's constant target.
    EXPECT_EQ(node_names(known), (std::vector<std::string>{"sm/flatten", "sm", "sm/reshape"}));
    EXPECT_TRUE(at::equal(known.initializer("sm/shape_of_input"), longs({2, 3, 4})));
    const auto x = random({2, 3, 4}, 7);
    EXPECT_TRUE(at::allclose(Executor(known).run({{"x", x}}).at("y"), softmax_11(op, x, 1)));

    const Graph unknown = import_onnx(softmax_model(op, 1, false), "sm.onnx");
    EXPECT_EQ(node_names(unknown), (std::vector<std::string>{"sm/flatten", "sm", "sm/shape", "sm/reshape"}));
    for (const auto& shape : {std::vector<int64_t>{2, 3, 4}, std::vector<int64_t>{2, 3, 2, 5}}) {
      const auto xu = random(shape, 8);
      EXPECT_TRUE(at::allclose(Executor(unknown).run({{"x", xu}}).at("y"), softmax_11(op, xu, 1)));
    }
    // Over the last axis opset 11 and 13 agree: one node with axis -1.
    const Graph last = import_onnx(softmax_model(op, 2, true), "sm.onnx");
    ASSERT_EQ(node_names(last), (std::vector<std::string>{"sm"}));
    EXPECT_EQ(last.nodes()[0].attrs.get_int("axis", 0), -1);
  }
}

// Before: "unsupported op 'InstanceNormalization'".
TEST(OnnxImportShapes, InstanceNormalizationMatchesANaiveReference) {
  onnx::ModelProto m = model_with_opset(13);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {2, 3, 4, 5});
  add_value(g->mutable_output(), "y", {2, 3, 4, 5});
  const auto scale = random({3}, 9), bias = random({3}, 10);
  add_initializer(g, "scale", scale);
  add_initializer(g, "bias", bias);
  add_float(add_node(g, "in", "InstanceNormalization", {"x", "scale", "bias"}, {"y"}), "epsilon", 1e-3f);
  const Graph graph = import_onnx(m, "in.onnx");
  const auto x = random({2, 3, 4, 5}, 11);
  const auto mean = x.mean({2, 3}, true);
  const auto var = (x - mean).pow(2).mean({2, 3}, true);
  const auto want = (x - mean) / at::sqrt(var + 1e-3) * scale.reshape({1, 3, 1, 1}) + bias.reshape({1, 3, 1, 1});
  EXPECT_TRUE(at::allclose(Executor(graph).run({{"x", x}}).at("y"), want, 1e-5, 1e-5));
}

// nn.GroupNorm(3, 6) as torch 1.13 exports it (symbolic_opset9.group_norm), on a
// dynamic batch. Before: "unsupported op 'InstanceNormalization'".
TEST(OnnxImportShapes, TorchGroupNormMatchesAtenGroupNorm) {
  onnx::ModelProto m = model_with_opset(13);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {-1, 6, 3, 3});
  add_value(g->mutable_output(), "y", {-1, 6, 3, 3});
  const auto weight = random({6}, 12), bias = random({6}, 13);
  add_initializer(g, "gn.weight", weight);
  add_initializer(g, "gn.bias", bias);
  add_constant(g, "groups_shape", "gs", longs({0, 3, -1}));
  add_node(g, "gn/reshape", "Reshape", {"x", "gs"}, {"xr"});
  add_constant(g, "ones", "one3", at::ones({3}));
  add_constant(g, "zeros", "zero3", at::zeros({3}));
  add_float(add_node(g, "gn/instance_norm", "InstanceNormalization", {"xr", "one3", "zero3"}, {"xn"}), "epsilon",
            1e-5f);
  add_node(g, "gn/shape", "Shape", {"x"}, {"sx"});
  add_node(g, "gn/reshape_back", "Reshape", {"xn", "sx"}, {"xb"});
  add_initializer(g, "axes12", longs({1, 2}));
  add_node(g, "gn/unsqueeze_w", "Unsqueeze", {"gn.weight", "axes12"}, {"w"});
  add_node(g, "gn/unsqueeze_b", "Unsqueeze", {"gn.bias", "axes12"}, {"b"});
  add_node(g, "gn/mul", "Mul", {"xb", "w"}, {"xw"});
  add_node(g, "gn/add", "Add", {"xw", "b"}, {"y"});
  const Graph graph = import_onnx(m, "gn.onnx");
  // The affine parameters stay trainable (their Unsqueeze is not folded).
  EXPECT_TRUE(graph.is_trainable("gn.weight"));
  EXPECT_TRUE(graph.is_trainable("gn.bias"));
  for (int64_t batch : {1, 2}) {
    const auto x = random({batch, 6, 3, 3}, 14);
    const auto want = at::group_norm(x, 3, weight, bias, 1e-5);
    EXPECT_TRUE(at::allclose(Executor(graph).run({{"x", x}}).at("y"), want, 1e-5, 1e-5));
  }
}

}  // namespace qat::graph
