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

TEST(NamePattern, ASlashPatternIsAGlobOnTheWholeName) {
  // '*' stays within one path level, dots and all.
  NamePattern level("/backbone/body/features.3/*");
  EXPECT_TRUE(level.matches("/backbone/body/features.3/Conv"));
  EXPECT_TRUE(level.matches("/backbone/body/features.3/block.0.0"));
  EXPECT_FALSE(level.matches("/backbone/body/features.3/block/Conv"));
  EXPECT_FALSE(level.matches("/backbone/body/features.31/Conv"));
  EXPECT_FALSE(level.matches("/backbone/body/features.3"));
  // '**' crosses levels; there is no leading-part rule.
  NamePattern below("/head/**");
  EXPECT_TRUE(below.matches("/head/classification_head/conv/conv.0/conv.0.0/Conv"));
  EXPECT_TRUE(below.matches("/head/Conv"));
  EXPECT_FALSE(below.matches("/head"));
  EXPECT_FALSE(below.matches("/headx/Conv"));
  EXPECT_TRUE(NamePattern("/head").matches("/head"));
  EXPECT_FALSE(NamePattern("/head").matches("/head/Conv"));
  EXPECT_TRUE(NamePattern("/**/Conv").matches("/backbone/body/features.0/Conv"));
  EXPECT_FALSE(NamePattern("/**/Conv").matches("/backbone/body/features.0/Conv_1"));
  EXPECT_TRUE(NamePattern("/**/Conv*").matches("/backbone/body/features.0/Conv_1"));
  // '?' and classes take one character other than '/'.
  EXPECT_TRUE(NamePattern("/fpn/layer_blocks.?/Conv").matches("/fpn/layer_blocks.2/Conv"));
  EXPECT_FALSE(NamePattern("/fpn/layer_blocks.?/Conv").matches("/fpn/layer_blocks.12/Conv"));
  EXPECT_TRUE(NamePattern("/b/features.[0-4]/*").matches("/b/features.4/Relu"));
  EXPECT_FALSE(NamePattern("/b/features.[0-4]/*").matches("/b/features.5/Relu"));
  EXPECT_FALSE(NamePattern("/b/features.[!0-4]/*").matches("/b/features.4/Relu"));
  EXPECT_FALSE(NamePattern("/a?b").matches("/a/b"));
  EXPECT_FALSE(NamePattern("/a[/]b").matches("/a/b"));
  // A dotted pattern keeps its segment rules on the same names: "features" is a segment
  // of "/backbone/body/features.3/Conv" only up to its first dot.
  EXPECT_FALSE(NamePattern("backbone.**").matches("/backbone/body/features.3/Conv"));
  ASSERT_THROWS_WITH(NamePattern("/head/[0-"), Error, "pattern '/head/[0-': '[' at 7 is not closed");
}

TEST(NameSelector, ExcludeWins) {
  NameSelector s({"backbone.**", "neck.**"}, {"backbone.0", "**.pool?"});
  EXPECT_TRUE(s.selects("backbone.1.conv"));
  EXPECT_FALSE(s.selects("backbone.0.conv"));
  EXPECT_FALSE(s.selects("backbone.9.pool1"));
  EXPECT_TRUE(s.selects("neck.2.cv1.conv"));
  EXPECT_FALSE(s.selects("head.0.stem.conv"));
  NameSelector torch({"/backbone/**", "/head/**"}, {"/head/*_head/*_logits/Conv"});
  EXPECT_TRUE(torch.selects("/head/classification_head/conv/conv.0/Conv"));
  EXPECT_FALSE(torch.selects("/head/classification_head/cls_logits/Conv"));
  EXPECT_FALSE(torch.selects("/anchor_generator/Conv"));
}

}  // namespace qat::graph
