#include "qat/export/manifest.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/excerpt.h"
#include "qat/core/sha256.h"
#include "qat/export/onnx_summary.h"

namespace qat::exporter {

namespace {

constexpr int64_t kManifestVersion = 1;

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

}  // namespace

void check_threshold(double threshold, const std::string& what) {
  if (!std::isfinite(threshold) || threshold <= 0 || threshold >= 1) {
    throw Error(what + " must be a number in (0, 1), got " + number(threshold));
  }
}

std::string ThresholdManifest::to_json() const {
  nlohmann::json j = {{"format", "qat-threshold-manifest"},
                      {"format_version", kManifestVersion},
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
    if (!j.contains("format_version") || !j.at("format_version").is_number_integer()) {
      throw IoError(where, "", "format_version is missing or not an integer");
    }
    const int64_t version = j.at("format_version").get<int64_t>();
    if (version != kManifestVersion) {
      throw IoError(where, "", "manifest format version " + std::to_string(version) + " is not supported (expected " +
                                   std::to_string(kManifestVersion) + ")");
    }
    ThresholdManifest m;
    m.model = j.at("model").get<std::string>();
    m.model_sha256 = j.at("model_sha256").get<std::string>();
    m.score_threshold = j.at("score_threshold").get<double>();
    m.teacher_threshold = j.at("teacher_threshold").get<double>();
    m.gate = j.at("gate").get<std::map<std::string, double>>();
    m.recipe_hash = j.at("recipe_hash").get<std::string>();
    m.versions = j.at("versions").get<std::map<std::string, std::string>>();
    try {
      check_threshold(m.score_threshold, "score_threshold");
      if (!std::isfinite(m.teacher_threshold) || m.teacher_threshold < 0 || m.teacher_threshold > 1) {
        throw Error("teacher_threshold must be a number in [0, 1], got " + number(m.teacher_threshold));
      }
    } catch (const Error& e) {
      throw IoError(where, "", e.message());
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw IoError(where, "", "malformed manifest: " + excerpt(e.what()));
  }
}

void write_manifest(const std::string& path, const ThresholdManifest& manifest) {
  write_file_atomic(path, manifest.to_json());
}

ThresholdManifest read_manifest(const std::string& path) { return ThresholdManifest::parse(read_file(path), path); }

ThresholdManifest verify_manifest(const std::string& model_path, const std::string& manifest_path,
                                  std::optional<double> deployed_threshold) {
  if (deployed_threshold) check_threshold(*deployed_threshold, "the deployed threshold");
  const ThresholdManifest m = read_manifest(manifest_path);
  const std::string sha = sha256_file(model_path);
  if (sha != m.model_sha256) {
    throw Error(model_path + " (sha256 " + sha.substr(0, 12) + ") is not the model " + manifest_path +
                " describes (sha256 " + m.model_sha256.substr(0, 12) + ", " + m.model + ")");
  }
  // The model carries its own threshold (qat.score_threshold, written with 6 decimals):
  // a manifest edited to another threshold no longer matches it.
  const onnx::ModelProto model = read_onnx_model(model_path);
  std::string recorded;
  for (const auto& p : model.metadata_props()) {
    if (p.key() == "qat.score_threshold") recorded = p.value();
  }
  if (recorded.empty()) {
    throw IoError(model_path, "", "records no qat.score_threshold metadata to check " + manifest_path + " against");
  }
  char* end = nullptr;
  const double own = std::strtod(recorded.c_str(), &end);
  if (end == recorded.c_str() || *end != '\0' || !std::isfinite(own)) {
    throw IoError(model_path, "", "metadata qat.score_threshold is not a number: '" + excerpt(recorded) + "'");
  }
  if (std::abs(own - m.score_threshold) > 5e-7) {
    throw Error(manifest_path + ": score_threshold " + number(m.score_threshold) + " differs from the model's own " +
                excerpt(recorded) + " (" + model_path + " metadata qat.score_threshold)");
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
