// Two ranks of a Group as two threads of the test process, on loopback (a real
// TCPStore and ProcessGroupGloo), for the tests of what runs across ranks.
#pragma once

#include <exception>
#include <functional>
#include <thread>
#include <vector>

#include "qat/dist/launcher.h"
#include "qat/dist/process_group.h"

namespace qat::dist {

// Runs `body(group)` on ranks 0 and 1 at once.
inline void on_two_ranks(const std::function<void(Group&)>& body, int64_t timeout_s = 20) {
  const int port = free_loopback_port();
  DistributedSection options;
  options.timeout_s = timeout_s;
  std::exception_ptr errors[2];
  std::vector<std::thread> ranks;
  for (int r = 0; r < 2; ++r) {
    ranks.emplace_back([&, r] {
      try {
        Group g(LaunchEnv{r, 2, r, "127.0.0.1", port}, options);
        body(g);
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  }
  for (auto& t : ranks) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace qat::dist
