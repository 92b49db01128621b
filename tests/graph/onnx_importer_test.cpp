// The importer on hand-built ModelProtos: folding, older-opset forms, naming,
// parameters and every error a user can meet.
#include "qat/graph/onnx_importer.h"

#include <onnx/onnx_pb.h>

#include <fstream>

#include "qat/graph/executor.h"
#include "qat/graph/onnx_tensor.h"
#include "onnx_test_models.h"
#include "support/test_support.h"

namespace qat::graph {
namespace {

// x [2,3,4] -> Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) -> y [2,12]:
// the shape arithmetic torch.onnx.export writes for `x.view(x.size(0), -1)`.
// Opset 11 gives Unsqueeze its axes as an attribute, opset 13 as an input.
onnx::ModelProto shape_chain_model(int opset) {
  onnx::ModelProto m = model_with_opset(opset);
  auto* g = m.mutable_graph();
  g->set_name("chain");
  add_value(g->mutable_input(), "x", {2, 3, 4});
  add_value(g->mutable_output(), "y", {2, 12});
  add_node(g, "shape", "Shape", {"x"}, {"s"});
  auto* c = add_node(g, "index", "Constant", {}, {"i"});
  auto* value = c->add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto::TENSOR);
  to_onnx_tensor(at::scalar_tensor(0, at::kLong), "", *value->mutable_t());
  add_node(g, "gather", "Gather", {"s", "i"}, {"b"});
  if (opset < 13) {
    add_ints(add_node(g, "unsqueeze", "Unsqueeze", {"b"}, {"bu"}), "axes", {0});
  } else {
    add_initializer(g, "axes", longs({0}));
    add_node(g, "unsqueeze", "Unsqueeze", {"b", "axes"}, {"bu"});
  }
  add_initializer(g, "minus_one", longs({-1}));
  add_int(add_node(g, "concat", "Concat", {"bu", "minus_one"}, {"target"}), "axis", 0);
  add_node(g, "reshape", "Reshape", {"x", "target"}, {"y"});
  return m;
}

void save(const onnx::ModelProto& m, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  ASSERT_TRUE(m.SerializeToOstream(&out));
}

}  // namespace

TEST(OnnxImporter, FoldsAShapeChainIntoTheReshapeTarget) {
  for (int opset : {11, 13, 17}) {
    SCOPED_TRACE(opset);
    const Graph g = import_onnx(shape_chain_model(opset), "chain.onnx");
    ASSERT_EQ(g.nodes().size(), 1u);
    EXPECT_EQ(g.nodes()[0].name, "reshape");
    ASSERT_TRUE(g.has_initializer("target"));
    EXPECT_TRUE(at::equal(g.initializer("target"), longs({2, -1})));
    EXPECT_FALSE(g.is_trainable("target"));
    // Only the folded result stays: the chain's constants are gone.
    EXPECT_EQ(g.initializers().size(), 1u);
    const auto x = at::arange(24).to(at::kFloat).reshape({2, 3, 4});
    const auto y = Executor(g).run({{"x", x}}).at("y");
    EXPECT_TRUE(at::equal(y, x.reshape({2, 12})));
  }
}

TEST(OnnxImporter, WithoutFoldingTheChainRunsAtRunTime) {
  ImportOptions options;
  options.fold_constants = false;
  const Graph g = import_onnx(shape_chain_model(11), "chain.onnx", options);
  ASSERT_EQ(g.nodes().size(), 6u);
  // The opset-11 axes attribute became a constant input.
  const Node* unsqueeze = g.find_node("unsqueeze");
  ASSERT_NE(unsqueeze, nullptr);
  ASSERT_EQ(unsqueeze->inputs.size(), 2u);
  EXPECT_EQ(unsqueeze->inputs[1], "unsqueeze.axes");
  EXPECT_FALSE(unsqueeze->attrs.has("axes"));
  const auto x = at::arange(24).to(at::kFloat).reshape({2, 3, 4});
  EXPECT_TRUE(at::equal(Executor(g).run({{"x", x}}).at("y"), x.reshape({2, 12})));
}

TEST(OnnxImporter, ADynamicBatchLeavesShapeToTheRun) {
  onnx::ModelProto m = shape_chain_model(13);
  auto* dim = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0);
  dim->set_dim_param("batch");
  const Graph g = import_onnx(m, "chain.onnx");
  EXPECT_EQ(g.inputs()[0].shape, (std::vector<int64_t>{-1, 3, 4}));
  // Shape, Gather, Unsqueeze, Concat, Reshape remain; the Constant folded.
  EXPECT_EQ(g.nodes().size(), 5u);
  const auto x = at::arange(36).to(at::kFloat).reshape({3, 3, 4});
  EXPECT_TRUE(at::equal(Executor(g).run({{"x", x}}).at("y"), x.reshape({3, 12})));
}

TEST(OnnxImporter, NamesUnnamedNodesAndSortsParametersFromConstants) {
  onnx::ModelProto m = model_with_opset(13);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {1, 2, 3, 3});
  add_value(g->mutable_output(), "y", {1, 2, 3, 3});
  add_initializer(g, "w", at::ones({2, 2, 1, 1}));
  add_initializer(g, "bn.scale", at::ones({2}));
  add_initializer(g, "bn.bias", at::zeros({2}));
  add_initializer(g, "bn.mean", at::zeros({2}));
  add_initializer(g, "bn.var", at::ones({2}));
  add_node(g, "", "Conv", {"x", "w"}, {"c"});
  add_node(g, "Conv_0", "BatchNormalization", {"c", "bn.scale", "bn.bias", "bn.mean", "bn.var"}, {"bn"});
  add_node(g, "", "Relu", {"bn"}, {"y"});
  auto* meta = m.add_metadata_props();
  meta->set_key("author");
  meta->set_value("test");
  const Graph graph = import_onnx(m, "m.onnx");
  ASSERT_EQ(graph.nodes().size(), 3u);
  // "Conv_0" is taken by a named node, so the unnamed Conv gets a suffix.
  EXPECT_EQ(graph.nodes()[0].name, "Conv_0_1");
  EXPECT_EQ(graph.nodes()[1].name, "Conv_0");
  EXPECT_EQ(graph.nodes()[2].name, "Relu_2");
  EXPECT_TRUE(graph.is_trainable("w"));
  EXPECT_TRUE(graph.is_trainable("bn.scale"));
  EXPECT_FALSE(graph.is_trainable("bn.mean"));
  EXPECT_FALSE(graph.is_trainable("bn.var"));
  EXPECT_EQ(graph.buffers().size(), 2u);
  EXPECT_EQ(graph.metadata().at("author"), "test");
}

// The importer asks the op traits which inputs are constants: a weight torch shares
// through an Identity stays one trainable parameter (the Identity is kept), Clip's
// float bounds are constants.
TEST(OnnxImporter, ClassifiesInitializersByTheReadersTraits) {
  onnx::ModelProto m = model_with_opset(13);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {1, 2, 3, 3});
  add_value(g->mutable_output(), "y", {1, 2, 3, 3});
  add_initializer(g, "w", at::ones({2, 2, 1, 1}));
  add_initializer(g, "lo", at::zeros({}));
  add_initializer(g, "hi", at::full({}, 6.0f));
  add_node(g, "/head/conv/Identity", "Identity", {"w"}, {"onnx::Conv_3"});
  add_node(g, "/head/conv/Conv", "Conv", {"x", "w"}, {"a"});
  add_node(g, "/head/conv_1/Conv", "Conv", {"a", "onnx::Conv_3"}, {"b"});
  add_node(g, "/head/Clip", "Clip", {"b", "lo", "hi"}, {"y"});
  const Graph graph = import_onnx(m, "m.onnx");
  ASSERT_EQ(graph.nodes().size(), 4u);
  EXPECT_EQ(graph.nodes()[0].name, "/head/conv/Identity");
  EXPECT_TRUE(graph.is_trainable("w"));
  EXPECT_FALSE(graph.is_trainable("lo"));
  EXPECT_FALSE(graph.is_trainable("hi"));
  EXPECT_EQ(graph.parameters().size(), 1u);
  EXPECT_TRUE(graph.buffers().empty());
}

TEST(OnnxImporter, EmptyResizeScalesBecomeAnOmittedInput) {
  onnx::ModelProto m = model_with_opset(11);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {1, 1, 2, 2});
  add_value(g->mutable_output(), "y", {1, 1, 4, 4});
  add_initializer(g, "roi", at::empty({0}));
  add_initializer(g, "scales", at::empty({0}));
  add_initializer(g, "sizes", longs({1, 1, 4, 4}));
  add_node(g, "up", "Resize", {"x", "roi", "scales", "sizes"}, {"y"});
  const Graph graph = import_onnx(m, "m.onnx");
  EXPECT_EQ(graph.nodes()[0].inputs, (std::vector<std::string>{"x", "", "", "sizes"}));
  const auto x = at::arange(4).to(at::kFloat).reshape({1, 1, 2, 2});
  EXPECT_EQ(Executor(graph).run({{"x", x}}).at("y").sizes(), (std::vector<int64_t>{1, 1, 4, 4}));
}

TEST(OnnxImporter, RefusesFilesThatAreNotModels) {
  testing::TempDir dir;
  ASSERT_THROWS_WITH(import_onnx(dir.file("missing.onnx")), IoError,
                     dir.file("missing.onnx") + ": cannot open the file");
  const auto text = dir.write("text.onnx", "not a model\n");
  ASSERT_THROWS_WITH(import_onnx(text), IoError, text + ": not an ONNX model (the protobuf does not parse)");
  const auto empty = dir.write("empty.onnx", "");
  ASSERT_THROWS_WITH(import_onnx(empty), IoError, empty + ": not an ONNX model");
}

TEST(OnnxImporter, RefusesUnsupportedOpsNamingNodeAndTypes) {
  testing::TempDir dir;
  onnx::ModelProto m = model_with_opset(13);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {1, 4});
  add_value(g->mutable_output(), "y", {1, 4});
  add_node(g, "relu", "Relu", {"x"}, {"r"});
  add_node(g, "", "NonMaxSuppression", {"r"}, {"n"});
  add_node(g, "topk", "TopK", {"n"}, {"t"});
  add_node(g, "nms2", "NonMaxSuppression", {"t"}, {"y"});
  const auto path = dir.file("nms.onnx");
  save(m, path);
  ASSERT_THROWS_WITH(import_onnx(path), IoError,
                     path + ": node 'NonMaxSuppression_1': unsupported op 'NonMaxSuppression'; "
                            "the model also uses unsupported TopK");
  auto* custom = g->mutable_node(1);
  custom->set_domain("com.microsoft");
  custom->set_op_type("FusedConv");
  g->mutable_node()->DeleteSubrange(2, 2);
  g->mutable_node(1)->set_output(0, "y");
  ASSERT_THROWS_WITH(import_onnx(m, "ms.onnx"), IoError,
                     "ms.onnx: node 'FusedConv_1': unsupported op 'com.microsoft.FusedConv'");
}

TEST(OnnxImporter, RefusesOpsetsOutsideElevenToSeventeen) {
  for (int opset : {9, 18}) {
    ASSERT_THROWS_WITH(import_onnx(shape_chain_model(opset), "old.onnx"), IoError,
                       "old.onnx: opset " + std::to_string(opset) +
                           " is not supported (11 to 17); export with opset_version=13");
  }
}

TEST(OnnxImporter, RefusesUnsupportedElementTypes) {
  onnx::ModelProto m = model_with_opset(13);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {2}, onnx::TensorProto::FLOAT16);
  add_value(g->mutable_output(), "y", {2}, onnx::TensorProto::FLOAT16);
  add_node(g, "id", "Identity", {"x"}, {"y"});
  ASSERT_THROWS_WITH(import_onnx(m, "h.onnx"), IoError,
                     "h.onnx: input 'x': ONNX element type FLOAT16 is not supported "
                     "(FLOAT, DOUBLE, INT8, UINT8, INT16, INT32, INT64, BOOL)");
}

// ONNX's Conv shape inference divides by the strides: a zero one used to crash the process (SIGFPE).
TEST(OnnxImporter, RefusesAZeroStrideBeforeShapeInference) {
  onnx::ModelProto m = model_with_opset(13);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {1, 2, 5, 5});
  add_value(g->mutable_output(), "y", {1, 4, 5, 5});
  add_initializer(g, "w", at::ones({4, 2, 1, 1}));
  add_ints(add_node(g, "conv", "Conv", {"x", "w"}, {"y"}), "strides", {1, 0});
  ASSERT_THROWS_WITH(import_onnx(m, "s.onnx"), IoError,
                     "s.onnx: node 'conv': Conv: attribute strides has 0; every element must be at least 1");
  g->mutable_node(0)->mutable_attribute(0)->set_ints(1, 1);
  add_int(g->mutable_node(0), "group", -3);
  ASSERT_THROWS_WITH(import_onnx(m, "s.onnx"), IoError,
                     "s.onnx: node 'conv': Conv: attribute group has -3; every element must be at least 1");
}

// ONNX 1.12's data propagation for Shape dereferences its input's type: a Shape reading a
// value whose inference failed (here an Add of [1,2] and [3]) used to crash the process.
TEST(OnnxImporter, AShapeOfAValueInferenceCannotTypeImportsAndFailsAtTheRun) {
  onnx::ModelProto m = model_with_opset(13);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {1, 2});
  add_value(g->mutable_input(), "y", {3});
  add_value(g->mutable_output(), "s", {2}, onnx::TensorProto::INT64);
  add_node(g, "sum", "Add", {"x", "y"}, {"z"});
  add_node(g, "shape", "Shape", {"z"}, {"s"});
  const Graph graph = import_onnx(m, "mismatch.onnx");
  ASSERT_EQ(graph.nodes().size(), 2u);
  try {
    Executor(graph).run({{"x", at::zeros({1, 2})}, {"y", at::zeros({3})}});
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("node 'sum' (Add) failed: The size of tensor a (2) must match", 0), 0u)
        << e.what();
  }
}

TEST(OnnxTensor, ReadsTypedFieldsAndRawData) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::INT64);
  p.add_dims(3);
  for (int64_t v : {7, -1, 5}) p.add_int64_data(v);
  EXPECT_TRUE(at::equal(from_onnx_tensor(p), longs({7, -1, 5})));
  onnx::TensorProto b;
  b.set_data_type(onnx::TensorProto::BOOL);
  b.add_dims(2);
  b.add_int32_data(1);
  b.add_int32_data(0);
  EXPECT_TRUE(at::equal(from_onnx_tensor(b), longs({1, 0}).to(at::kBool)));
  onnx::TensorProto raw;
  to_onnx_tensor(at::tensor({1.5f, -2.0f}).reshape({1, 2}), "r", raw);
  EXPECT_TRUE(at::equal(from_onnx_tensor(raw), at::tensor({1.5f, -2.0f}).reshape({1, 2})));
  raw.add_dims(2);
  ASSERT_THROWS_WITH(from_onnx_tensor(raw), Error, "tensor 'r': raw data has 8 bytes for 4 elements of Float");
}

}  // namespace qat::graph
