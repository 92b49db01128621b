#include "qat/export/manifest.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/sha256.h"

namespace qat::exporter {

std::string ThresholdManifest::to_json() const {
  nlohmann::json j = {{"format", "qat-threshold-manifest"},
                      {"format_version", 1},
                      {"model", model},
                      {"model_sha256", model_sha256},
                      {"score_threshold", score_threshold},
                      {"teacher_threshold", teacher_threshold},
                      {"gate", gate},
                      {"recipe_hash", recipe_hash},
                      {"versions", versions}};
  return j.dump(2) + "\n";
}

ThresholdManifest ThresholdManifest::parse(const std::string& text, const std::string& where) {
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.value("format", "") != "qat-threshold-manifest") {
      throw IoError(where, "", "not a qat threshold manifest (format is not 'qat-threshold-manifest')");
    }
    ThresholdManifest m;
    m.model = j.at("model").get<std::string>();
    m.model_sha256 = j.at("model_sha256").get<std::string>();
    m.score_threshold = j.at("score_threshold").get<double>();
    m.teacher_threshold = j.at("teacher_threshold").get<double>();
    m.gate = j.at("gate").get<std::map<std::string, double>>();
    m.recipe_hash = j.at("recipe_hash").get<std::string>();
    m.versions = j.at("versions").get<std::map<std::string, std::string>>();
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw IoError(where, "", std::string("malformed manifest: ") + e.what());
  }
}

void write_manifest(const std::string& path, const ThresholdManifest& manifest) {
  write_file_atomic(path, manifest.to_json());
}

ThresholdManifest read_manifest(const std::string& path) { return ThresholdManifest::parse(read_file(path), path); }

ThresholdManifest verify_manifest(const std::string& model_path, const std::string& manifest_path,
                                  std::optional<double> deployed_threshold) {
  const ThresholdManifest m = read_manifest(manifest_path);
  const std::string sha = sha256_file(model_path);
  if (sha != m.model_sha256) {
    throw Error(model_path + " (sha256 " + sha.substr(0, 12) + ") is not the model " + manifest_path +
                " describes (sha256 " + m.model_sha256.substr(0, 12) + ", " + m.model + ")");
  }
  if (deployed_threshold && std::abs(*deployed_threshold - m.score_threshold) > 1e-9) {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "deployed threshold %g differs from the manifest's %g", *deployed_threshold,
                  m.score_threshold);
    throw Error(std::string(buf) + " (" + manifest_path + ")");
  }
  return m;
}

}  // namespace qat::exporter
