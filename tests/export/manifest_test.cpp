#include "qat/export/manifest.h"

#include "qat/core/sha256.h"
#include "support/test_support.h"

namespace qat::exporter {

TEST(Manifest, RoundTripAndVerify) {
  testing::TempDir dir;
  const auto model = dir.write("model.int8.onnx", "model bytes");
  ThresholdManifest m;
  m.model = "model.int8.onnx";
  m.model_sha256 = sha256_file(model);
  m.score_threshold = 0.69;
  m.teacher_threshold = 0.70;
  m.gate = {{"recall", 0.97}};
  m.recipe_hash = "abc";
  m.versions = {{"qat", "0.1.0"}};
  const auto path = dir.file("model.int8.threshold.json");
  write_manifest(path, m);
  const auto back = verify_manifest(model, path, 0.69);
  EXPECT_DOUBLE_EQ(back.score_threshold, 0.69);
  EXPECT_DOUBLE_EQ(back.gate.at("recall"), 0.97);
  EXPECT_EQ(back.versions.at("qat"), "0.1.0");
}

TEST(Manifest, AnotherModelOrThresholdIsRefused) {
  testing::TempDir dir;
  const auto model = dir.write("model.onnx", "model bytes");
  ThresholdManifest m;
  m.model = "model.onnx";
  m.model_sha256 = sha256_file(model);
  m.score_threshold = 0.69;
  const auto path = dir.file("m.json");
  write_manifest(path, m);
  ASSERT_THROWS_WITH(verify_manifest(model, path, 0.70), Error,
                     "deployed threshold 0.7 differs from the manifest's 0.69 (" + path + ")");
  const auto other = dir.write("other.onnx", "other bytes");
  ASSERT_THROWS_WITH(verify_manifest(other, path), Error,
                     other + " (sha256 " + sha256_hex("other bytes").substr(0, 12) + ") is not the model " + path +
                         " describes (sha256 " + m.model_sha256.substr(0, 12) + ", model.onnx)");
  const auto bad = dir.write("bad.json", "{\"format\": \"x\"}");
  ASSERT_THROWS_WITH(read_manifest(bad), IoError,
                     bad + ": not a qat threshold manifest (format is not 'qat-threshold-manifest')");
}

}  // namespace qat::exporter
