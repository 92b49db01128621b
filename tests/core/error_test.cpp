#include "qat/core/error.h"

#include "support/test_support.h"

namespace qat {

TEST(Error, ContextLinesFollowTheMessageInnermostFirst) {
  Error e("label 12 is out of range");
  e.add_context("reading data.h5").add_context("running qat train");
  EXPECT_EQ(std::string(e.what()),
            "label 12 is out of range\n  while reading data.h5\n  while running qat train");
  EXPECT_EQ(e.message(), "label 12 is out of range");
  EXPECT_EQ(e.context().size(), 2u);
}

TEST(Error, ConfigErrorNamesFileLineColumnAndKeyPath) {
  ConfigError e("r.yaml", 3, 5, "data.batch_szie", "unknown key; did you mean 'batch_size'?");
  EXPECT_EQ(std::string(e.what()), "r.yaml:3:5: data.batch_szie: unknown key; did you mean 'batch_size'?");
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.column(), 5);
  EXPECT_EQ(e.exit_code(), kExitBadInput);
}

TEST(Error, ConfigErrorWithoutLineOmitsIt) {
  ConfigError e("--set fp32.lr=x", 0, 0, "fp32.lr", "expected a number, got 'x'");
  EXPECT_EQ(std::string(e.what()), "--set fp32.lr=x: fp32.lr: expected a number, got 'x'");
}

TEST(Error, IoErrorNamesPathAndObject) {
  EXPECT_EQ(std::string(IoError("d.h5", "/train/boxes", "bad").what()), "d.h5: /train/boxes: bad");
  EXPECT_EQ(std::string(IoError("d.h5", "", "cannot read").what()), "d.h5: cannot read");
}

TEST(Error, CheckThrowsUserErrorWithStreamedMessage) {
  ASSERT_THROWS_WITH(QAT_CHECK(1 + 1 == 3, "expected ", 3, " got ", 2), Error, "expected 3 got 2");
  EXPECT_NO_THROW(QAT_CHECK(true, "never"));
}

TEST(Error, AssertThrowsInternalErrorWithExitCodeOne) {
  try {
    QAT_ASSERT(false, "bug");
    FAIL() << "QAT_ASSERT did not throw";
  } catch (const InternalError& e) {
    EXPECT_EQ(e.exit_code(), kExitInternal);
    EXPECT_NE(std::string(e.what()).find("internal error: false failed at "), std::string::npos);
    EXPECT_EQ(std::string(e.what()).substr(std::string(e.what()).size() - 5), ": bug");
  }
}

TEST(Error, ShapeErrorIsBadInput) {
  EXPECT_EQ(ShapeError("x").exit_code(), kExitBadInput);
}

}  // namespace qat
