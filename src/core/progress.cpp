#include "qat/core/progress.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "qat/core/logging.h"

namespace qat {

std::string clock_text(double seconds) {
  const int s = static_cast<int>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%d:%02d", s / 60, s % 60);
  return buf;
}

namespace {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Progress::Progress(std::string what, int64_t total, int64_t after, Clock clock, double interval_seconds)
    : what_(std::move(what)),
      total_(total),
      after_(after),
      clock_(clock ? std::move(clock) : Clock(steady_seconds)),
      interval_(interval_seconds) {
  start_ = last_ = clock_();
}

bool Progress::update(int64_t done, std::initializer_list<ProgressValue> values) {
  const double now = clock_();
  const bool finished = total_ > 0 && done >= total_;
  if (!finished && now - last_ < interval_) return false;
  last_ = now;
  logger().info("{}", line(done, values, now));
  return true;
}

std::string Progress::line(int64_t done, std::initializer_list<ProgressValue> values, double now) const {
  std::string out = what_ + " " + std::to_string(done);
  if (total_ > 0) out += "/" + std::to_string(total_);
  char buf[64];
  for (const auto& v : values) {
    std::snprintf(buf, sizeof(buf), " %s %.*f", v.name, v.decimals, v.value);
    out += buf;
  }
  if (total_ > 0 && done >= total_ && after_ == 0) {
    out += " in " + clock_text(now - start_);  // all done: how long it took
  } else if (total_ > 0 && done > 0) {
    const double per_unit = (now - start_) / static_cast<double>(done);
    const int64_t left = std::max<int64_t>(0, total_ - done) + after_;
    out += " eta " + clock_text(per_unit * static_cast<double>(left));
  }
  return out;
}

}  // namespace qat
