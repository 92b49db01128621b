// `qat train --nproc N`: N copies of this program on one machine, each with the
// torchrun variables of its rank (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1,
// MASTER_PORT a free port), waited for together.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace qat::dist {

/// A free TCP port on 127.0.0.1 (bound and released: another process may take it first).
int free_loopback_port();

/// Runs `/proc/self/exe args...` as ranks 0..nproc-1 and waits for all. When one exits
/// non-zero (or is killed), the others get SIGTERM (SIGKILL after `grace_s`) and the
/// result is that rank's code (128 + signal when killed); the log names the rank.
/// A SIGINT/SIGTERM to the launcher is passed on to every rank.
/// Refuses to run inside a launch already (WORLD_SIZE set): exit 2.
int launch_local(int64_t nproc, const std::vector<std::string>& args, int64_t grace_s = 10);

/// This process's own arguments (from /proc/self/cmdline, the program name left out)
/// without `option` and its value (`--nproc 2` or `--nproc=2`): what each rank runs.
std::vector<std::string> own_arguments_without(const std::string& option);

}  // namespace qat::dist
