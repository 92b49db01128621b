#include "qat/graph/name_pattern.h"

#include "support/test_support.h"

namespace qat::graph {

TEST(NamePattern, IndexRangeSelectsWholeBlocks) {
  NamePattern p("backbone.[0-10]");
  EXPECT_TRUE(p.matches("backbone.0.conv"));
  EXPECT_TRUE(p.matches("backbone.10.m.0.cv1.conv"));
  EXPECT_FALSE(p.matches("backbone.11.conv"));
  EXPECT_FALSE(p.matches("neck.3.conv"));
  EXPECT_FALSE(p.matches("backbone.x.conv"));
  EXPECT_FALSE(p.matches("backbone"));
}

TEST(NamePattern, GlobsMatchOneSegment) {
  NamePattern p("head.*.cls_pred");
  EXPECT_TRUE(p.matches("head.0.cls_pred"));
  EXPECT_FALSE(p.matches("head.0.box_pred"));
  EXPECT_TRUE(NamePattern("neck.*.cv?.conv").matches("neck.5.cv2.conv"));
  EXPECT_FALSE(NamePattern("neck.*.cv?.conv").matches("neck.5.cv12.conv"));
}

TEST(NamePattern, DoubleStarMatchesAnyDepth) {
  NamePattern p("**.cls_pred");
  EXPECT_TRUE(p.matches("head.2.cls_pred"));
  EXPECT_TRUE(p.matches("cls_pred"));
  EXPECT_FALSE(p.matches("head.2.box_pred"));
  EXPECT_TRUE(NamePattern("**").matches("anything.at.all"));
}

TEST(NamePattern, MalformedPatterns) {
  ASSERT_THROWS_WITH(NamePattern("backbone.[4-1]"), Error, "pattern 'backbone.[4-1]': '[4-1]' is not a range like [0-10]");
  ASSERT_THROWS_WITH(NamePattern("backbone..conv"), Error, "pattern 'backbone..conv' has an empty segment");
}

TEST(NameSelector, ExcludeWins) {
  NameSelector s({"backbone.**", "neck.**"}, {"backbone.0", "**.pool?"});
  EXPECT_TRUE(s.selects("backbone.1.conv"));
  EXPECT_FALSE(s.selects("backbone.0.conv"));
  EXPECT_FALSE(s.selects("backbone.9.pool1"));
  EXPECT_TRUE(s.selects("neck.2.cv1.conv"));
  EXPECT_FALSE(s.selects("head.0.stem.conv"));
}

}  // namespace qat::graph
