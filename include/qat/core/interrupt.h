// SIGINT and SIGTERM during a run: the first one is noted (and forwarded to the
// child processes qat started), the run stops at its next check with an
// Interrupted error, and unwinding removes its temporary files; the CLI exits
// 128 + signal (130, 143). A second signal kills at once.
#pragma once

#include <sys/types.h>

#include "qat/core/error.h"

namespace qat {

/// The run was stopped by a signal. Exit code 128 + signal.
class Interrupted : public Error {
 public:
  explicit Interrupted(int signal);
  int signal() const { return signal_; }
  int exit_code() const override { return 128 + signal_; }

 private:
  int signal_;
};

/// Installs the SIGINT/SIGTERM handlers for its lifetime (nested scopes share them).
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
};

/// The signal received inside an InterruptScope, or 0.
int pending_signal();

/// Throws Interrupted when a signal arrived; call at points where stopping is safe.
void throw_if_interrupted();

/// A child process group that receives SIGTERM when qat is interrupted.
class ChildProcessGuard {
 public:
  explicit ChildProcessGuard(pid_t process_group);
  ~ChildProcessGuard();
  ChildProcessGuard(const ChildProcessGuard&) = delete;
  ChildProcessGuard& operator=(const ChildProcessGuard&) = delete;

 private:
  int slot_ = -1;
};

}  // namespace qat
