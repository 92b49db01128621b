#include "qat/runtime/onnx_runtime.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/interrupt.h"
#include "qat/core/run_lock.h"

namespace qat::runtime {
namespace fs = std::filesystem;
namespace {

// The script lives in the source tree (QAT_SOURCE_DIR, compiled in); QAT_ORT_SCRIPT overrides.
fs::path script_path() {
  if (const char* p = std::getenv("QAT_ORT_SCRIPT")) return p;
  return fs::path(QAT_SOURCE_DIR) / "scripts" / "ort_run.js";
}

// Runs `args` (args[0] looked up in PATH) in its own process group, so an
// interrupted qat can stop it (ChildProcessGuard); returns its exit status (-1 when
// it did not exit normally) and captured stderr+stdout. {127, ...} when it cannot start.
std::pair<int, std::string> run_command(const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("cannot create a pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (spawned != 0) {
    ::close(fds[0]);
    return {127, "cannot start " + args[0] + ": " + std::strerror(spawned)};
  }
  std::string output;
  int status = 0;
  {
    ChildProcessGuard guard(pid);
    std::array<char, 4096> buf;
    while (true) {
      const ssize_t n = ::read(fds[0], buf.data(), buf.size());
      if (n > 0) {
        output.append(buf.data(), static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        break;
      }
    }
    ::close(fds[0]);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  throw_if_interrupted();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// A directory removed with its contents when the object goes away. Named
// qat-ort-<pid>-<random>, so remove_stale_scratch_dirs can tell a dead run's.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("qat-ort-" + std::to_string(::getpid()) + "-" + std::to_string(rd()) + std::to_string(rd()));
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

// Writes `inputs` as raw files into `dir` and lists them in `request`.
void add_inputs(const fs::path& dir, const std::map<std::string, at::Tensor>& inputs, nlohmann::json& request) {
  request["inputs"] = nlohmann::json::array();
  int index = 0;
  for (const auto& [name, tensor] : inputs) {
    const at::Tensor t = tensor.detach().contiguous().cpu();
    const std::string file = "input" + std::to_string(index++) + ".bin";
    std::ofstream out(dir / file, std::ios::binary);
    out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
    request["inputs"].push_back({{"name", name}, {"dtype", dtype_name(t.scalar_type())},
                                 {"shape", t.sizes().vec()}, {"file", file}});
  }
}

// Runs the script on `dir`/request.json; throws with its message (naming `model`) on failure.
nlohmann::json run_request(const ScratchDir& dir, const nlohmann::json& request, const std::string& model) {
  std::ofstream(dir.path() / "request.json") << request.dump();
  const auto [code, output] = run_command({"node", script_path().string(), dir.path().string()});
  if (code != 0) {
    std::string reason = output;
    while (!reason.empty() && reason.back() == '\n') reason.pop_back();
    throw IoError(model, "", "ONNX Runtime failed: " + reason);
  }
  return nlohmann::json::parse(read_file(dir.path() / "response.json"));
}

}  // namespace

Latency onnxruntime_latency(const std::vector<std::string>& model_paths,
                                        const std::map<std::string, at::Tensor>& inputs,
                                        const LatencyOptions& options) {
  QAT_CHECK(options.runs > 0 && options.threads > 0, "latency needs at least one run and one thread");
  ScratchDir dir;
  nlohmann::json request;
  request["optimization"] = options.optimization;
  nlohmann::json models = nlohmann::json::array();
  for (const auto& m : model_paths) models.push_back(fs::absolute(m).string());
  request["latency"] = {{"models", models}, {"runs", options.runs}, {"warmup", options.warmup},
                        {"threads", options.threads}};
  add_inputs(dir.path(), inputs, request);
  const auto response = run_request(dir, request, model_paths.empty() ? "" : model_paths.front());
  return {response["latency_ms"].get<std::vector<double>>(), response["cpu_ms"].get<std::vector<double>>()};
}

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
  add_inputs(dir.path(), inputs, request);
  const auto response = run_request(dir, request, model_path);
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

std::vector<std::string> remove_stale_scratch_dirs() {
  std::vector<std::string> removed;
  std::error_code ec;
  const fs::path tmp = fs::temp_directory_path(ec);
  if (ec) return removed;
  for (auto it = fs::directory_iterator(tmp, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("qat-ort-", 0) != 0) continue;
    const auto dash = name.find('-', 8);
    if (dash == std::string::npos) continue;
    const std::string pid = name.substr(8, dash - 8);
    if (pid.empty() || pid.size() > 10 || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (process_alive(std::stoll(pid))) continue;
    std::error_code rm;
    fs::remove_all(it->path(), rm);
    if (!rm) removed.push_back(it->path().string());
  }
  return removed;
}

std::string onnxruntime_version() {
  const auto [code, output] = run_command({"node", script_path().string(), "--version"});
  if (code != 0) throw Error("ONNX Runtime (onnxruntime-node) is not installed; run scripts/setup");
  return output;
}

}  // namespace qat::runtime
