#include "qat/train/svg_chart.h"

#include <gmock/gmock.h>

#include "support/test_support.h"

namespace qat::train {

using ::testing::ElementsAre;

TEST(NiceTicks, UnevenRangeGetsRoundTicksLabelledAsPlaced) {
  // report.png labelled the range's quarters: "0.95" drew at 0.9475.
  const Ticks t = nice_ticks(0.9475, 0.99);
  EXPECT_THAT(t.values, ElementsAre(0.94, 0.95, 0.96, 0.97, 0.98, 0.99));
  EXPECT_EQ(t.decimals, 2);
  EXPECT_THAT(t.labels(), ElementsAre("0.94", "0.95", "0.96", "0.97", "0.98", "0.99"));
}

TEST(NiceTicks, StepsOfOneTwoOrFiveTimesAPowerOfTen) {
  Ticks t = nice_ticks(0.9, 1.0);  // 0.02 a step
  EXPECT_THAT(t.values, ElementsAre(0.90, 0.92, 0.94, 0.96, 0.98, 1.00));
  EXPECT_THAT(t.labels(), ElementsAre("0.90", "0.92", "0.94", "0.96", "0.98", "1.00"));
  t = nice_ticks(0, 1);
  EXPECT_THAT(t.labels(), ElementsAre("0.0", "0.2", "0.4", "0.6", "0.8", "1.0"));
  t = nice_ticks(12.3, 87.6);  // 15.06 a tick wanted: 20
  EXPECT_THAT(t.values, ElementsAre(0, 20, 40, 60, 80, 100));
  EXPECT_THAT(t.labels(), ElementsAre("0", "20", "40", "60", "80", "100"));
  t = nice_ticks(0.983, 0.9861);  // 0.00062 wanted: 0.001
  EXPECT_THAT(t.labels(), ElementsAre("0.983", "0.984", "0.985", "0.986", "0.987"));
  EXPECT_EQ(t.values.back(), 0.987);
}

TEST(NiceTicks, CountsAndEmptyRanges) {
  EXPECT_THAT(nice_ticks(0, 148, 5, true).labels(), ElementsAre("0", "50", "100", "150"));
  EXPECT_THAT(nice_ticks(0, 2, 5, true).labels(), ElementsAre("0", "1", "2"));  // never 0.5 of a count
  EXPECT_THAT(nice_ticks(0.5, 0.5).labels(), ElementsAre("0.47", "0.48", "0.49", "0.50", "0.51", "0.52", "0.53"));
  EXPECT_THAT(nice_ticks(0, 0, 5, true).labels(), ElementsAre("-1", "0", "1"));
  EXPECT_THAT(nice_ticks(-0.03, 0.01).labels(), ElementsAre("-0.03", "-0.02", "-0.01", "0.00", "0.01"));
}

TEST(XmlEscape, EscapesMarkupAndQuotes) {
  EXPECT_EQ(xml_escape("T-shirt/top <a & \"b\" 'c'>"), "T-shirt/top &lt;a &amp; &quot;b&quot; &#39;c&#39;&gt;");
}

TEST(RenderSvg, EmptyChartsSaySo) {
  LineChart line;
  line.title = "nothing";
  EXPECT_THAT(render_svg(line), ::testing::HasSubstr(">nothing to show</text>"));
  RowChart rows;
  EXPECT_THAT(render_svg(rows), ::testing::HasSubstr(">nothing to show</text>"));
}

}  // namespace qat::train
