// Progress of a long loop in the log, the same for every phase: "<what> <done>/<total>
// [<name> <value>]... eta m:ss", at most one line per interval and always the last one.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>

namespace qat {

/// "m:ss" (seconds rounded; minutes past 59 keep counting: "75:03").
std::string clock_text(double seconds);

/// One figure of a progress line: `name value` with `decimals` decimals ("loss 0.1234").
struct ProgressValue {
  const char* name;
  double value;
  int decimals = 4;
};

/// Logs through qat::logger() at info level:
///   Progress p("qat epoch 1/2 iter", 200, 200);  // 200 more iterations in the next epoch
///   for (...) p.update(it + 1, {{"loss", mean}, {"lr", lr, 5}});
/// logs "qat epoch 1/2 iter 37/200 loss 0.1234 lr 0.00010 eta 3:05" every 15 s and at 200/200;
/// the last line of the last loop says how long it took instead ("calibrate images 256/256 in 0:41").
class Progress {
 public:
  /// Seconds on a steady clock (tests inject theirs).
  using Clock = std::function<double()>;
  static constexpr double kIntervalSeconds = 15;

  /// `what` starts every line; `total` units make this loop (0: unknown, no ETA); `after`
  /// units follow it at the same rate (later epochs) and count in the ETA. The clock
  /// starts now; an empty `clock` is std::chrono::steady_clock.
  Progress(std::string what, int64_t total, int64_t after = 0, Clock clock = {},
           double interval_seconds = kIntervalSeconds);

  /// `done` units are done: logs a line when `interval_seconds` have passed since the
  /// last line (or the start) and when `done` reaches `total`. Returns whether it logged.
  bool update(int64_t done, std::initializer_list<ProgressValue> values = {});

  /// The line update() logs at `now` (seconds on the clock).
  std::string line(int64_t done, std::initializer_list<ProgressValue> values, double now) const;

 private:
  std::string what_;
  int64_t total_, after_;
  Clock clock_;
  double interval_, start_, last_;
};

}  // namespace qat
