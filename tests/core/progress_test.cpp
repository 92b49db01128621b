#include "qat/core/progress.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <sstream>

#include "qat/core/logging.h"
#include "support/test_support.h"

namespace qat {
namespace {

// The shared logger writes "<message>\n" into `out` while it lives.
class CapturedLog {
 public:
  CapturedLog() {
    auto l = std::make_shared<spdlog::logger>("qat", std::make_shared<spdlog::sinks::ostream_sink_st>(out_));
    l->set_pattern("%v");
    l->set_level(spdlog::level::info);
    set_logger(l);
  }
  ~CapturedLog() {
    auto l = std::make_shared<spdlog::logger>("qat", std::make_shared<spdlog::sinks::ostream_sink_st>(std::cerr));
    l->set_pattern("%^%l%$ %v");
    set_logger(l);
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace

TEST(ClockText, MinutesAndSecondsRounded) {
  EXPECT_EQ(clock_text(0), "0:00");
  EXPECT_EQ(clock_text(59.4), "0:59");
  EXPECT_EQ(clock_text(59.5), "1:00");
  EXPECT_EQ(clock_text(4503), "75:03");
}

TEST(Progress, LogsEveryIntervalAndTheLastUnitWithEta) {
  double now = 100;  // seconds on the injected clock
  const CapturedLog log;
  Progress p("qat epoch 1/2 iter", 10, 10, [&] { return now; });
  now = 104;
  EXPECT_FALSE(p.update(1, {{"loss", 0.5}, {"lr", 0.0001, 5}}));  // 4 s: too soon
  now = 115;
  EXPECT_TRUE(p.update(3, {{"loss", 0.25}, {"lr", 0.0001, 5}}));  // 15 s: 5 s a unit, 7 + 10 left
  now = 129;
  EXPECT_FALSE(p.update(4, {{"loss", 0.2}}));  // 14 s since the last line
  now = 130;
  EXPECT_TRUE(p.update(5, {{"loss", 0.2}}));
  now = 131;
  EXPECT_TRUE(p.update(10, {{"loss", 0.125}}));  // the last unit always logs
  EXPECT_EQ(log.text(),
            "qat epoch 1/2 iter 3/10 loss 0.2500 lr 0.00010 eta 1:25\n"
            "qat epoch 1/2 iter 5/10 loss 0.2000 eta 1:30\n"
            "qat epoch 1/2 iter 10/10 loss 0.1250 eta 0:31\n");
}

TEST(Progress, WithoutTotalCountsWithoutEta) {
  double now = 0;
  const CapturedLog log;
  Progress p("import train images", 0, 0, [&] { return now; }, 2);
  now = 2;
  EXPECT_TRUE(p.update(7));
  now = 3;
  EXPECT_FALSE(p.update(9));
  EXPECT_EQ(log.text(), "import train images 7\n");
  EXPECT_EQ(p.line(0, {}, 3), "import train images 0");
}

TEST(Progress, NothingDoneHasNoEta) {
  Progress p("calibrate images", 256, 0, [] { return 5.0; });
  EXPECT_EQ(p.line(0, {}, 20), "calibrate images 0/256");
  EXPECT_EQ(p.line(64, {}, 21), "calibrate images 64/256 eta 0:48");  // 16 s for 64: 0.25 s each, 192 left
  EXPECT_EQ(p.line(256, {}, 69.4), "calibrate images 256/256 in 1:04");  // nothing after it: the time taken
}

}  // namespace qat
