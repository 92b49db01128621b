#include "qat/runtime/onnx_runtime.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"

namespace qat::runtime {
namespace fs = std::filesystem;
namespace {

// The script lives in the source tree (QAT_SOURCE_DIR, compiled in); QAT_ORT_SCRIPT overrides.
fs::path script_path() {
  if (const char* p = std::getenv("QAT_ORT_SCRIPT")) return p;
  return fs::path(QAT_SOURCE_DIR) / "scripts" / "ort_run.js";
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command; returns exit status and captured stderr+stdout.
std::pair<int, std::string> run_command(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw Error("cannot start: " + command);
  std::array<char, 4096> buf;
  while (size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// A directory removed with its contents when the object goes away.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("qat-ort-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const char* dtype_name(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "float32";
    case at::kLong: return "int64";
    case at::kInt: return "int32";
    case at::kChar: return "int8";
    case at::kByte: return "uint8";
    default: throw Error(std::string("cannot pass a ") + c10::toString(t) + " tensor to ONNX Runtime");
  }
}

at::ScalarType dtype_of(const std::string& name) {
  if (name == "float32") return at::kFloat;
  if (name == "int64") return at::kLong;
  if (name == "int32") return at::kInt;
  if (name == "int8") return at::kChar;
  if (name == "uint8") return at::kByte;
  throw Error("ONNX Runtime returned an unsupported type " + name);
}

}  // namespace

std::map<std::string, at::Tensor> run_onnxruntime(const std::string& model_path,
                                                  const std::map<std::string, at::Tensor>& inputs,
                                                  const OrtOptions& options) {
  ScratchDir dir;
  nlohmann::json request;
  request["model"] = fs::absolute(model_path).string();
  request["optimization"] = options.optimization;
  if (!options.optimized_model_path.empty()) {
    request["optimized_model"] = fs::absolute(options.optimized_model_path).string();
  }
  request["inputs"] = nlohmann::json::array();
  int index = 0;
  for (const auto& [name, tensor] : inputs) {
    const at::Tensor t = tensor.detach().contiguous().cpu();
    const std::string file = "input" + std::to_string(index++) + ".bin";
    std::ofstream out(dir.path() / file, std::ios::binary);
    out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
    request["inputs"].push_back({{"name", name}, {"dtype", dtype_name(t.scalar_type())},
                                 {"shape", t.sizes().vec()}, {"file", file}});
  }
  std::ofstream(dir.path() / "request.json") << request.dump();

  const auto [code, output] =
      run_command("node " + quote(script_path().string()) + " " + quote(dir.path().string()));
  if (code != 0) {
    std::string reason = output;
    while (!reason.empty() && reason.back() == '\n') reason.pop_back();
    throw IoError(model_path, "", "ONNX Runtime failed: " + reason);
  }
  const auto response = nlohmann::json::parse(read_file(dir.path() / "response.json"));
  std::map<std::string, at::Tensor> result;
  for (const auto& o : response["outputs"]) {
    const std::string bytes = read_file(dir.path() / o["file"].get<std::string>());
    const auto shape = o["shape"].get<std::vector<int64_t>>();
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(dtype_of(o["dtype"].get<std::string>())));
    QAT_ASSERT(static_cast<size_t>(t.numel() * t.element_size()) == bytes.size(), "ONNX Runtime output size");
    std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
    result[o["name"].get<std::string>()] = t;
  }
  return result;
}

std::string onnxruntime_version() {
  const auto [code, output] = run_command("node " + quote(script_path().string()) + " --version");
  if (code != 0) throw Error("ONNX Runtime (onnxruntime-node) is not installed; run scripts/setup");
  return output;
}

}  // namespace qat::runtime
