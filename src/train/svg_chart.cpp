#include "qat/train/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "qat/core/error.h"

namespace qat::train {
namespace {

double power_of_ten(int k) {  // exact for the integer powers a double holds exactly
  double p = 1;
  for (int i = 0; i < k; ++i) p *= 10;
  return p;
}

std::string num(double v) {  // an SVG coordinate
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

std::string label_of(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v == 0 ? 0.0 : v);  // no "-0.00"
  return buf;
}

constexpr const char* kFont = "font-family=\"sans-serif\" font-size=\"12\"";

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

std::string open_svg(int width, int height, const std::string& title) {
  std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
                  std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
                  std::to_string(height) + "\" " + kFont + ">\n";
  s += "<rect width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) + "\" fill=\"#ffffff\"/>\n";
  s += "<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"bold\">" + xml_escape(title) + "</text>\n";
  return s;
}

std::string legend_entry(double x, double y, const std::string& name, const std::string& color, bool dashed) {
  std::string s = "<line x1=\"" + num(x) + "\" y1=\"" + num(y - 4) + "\" x2=\"" + num(x + 18) + "\" y2=\"" +
                  num(y - 4) + "\" stroke=\"" + xml_escape(color) + "\" stroke-width=\"" + (dashed ? "1.5" : "3") +
                  "\"" + (dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>\n";
  s += "<text x=\"" + num(x + 24) + "\" y=\"" + num(y) + "\">" + xml_escape(name) + "</text>\n";
  return s;
}

std::string point_title(const std::string& series, const std::string& category, double v, int decimals = 4) {
  return "<title>" + xml_escape(series + ", " + category + ": " + label_of(v, decimals)) + "</title>";
}

}  // namespace

std::vector<std::string> Ticks::labels() const {
  std::vector<std::string> out;
  for (double v : values) out.push_back(label_of(v, decimals));
  return out;
}

Ticks nice_ticks(double lo, double hi, int target, bool integers) {
  QAT_ASSERT(std::isfinite(lo) && std::isfinite(hi) && target >= 1, "nice_ticks needs a finite range and a target");
  if (lo > hi) std::swap(lo, hi);
  if (lo == hi) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.05;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / target;
  int e = static_cast<int>(std::floor(std::log10(raw)));
  int m = 10;
  for (int c : {1, 2, 5}) {
    const double step = e >= 0 ? c * power_of_ten(e) : c / power_of_ten(-e);
    if (step >= raw * (1 - 1e-9)) {
      m = c;
      break;
    }
  }
  if (m == 10) m = 1, ++e;
  if (integers && e < 0) m = 1, e = 0;
  // k * step as the decimal it names: integers scaled by an exact power of ten.
  auto at = [&](int64_t k) {
    const double units = static_cast<double>(k * m);
    return e >= 0 ? units * power_of_ten(e) : units / power_of_ten(-e);
  };
  const double step = at(1);
  auto k_lo = static_cast<int64_t>(std::floor(lo / step + 1e-9));
  auto k_hi = static_cast<int64_t>(std::ceil(hi / step - 1e-9));
  while (at(k_lo) > lo) --k_lo;
  while (at(k_hi) < hi) ++k_hi;
  Ticks t;
  t.decimals = std::max(0, -e);
  for (int64_t k = k_lo; k <= k_hi; ++k) t.values.push_back(at(k));
  return t;
}

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_svg(const LineChart& c) {
  constexpr int kW = 820, kH = 380;
  constexpr double x0 = 64, x1 = kW - 250, y0 = 40, y1 = kH - 48, pad = 24;
  std::string s = open_svg(kW, kH, c.title);
  Range r;
  for (const auto& series : c.series) {
    for (double v : series.values) r.add(v);
  }
  for (const auto& l : c.lines) r.add(l.value);
  if (r.empty()) return s + "<text x=\"64\" y=\"60\">nothing to show</text>\n</svg>\n";
  const Ticks ticks = nice_ticks(r.lo, r.hi);
  const double a = ticks.values.front(), b = ticks.values.back();
  auto py = [&](double v) { return y1 - (y1 - y0) * (v - a) / (b - a); };
  const size_t n = c.x.size();
  auto px = [&](size_t i) { return n < 2 ? (x0 + x1) / 2 : x0 + pad + (x1 - x0 - 2 * pad) * i / (n - 1); };
  const auto labels = ticks.labels();
  for (size_t k = 0; k < ticks.values.size(); ++k) {
    const std::string y = num(py(ticks.values[k]));
    s += "<line x1=\"" + num(x0) + "\" y1=\"" + y + "\" x2=\"" + num(x1) + "\" y2=\"" + y + "\" stroke=\"#dddddd\"/>\n";
    s += "<text class=\"tick\" x=\"" + num(x0 - 6) + "\" y=\"" + num(py(ticks.values[k]) + 4) +
         "\" text-anchor=\"end\">" + labels[k] + "</text>\n";
  }
  s += "<line x1=\"" + num(x0) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(x0) + "\" y2=\"" + num(y1) +
       "\" stroke=\"#000000\"/>\n<line x1=\"" + num(x0) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x1) + "\" y2=\"" +
       num(y1) + "\" stroke=\"#000000\"/>\n";
  for (size_t i = 0; i < n; ++i) {
    s += "<text x=\"" + num(px(i)) + "\" y=\"" + num(y1 + 18) + "\" text-anchor=\"middle\">" + xml_escape(c.x[i]) +
         "</text>\n";
  }
  if (c.marked && *c.marked < n) {
    s += "<line x1=\"" + num(px(*c.marked)) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(px(*c.marked)) + "\" y2=\"" +
         num(y1) + "\" stroke=\"#000000\" stroke-dasharray=\"2 3\"/>\n";
  }
  for (const auto& l : c.lines) {
    s += "<line x1=\"" + num(x0) + "\" y1=\"" + num(py(l.value)) + "\" x2=\"" + num(x1) + "\" y2=\"" +
         num(py(l.value)) + "\" stroke=\"" + xml_escape(l.color) + "\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\">" +
         "<title>" + xml_escape(l.name + ": " + label_of(l.value, 4)) + "</title></line>\n";
  }
  for (const auto& series : c.series) {
    std::string points;
    for (size_t i = 0; i < n && i < series.values.size(); ++i) {
      if (!std::isfinite(series.values[i])) continue;
      points += (points.empty() ? "" : " ") + num(px(i)) + "," + num(py(series.values[i]));
    }
    s += "<polyline points=\"" + points + "\" fill=\"none\" stroke=\"" + xml_escape(series.color) +
         "\" stroke-width=\"2\"/>\n";
    for (size_t i = 0; i < n && i < series.values.size(); ++i) {
      if (!std::isfinite(series.values[i])) continue;
      s += "<circle cx=\"" + num(px(i)) + "\" cy=\"" + num(py(series.values[i])) + "\" r=\"3.5\" fill=\"" +
           xml_escape(series.color) + "\">" + point_title(series.name, c.x[i], series.values[i]) + "</circle>\n";
    }
  }
  double ly = y0 + 4;
  for (const auto& series : c.series) s += legend_entry(x1 + 16, ly, series.name, series.color, false), ly += 18;
  for (const auto& l : c.lines) s += legend_entry(x1 + 16, ly, l.name, l.color, true), ly += 18;
  if (c.marked) s += legend_entry(x1 + 16, ly, c.marked_name, "#000000", true);
  return s + "</svg>\n";
}

std::string render_svg(const RowChart& c) {
  constexpr int kW = 820;
  constexpr double x0 = 160, x1 = kW - 250, y0 = 40, row_h = 22;
  const double y1 = y0 + row_h * static_cast<double>(std::max<size_t>(1, c.rows.size()));
  const int height = static_cast<int>(y1) + 44;
  std::string s = open_svg(kW, height, c.title);
  const bool bars = c.kind == RowChart::Kind::stacked_bars;
  Range r;
  if (bars) r.add(0);
  for (size_t i = 0; i < c.rows.size(); ++i) {
    double sum = 0;
    for (const auto& series : c.series) {
      if (i >= series.values.size() || !std::isfinite(series.values[i])) continue;
      sum += series.values[i];
      r.add(bars ? sum : series.values[i]);
    }
  }
  for (const auto& l : c.lines) r.add(l.value);
  if (c.rows.empty() || r.empty()) return s + "<text x=\"64\" y=\"60\">nothing to show</text>\n</svg>\n";
  if (bars && r.hi <= 0) r.hi = 1;
  const Ticks ticks = nice_ticks(r.lo, r.hi, 5, c.integers);
  const double a = ticks.values.front(), b = ticks.values.back();
  auto px = [&](double v) { return x0 + (x1 - x0) * (v - a) / (b - a); };
  const auto labels = ticks.labels();
  for (size_t k = 0; k < ticks.values.size(); ++k) {
    const std::string x = num(px(ticks.values[k]));
    s += "<line x1=\"" + x + "\" y1=\"" + num(y0) + "\" x2=\"" + x + "\" y2=\"" + num(y1) + "\" stroke=\"#dddddd\"/>\n";
    s += "<text class=\"tick\" x=\"" + x + "\" y=\"" + num(y1 + 16) + "\" text-anchor=\"middle\">" + labels[k] +
         "</text>\n";
  }
  s += "<line x1=\"" + num(x0) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x1) + "\" y2=\"" + num(y1) +
       "\" stroke=\"#000000\"/>\n";
  for (size_t i = 0; i < c.rows.size(); ++i) {
    const double cy = y0 + row_h * (static_cast<double>(i) + 0.5);
    s += "<text x=\"" + num(x0 - 8) + "\" y=\"" + num(cy + 4) + "\" text-anchor=\"end\">" + xml_escape(c.rows[i]) +
         "</text>\n";
    if (bars) {
      double sum = 0;
      for (const auto& series : c.series) {
        if (i >= series.values.size() || !std::isfinite(series.values[i]) || series.values[i] <= 0) continue;
        const double v = series.values[i];
        s += "<rect x=\"" + num(px(sum)) + "\" y=\"" + num(cy - 7) + "\" width=\"" + num(px(sum + v) - px(sum)) +
             "\" height=\"14\" fill=\"" + xml_escape(series.color) + "\">" +
             point_title(series.name, c.rows[i], v, c.integers ? 0 : 4) +
             "</rect>\n";
        sum += v;
      }
      continue;
    }
    Range row;
    for (const auto& series : c.series) {
      if (i < series.values.size()) row.add(series.values[i]);
    }
    if (row.empty()) continue;
    s += "<line x1=\"" + num(px(row.lo)) + "\" y1=\"" + num(cy) + "\" x2=\"" + num(px(row.hi)) + "\" y2=\"" + num(cy) +
         "\" stroke=\"#999999\" stroke-width=\"2\"/>\n";
    for (const auto& series : c.series) {
      if (i >= series.values.size() || !std::isfinite(series.values[i])) continue;
      s += "<circle cx=\"" + num(px(series.values[i])) + "\" cy=\"" + num(cy) + "\" r=\"5\" fill=\"" +
           xml_escape(series.color) + "\">" + point_title(series.name, c.rows[i], series.values[i]) + "</circle>\n";
    }
  }
  for (const auto& l : c.lines) {
    s += "<line x1=\"" + num(px(l.value)) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(px(l.value)) + "\" y2=\"" +
         num(y1) + "\" stroke=\"" + xml_escape(l.color) + "\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\">" +
         "<title>" + xml_escape(l.name + ": " + label_of(l.value, 4)) + "</title></line>\n";
  }
  double ly = y0 + 4;
  for (const auto& series : c.series) s += legend_entry(x1 + 16, ly, series.name, series.color, false), ly += 18;
  for (const auto& l : c.lines) s += legend_entry(x1 + 16, ly, l.name, l.color, true), ly += 18;
  return s + "</svg>\n";
}

}  // namespace qat::train
