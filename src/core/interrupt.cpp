#include "qat/core/interrupt.h"

#include <signal.h>

#include <array>
#include <atomic>
#include <mutex>

namespace qat {
namespace {

std::atomic<int> g_signal{0};
std::array<std::atomic<pid_t>, 16> g_children{};
std::mutex g_scope_mutex;
int g_scopes = 0;
struct sigaction g_old_int, g_old_term;

// Async-signal-safe only: atomics, kill, sigaction, raise.
void on_signal(int sig) {
  int expected = 0;
  if (!g_signal.compare_exchange_strong(expected, sig)) {
    // Second signal: no more waiting for a clean stop.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, nullptr);
    raise(sig);
    return;
  }
  for (auto& c : g_children) {
    const pid_t pg = c.load();
    if (pg > 0) kill(-pg, SIGTERM);
  }
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
  }
}

}  // namespace

Interrupted::Interrupted(int signal)
    : Error(std::string("interrupted by ") + signal_name(signal) + "; the run stopped and removed its temporary files"),
      signal_(signal) {}

InterruptScope::InterruptScope() {
  std::lock_guard<std::mutex> lock(g_scope_mutex);
  if (g_scopes++ > 0) return;
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

InterruptScope::~InterruptScope() {
  std::lock_guard<std::mutex> lock(g_scope_mutex);
  if (--g_scopes > 0) return;
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
  g_signal = 0;  // noted for this scope only: code outside a scope never throws Interrupted
}

int pending_signal() { return g_signal.load(); }

void throw_if_interrupted() {
  if (const int sig = g_signal.load()) throw Interrupted(sig);
}

ChildProcessGuard::ChildProcessGuard(pid_t process_group) {
  for (size_t i = 0; i < g_children.size(); ++i) {
    pid_t expected = 0;
    if (g_children[i].compare_exchange_strong(expected, process_group)) {
      slot_ = static_cast<int>(i);
      break;
    }
  }
  // Signalled before the child was registered: stop it now.
  if (g_signal.load() != 0) kill(-process_group, SIGTERM);
}

ChildProcessGuard::~ChildProcessGuard() {
  if (slot_ >= 0) g_children[static_cast<size_t>(slot_)] = 0;
}

}  // namespace qat
