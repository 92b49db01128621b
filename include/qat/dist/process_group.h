// The ranks of a data-parallel run: the torchrun environment (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT), the rendezvous through c10d's TCPStore
// (rank 0 hosts it) and a c10d ProcessGroupGloo for the collectives. c10d stays
// behind this header (no torch/torch.h, no c10d types): the library sees tensors.
//
// Every call that talks to peers waits at most distributed.timeout_s; a peer that
// is gone or late ends the call with DistributedError naming the rank.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qat/core/error.h"
#include "qat/dist/dist_options.h"

namespace qat::dist {

/// Exit code of a run that lost a peer (or could not reach one).
constexpr int kExitPeerLost = 7;

/// A peer that cannot be reached, died, or did not answer within the timeout.
class DistributedError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return kExitPeerLost; }
};

/// Where this process is among the ranks (the torchrun variables).
struct LaunchEnv {
  int64_t rank = 0;
  int64_t world_size = 1;
  int64_t local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int64_t master_port = 29500;
};

/// The launch variables read through `getenv`; nullopt when WORLD_SIZE is unset or 1
/// (a single process: no process group at all). Throws ConfigError-free qat::Error
/// (exit 2) naming the variable when one is malformed or RANK is outside [0, WORLD_SIZE).
std::optional<LaunchEnv> launch_env(const std::function<const char*(const char*)>& getenv);
/// launch_env(std::getenv).
std::optional<LaunchEnv> launch_env_from_environment();

/// How tensors combine across ranks.
enum class Reduce { sum, min, max, mean };

class Group {
 public:
  /// Joins the group: rank 0 starts the store at master_addr:master_port, every rank
  /// connects and builds the backend. Throws qat::Error (exit 2) for backend nccl on
  /// this CPU build, DistributedError when the rendezvous times out.
  Group(const LaunchEnv& env, const DistributedSection& options);
  ~Group();
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;

  int64_t rank() const { return env_.rank; }
  int64_t world_size() const { return env_.world_size; }
  /// Rank 0 writes the run's files; the others compute the same and write nothing.
  bool writes() const { return env_.rank == 0; }

  /// Combines `tensors` (float32, same shapes on every rank) in place, flattened into
  /// buckets of at most kBucketBytes so that a model's tensors are a few collectives.
  void reduce(const std::vector<at::Tensor>& tensors, Reduce how, const char* what);
  /// Every rank's `local` in rank order. The tensors must have the same dtype and the
  /// same sizes but the first on every rank; the first (rows) may differ (0 too). The
  /// bytes arrive as sent: no arithmetic touches them.
  std::vector<at::Tensor> all_gather(const at::Tensor& local, const char* what);
  /// Waits until every rank arrives.
  void barrier(const char* what);
  /// Rank 0 posts `value` under `key`; the others wait for it without the collective
  /// timeout (rank 0 may work for long alone), but fail at once when rank 0 is gone.
  void post(const std::string& key, const std::string& value);
  std::string await(const std::string& key);

  static constexpr int64_t kBucketBytes = int64_t(16) << 20;

 private:
  friend class GradientSync;  // builds c10d's Reducer on this group's backend
  /// Runs `call`, turning a c10d/gloo failure into DistributedError naming `peer`
  /// (empty: the other ranks).
  void guarded(const char* what, const std::function<void()>& call, const std::string& peer = "");
  std::string peers() const;

  struct Impl;
  LaunchEnv env_;
  DistributedSection options_;
  std::unique_ptr<Impl> impl_;
};

/// The group of this process when the environment names one (launch_env), else nullptr.
/// First, in one process too, resolves options.device (dist/device.h): a CUDA device
/// on this CPU-only build throws qat::Error (exit 2) naming distributed.device.
std::unique_ptr<Group> join_from_environment(const DistributedSection& options);

}  // namespace qat::dist
