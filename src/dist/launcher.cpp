#include "qat/dist/launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "qat/core/error.h"
#include "qat/core/interrupt.h"
#include "qat/core/logging.h"

namespace qat::dist {
namespace {

// The code a rank ended with: its exit status, or 128 + the signal that killed it.
int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

std::string how_it_ended(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) +
         ")";
}

// Forks rank `rank` of `nproc` running /proc/self/exe with `args`.
pid_t start_rank(int64_t rank, int64_t nproc, int port, const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid < 0) throw Error(std::string("cannot start rank ") + std::to_string(rank) + ": " + std::strerror(errno));
  if (pid > 0) return pid;
  setenv("RANK", std::to_string(rank).c_str(), 1);
  setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
  setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  std::vector<char*> argv;
  static char self[] = "/proc/self/exe";
  argv.push_back(self);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv(self, argv.data());
  _exit(127);
}

void signal_all(const std::vector<pid_t>& pids, int signal) {
  for (const pid_t p : pids) {
    if (p > 0) kill(p, signal);
  }
}

// Reaps every rank still running; SIGKILL once `grace_s` has passed.
void stop_all(std::vector<pid_t>& pids, int64_t grace_s) {
  signal_all(pids, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace_s);
  for (bool killed = false;;) {
    bool running = false;
    for (pid_t& p : pids) {
      int status = 0;
      if (p > 0 && waitpid(p, &status, WNOHANG) == p) p = 0;
      running = running || p > 0;
    }
    if (!running) return;
    if (!killed && std::chrono::steady_clock::now() > deadline) {
      signal_all(pids, SIGKILL);
      killed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(std::string("cannot open a socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  if (!ok) throw Error(std::string("cannot find a free port on 127.0.0.1: ") + std::strerror(errno));
  return ntohs(addr.sin_port);
}

std::vector<std::string> own_arguments_without(const std::string& option) {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::vector<std::string> args;
  for (std::string a; std::getline(in, a, '\0');) args.push_back(a);
  if (!args.empty()) args.erase(args.begin());
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == option) {
      ++i;  // and its value
      continue;
    }
    if (args[i].rfind(option + "=", 0) == 0) continue;
    out.push_back(args[i]);
  }
  return out;
}

int launch_local(int64_t nproc, const std::vector<std::string>& args, int64_t grace_s) {
  QAT_CHECK(nproc >= 1, "--nproc must be at least 1, got ", nproc);
  const char* world = std::getenv("WORLD_SIZE");
  QAT_CHECK(world == nullptr || *world == '\0', "--nproc inside a launch (WORLD_SIZE=", world,
            " is set): let the launcher start the ranks, or drop --nproc");
  const InterruptScope interrupts;
  const int port = free_loopback_port();
  logger().info("starting {} ranks on 127.0.0.1:{}", nproc, port);
  std::vector<pid_t> pids;
  for (int64_t r = 0; r < nproc; ++r) pids.push_back(start_rank(r, nproc, port, args));
  int64_t left = nproc;
  int forwarded = 0;
  while (left > 0) {
    if (const int s = pending_signal(); s != 0 && s != forwarded) {
      signal_all(pids, s);
      forwarded = s;
    }
    for (size_t r = 0; r < pids.size(); ++r) {
      int status = 0;
      if (pids[r] <= 0 || waitpid(pids[r], &status, WNOHANG) != pids[r]) continue;
      pids[r] = 0;
      --left;
      if (exit_code_of(status) == 0) continue;
      logger().error("rank {} {}; stopping the other ranks", r, how_it_ended(status));
      stop_all(pids, grace_s);
      return exit_code_of(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  logger().info("all {} ranks finished", nproc);
  return 0;
}

}  // namespace qat::dist
