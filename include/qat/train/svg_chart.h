// SVG charts of the run report (report.html, report.svg). Axes tick at round values
// (1, 2 or 5 times a power of ten) and every label is its tick's value as placed, so a
// label reads exactly what its gridline marks.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace qat::train {

/// Tick positions covering a range, and how many decimals print each exactly.
struct Ticks {
  std::vector<double> values;  ///< ascending, evenly spaced; first <= lo, last >= hi
  int decimals = 0;
  /// Each value with `decimals` decimals ("0.94").
  std::vector<std::string> labels() const;
};

/// About `target` ticks covering [lo, hi]: step 1, 2 or 5 x 10^k (the smallest of them
/// at least (hi - lo) / target), from the last multiple of it at or below lo to the
/// first at or above hi. 0.9475..0.99 gives 0.94, 0.95, ..., 0.99; 0.9..1 gives 0.90,
/// 0.92, ..., 1.00. An empty range is widened around its value. `integers` keeps the
/// step at least 1 (counts).
Ticks nice_ticks(double lo, double hi, int target = 5, bool integers = false);

/// One named series of values; NaN is a missing value (no point, no bar).
struct ChartSeries {
  std::string name;
  std::string color;  ///< CSS colour: "#1f77b4"
  std::vector<double> values;
};

/// A dashed reference line at `value` across the plot (a gate bound).
struct ChartLine {
  std::string name;
  double value = 0;
  std::string color;
};

/// Categories along x (epochs), one line with points per series.
struct LineChart {
  std::string title;
  std::vector<std::string> x;
  std::vector<ChartSeries> series;
  std::vector<ChartLine> lines;   ///< horizontal
  std::optional<size_t> marked;   ///< a vertical marker at this category
  std::string marked_name = "selected";
};

/// One row per category (classes, epochs), values along x: stacked bars from zero or,
/// for `dots`, one dot per series joined by a line (differences near 1 stay visible).
struct RowChart {
  enum class Kind { stacked_bars, dots };
  std::string title;
  Kind kind = Kind::stacked_bars;
  std::vector<std::string> rows;
  std::vector<ChartSeries> series;  ///< values per row
  std::vector<ChartLine> lines;     ///< vertical
  bool integers = false;            ///< counts: integer ticks
};

/// A standalone <svg> element (with its xmlns), also valid inline in XHTML.
std::string render_svg(const LineChart& chart);
std::string render_svg(const RowChart& chart);

/// `text` with &, <, >, " and ' escaped for XML text and attribute values.
std::string xml_escape(const std::string& text);

}  // namespace qat::train
