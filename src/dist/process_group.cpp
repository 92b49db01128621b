// c10d behind qat::dist::Group. libtorch_cpu.so carries the code; the gloo headers
// that ProcessGroupGloo.hpp includes come from libgloo-dev (scripts/setup).
#include "qat/dist/process_group.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "dist/group_impl.h"
#include "qat/core/logging.h"
#include "qat/dist/device.h"

namespace qat::dist {
namespace {

// Gloo reduces and gathers host buffers: tensors on another device (distributed.device)
// are copied to the host and back. (NCCL, in a CUDA build, would use the rank's GPU.)
const at::Device kWire = at::kCPU;

// A whole number in [lo, hi] from variable `name`.
int64_t env_integer(const char* name, const char* text, int64_t lo, int64_t hi) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) {
    throw Error(std::string("environment variable ") + name + "='" + text + "': must be a whole number in [" +
                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return v;
}

const char* required(const std::function<const char*(const char*)>& getenv, const char* name) {
  const char* v = getenv(name);
  if (v == nullptr || *v == '\0') {
    throw Error(std::string("WORLD_SIZE is set but ") + name +
                " is not: a launcher (qat train --nproc, torchrun, srun) sets RANK, WORLD_SIZE, MASTER_ADDR "
                "and MASTER_PORT");
  }
  return v;
}

bool is_loopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0; }

}  // namespace

std::optional<LaunchEnv> launch_env(const std::function<const char*(const char*)>& getenv) {
  const char* world = getenv("WORLD_SIZE");
  if (world == nullptr || *world == '\0') return std::nullopt;
  LaunchEnv e;
  e.world_size = env_integer("WORLD_SIZE", world, 1, 65536);
  if (e.world_size == 1) return std::nullopt;
  e.rank = env_integer("RANK", required(getenv, "RANK"), 0, e.world_size - 1);
  const char* local = getenv("LOCAL_RANK");
  e.local_rank = local != nullptr && *local != '\0' ? env_integer("LOCAL_RANK", local, 0, e.world_size - 1) : e.rank;
  e.master_addr = required(getenv, "MASTER_ADDR");
  e.master_port = env_integer("MASTER_PORT", required(getenv, "MASTER_PORT"), 1, 65535);
  return e;
}

std::optional<LaunchEnv> launch_env_from_environment() {
  return launch_env([](const char* name) -> const char* { return std::getenv(name); });
}

Group::Group(const LaunchEnv& env, const DistributedSection& options)
    : env_(env), options_(options), impl_(std::make_unique<Impl>()) {
  if (options.backend == "nccl") {
    throw Error("distributed.backend: nccl needs a CUDA build of libtorch; this one is CPU-only (use gloo)");
  }
  const auto timeout = std::chrono::milliseconds(options.timeout_s * 1000);
  logger().info("rank {} of {}: joining the group at {}:{} (timeout {} s)", env.rank, env.world_size,
                env.master_addr, env.master_port, options.timeout_s);
  guarded("the rendezvous", [&] {
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(env.master_port);
    so.isServer = env.rank == 0;
    so.numWorkers = static_cast<size_t>(env.world_size);
    so.waitWorkers = true;
    so.timeout = timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    auto go = c10d::ProcessGroupGloo::Options::create(timeout);
    go->devices.push_back(is_loopback(env.master_addr) ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                                       : c10d::ProcessGroupGloo::createDefaultDevice());
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, static_cast<int>(env.rank),
                                                               static_cast<int>(env.world_size), go);
  });
}

Group::~Group() = default;

std::string Group::peers() const {
  if (env_.world_size == 2) return "rank " + std::to_string(1 - env_.rank);
  std::string s = "one of ranks ";
  for (int64_t r = 0; r < env_.world_size; ++r) {
    if (r == env_.rank) continue;
    if (s.back() != ' ') s += ", ";
    s += std::to_string(r);
  }
  return s;
}

void Group::guarded(const char* what, const std::function<void()>& call, const std::string& peer) {
  try {
    call();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    std::string reason = e.what();
    if (const auto nl = reason.find('\n'); nl != std::string::npos) reason.resize(nl);  // c10's backtrace follows
    throw DistributedError("rank " + std::to_string(env_.rank) + " of " + std::to_string(env_.world_size) + ": " +
                           (peer.empty() ? peers() : peer) + " is gone or did not answer during " + what + " (distributed.timeout_s " +
                           std::to_string(options_.timeout_s) + "): " + reason);
  }
}

void Group::reduce(const std::vector<at::Tensor>& tensors, Reduce how, const char* what) {
  c10d::AllreduceOptions ao;
  ao.reduceOp = how == Reduce::min ? c10d::ReduceOp::MIN : how == Reduce::max ? c10d::ReduceOp::MAX
                                                                              : c10d::ReduceOp::SUM;
  size_t first = 0;
  while (first < tensors.size()) {
    // One bucket: tensors in order up to kBucketBytes (at least one).
    size_t last = first;
    int64_t bytes = 0;
    std::vector<at::Tensor> flat_parts;
    while (last < tensors.size() && (last == first || bytes + tensors[last].nbytes() <= kBucketBytes)) {
      bytes += static_cast<int64_t>(tensors[last].nbytes());
      flat_parts.push_back(tensors[last].detach().reshape({-1}));
      ++last;
    }
    std::vector<at::Tensor> bucket{at::cat(flat_parts).to(kWire)};
    guarded(what, [&] { impl_->group->allreduce(bucket, ao)->wait(); });
    if (how == Reduce::mean) bucket[0].div_(static_cast<double>(env_.world_size));
    int64_t offset = 0;
    at::NoGradGuard no_grad;
    for (size_t i = first; i < last; ++i) {
      const int64_t n = tensors[i].numel();
      tensors[i].copy_(bucket[0].narrow(0, offset, n).view(tensors[i].sizes()));
      offset += n;
    }
    first = last;
  }
}

std::vector<at::Tensor> Group::all_gather(const at::Tensor& local, const char* what) {
  QAT_ASSERT(local.dim() >= 1, "all_gather needs a tensor with rows, got ", local.dim(), " dimensions");
  const auto world = static_cast<size_t>(env_.world_size);
  // Gloo gathers equal shapes: the row counts first, then every rank's rows padded to the most.
  std::vector<at::Tensor> mine{at::full({1}, local.size(0), at::kLong)};
  std::vector<std::vector<at::Tensor>> counts{std::vector<at::Tensor>(world)};
  for (auto& c : counts[0]) c = at::empty({1}, at::kLong);
  guarded(what, [&] { impl_->group->allgather(counts, mine)->wait(); });
  int64_t most = 1;  // at least one row: no empty buffers reach gloo
  for (const auto& c : counts[0]) most = std::max(most, c.item<int64_t>());
  std::vector<int64_t> shape = local.sizes().vec();
  shape[0] = most;
  const auto wire = local.options().device(kWire);
  std::vector<at::Tensor> padded{at::zeros(shape, wire)};
  padded[0].narrow(0, 0, local.size(0)).copy_(local.detach());
  std::vector<std::vector<at::Tensor>> rows{std::vector<at::Tensor>(world)};
  for (auto& r : rows[0]) r = at::empty(shape, wire);
  guarded(what, [&] { impl_->group->allgather(rows, padded)->wait(); });
  std::vector<at::Tensor> out;
  out.reserve(world);
  for (size_t r = 0; r < world; ++r) {
    out.push_back(rows[0][r].narrow(0, 0, counts[0][r].item<int64_t>()).to(local.device()));
  }
  return out;
}

void Group::barrier(const char* what) {
  guarded(what, [&] { impl_->group->barrier()->wait(); });
}

void Group::post(const std::string& key, const std::string& value) {
  guarded("posting the run's end", [&] {
    impl_->store->set(key, std::vector<uint8_t>(value.begin(), value.end()));
    // The store lives in this process: stay until every rank has read the value.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options_.timeout_s);
    while (impl_->store->add(key + "/read", 0) < env_.world_size - 1) {
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("a rank did not read " + key);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
}

std::string Group::await(const std::string& key) {
  std::string value;
  guarded(
      "the wait for rank 0's end",
      [&] {
        impl_->store->wait({key}, std::chrono::hours(24 * 365));
        const std::vector<uint8_t> v = impl_->store->get(key);
        value.assign(v.begin(), v.end());
        impl_->store->add(key + "/read", 1);
      },
      "rank 0");
  return value;
}

std::unique_ptr<Group> join_from_environment(const DistributedSection& options) {
  const auto env = launch_env_from_environment();
  // One process or many: a device this build cannot run on fails before any work.
  resolve_device(options.device, env ? env->local_rank : 0);
  if (!env) return nullptr;
  return std::make_unique<Group>(*env, options);
}

}  // namespace qat::dist
