#include "qat/export/manifest.h"

#include <onnx/onnx_pb.h>

#include <nlohmann/json.hpp>

#include "qat/core/atomic_file.h"
#include "qat/core/sha256.h"
#include "support/test_support.h"

namespace qat::exporter {
namespace {

// A minimal ONNX model whose metadata records `threshold` as the exporter does
// (std::to_string: 6 decimals); no metadata when empty.
std::string write_model(const testing::TempDir& dir, const std::string& name, const std::string& threshold,
                        const std::string& producer = "qat") {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name(producer);
  m.mutable_graph()->set_name("g");
  if (!threshold.empty()) {
    auto* p = m.add_metadata_props();
    p->set_key("qat.score_threshold");
    p->set_value(threshold);
  }
  return dir.write(name, m.SerializeAsString());
}

ThresholdManifest manifest_for(const std::string& model, double threshold) {
  ThresholdManifest m;
  m.model = "model.int8.onnx";
  m.model_sha256 = sha256_file(model);
  m.score_threshold = threshold;
  m.teacher_threshold = 0.70;
  m.gate = {{"recall", 0.97}};
  m.recipe_hash = "abc";
  m.versions = {{"qat", "0.1.0"}};
  return m;
}

}  // namespace

TEST(Manifest, RoundTripAndVerify) {
  testing::TempDir dir;
  const auto model = write_model(dir, "model.int8.onnx", std::to_string(0.69));
  const auto path = dir.file("model.int8.threshold.json");
  write_manifest(path, manifest_for(model, 0.69));
  const auto back = verify_manifest(model, path, 0.69);
  EXPECT_DOUBLE_EQ(back.score_threshold, 0.69);
  EXPECT_DOUBLE_EQ(back.gate.at("recall"), 0.97);
  EXPECT_EQ(back.versions.at("qat"), "0.1.0");
}

TEST(Manifest, AnotherModelOrThresholdIsRefused) {
  testing::TempDir dir;
  const auto model = write_model(dir, "model.onnx", "0.690000");
  ThresholdManifest m = manifest_for(model, 0.69);
  m.model = "model.onnx";
  const auto path = dir.file("m.json");
  write_manifest(path, m);
  ASSERT_THROWS_WITH(verify_manifest(model, path, 0.70), Error,
                     "deployed threshold 0.7 differs from the manifest's 0.69 (" + path + ")");
  const auto other = write_model(dir, "other.onnx", "0.690000", "other");
  ASSERT_THROWS_WITH(verify_manifest(other, path), Error,
                     other + " (sha256 " + sha256_file(other).substr(0, 12) + ") is not the model " + path +
                         " describes (sha256 " + m.model_sha256.substr(0, 12) + ", model.onnx)");
  const auto bad = dir.write("bad.json", "{\"format\": \"x\"}");
  ASSERT_THROWS_WITH(read_manifest(bad), IoError,
                     bad + ": not a qat threshold manifest (format is not 'qat-threshold-manifest')");
}

TEST(Manifest, EditedThresholdNoLongerMatchesTheModelsOwn) {
  testing::TempDir dir;
  const auto model = write_model(dir, "model.onnx", "0.690000");
  const auto path = dir.file("m.json");
  write_manifest(path, manifest_for(model, 0.3));
  ASSERT_THROWS_WITH(verify_manifest(model, path), Error,
                     path + ": score_threshold 0.29999999999999999 differs from the model's own 0.690000 (" + model +
                         " metadata qat.score_threshold)");
  const auto bare = write_model(dir, "bare.onnx", "");
  write_manifest(path, manifest_for(bare, 0.69));
  ASSERT_THROWS_WITH(verify_manifest(bare, path), IoError,
                     bare + ": records no qat.score_threshold metadata to check " + path + " against");
}

TEST(Manifest, ThresholdOutsideTheOpenUnitIntervalOrUnknownVersionIsRefused) {
  testing::TempDir dir;
  const auto model = write_model(dir, "model.onnx", "0.690000");
  const auto path = dir.file("m.json");
  const std::string text = manifest_for(model, 0.69).to_json();
  auto edited = [&](const std::string& key, const nlohmann::json& value) {
    auto j = nlohmann::json::parse(text);
    j[key] = value;
    write_file_atomic(path, j.dump(2));
  };
  edited("score_threshold", -7);
  ASSERT_THROWS_WITH(verify_manifest(model, path), IoError,
                     path + ": score_threshold must be a number in (0, 1), got -7");
  edited("score_threshold", 1e300);
  ASSERT_THROWS_WITH(verify_manifest(model, path), IoError,
                     path + ": score_threshold must be a number in (0, 1), got 1.0000000000000001e+300");
  edited("score_threshold", 0);
  ASSERT_THROWS_WITH(verify_manifest(model, path), IoError,
                     path + ": score_threshold must be a number in (0, 1), got 0");
  edited("format_version", 99);
  ASSERT_THROWS_WITH(verify_manifest(model, path), IoError,
                     path + ": manifest format version 99 is not supported (expected 1)");
  edited("teacher_threshold", -1);
  ASSERT_THROWS_WITH(verify_manifest(model, path), IoError,
                     path + ": teacher_threshold must be a number in [0, 1], got -1");
  write_manifest(path, manifest_for(model, 0.69));
  for (const double bad : {std::nan(""), -0.5, 1.5, 0.0, 1.0}) {
    EXPECT_THROW(verify_manifest(model, path, bad), Error) << bad;
  }
  ASSERT_THROWS_WITH(check_threshold(std::nan(""), "--threshold"), Error, "--threshold must be a number in (0, 1), got nan");
  ASSERT_THROWS_WITH(check_threshold(-1, "--threshold"), Error, "--threshold must be a number in (0, 1), got -1");
}

}  // namespace qat::exporter
