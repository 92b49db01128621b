#include <stdlib.h>

#include "qat/core/excerpt.h"
#include "qat/core/limits.h"
#include "support/test_support.h"

namespace qat {

TEST(Excerpt, CutsLongTextAndHidesControlCharacters) {
  EXPECT_EQ(excerpt("short"), "short");
  EXPECT_EQ(excerpt(std::string(80, 'a')), std::string(80, 'a'));
  EXPECT_EQ(excerpt(std::string(81, 'a')), std::string(80, 'a') + "...");
  EXPECT_EQ(excerpt("root:x:0:0\nerror: forged line\t"), "root:x:0:0?error: forged line?");
  EXPECT_EQ(excerpt("abcdef", 3), "abc...");
}

TEST(InputLimits, DefaultOverriddenByTheEnvironmentAndCheckedThere) {
  constexpr InputLimit limit{"QAT_TEST_LIMIT", 42, "things"};
  unsetenv("QAT_TEST_LIMIT");
  EXPECT_EQ(limit_value(limit), 42);
  EXPECT_EQ(describe_limit(limit), "at most 42 things (raise with QAT_TEST_LIMIT=N)");
  setenv("QAT_TEST_LIMIT", "1000", 1);
  EXPECT_EQ(limit_value(limit), 1000);
  for (const char* bad : {"-1", "0", "12x", "1e9"}) {
    setenv("QAT_TEST_LIMIT", bad, 1);
    ASSERT_THROWS_WITH(limit_value(limit), Error,
                       std::string("environment variable QAT_TEST_LIMIT: expected a positive integer, got '") + bad +
                           "'");
  }
  unsetenv("QAT_TEST_LIMIT");
}

}  // namespace qat
