#include "qat/graph/name_pattern.h"

#include <fnmatch.h>

#include "qat/core/error.h"

namespace qat::graph {
namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    out.push_back(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

bool parse_long(const std::string& s, long& value) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  value = std::stol(s);
  return true;
}

}  // namespace

NamePattern::NamePattern(std::string pattern) : text_(std::move(pattern)) {
  for (const auto& part : split(text_)) {
    if (part.empty()) throw Error("pattern '" + text_ + "' has an empty segment");
    Segment seg;
    if (part == "**") {
      seg.any_depth = true;
    } else if (part.front() == '[' && part.back() == ']' && part.find('-') != std::string::npos) {
      const std::string body = part.substr(1, part.size() - 2);
      const size_t dash = body.find('-');
      if (!parse_long(body.substr(0, dash), seg.lo) || !parse_long(body.substr(dash + 1), seg.hi) ||
          seg.lo > seg.hi) {
        throw Error("pattern '" + text_ + "': '" + part + "' is not a range like [0-10]");
      }
      seg.is_range = true;
    } else {
      seg.glob = part;
    }
    segments_.push_back(seg);
  }
}

bool NamePattern::match_from(size_t p, const std::vector<std::string>& parts, size_t n) const {
  if (p == segments_.size()) return true;  // a leading part of the name matched
  if (n == parts.size()) {
    // Only trailing "**" can match nothing.
    for (size_t i = p; i < segments_.size(); ++i) {
      if (!segments_[i].any_depth) return false;
    }
    return true;
  }
  const Segment& seg = segments_[p];
  if (seg.any_depth) {
    for (size_t skip = n; skip <= parts.size(); ++skip) {
      if (match_from(p + 1, parts, skip)) return true;
    }
    return false;
  }
  if (seg.is_range) {
    long value = 0;
    if (!parse_long(parts[n], value) || value < seg.lo || value > seg.hi) return false;
  } else if (::fnmatch(seg.glob.c_str(), parts[n].c_str(), 0) != 0) {
    return false;
  }
  return match_from(p + 1, parts, n + 1);
}

bool NamePattern::matches(const std::string& name) const { return match_from(0, split(name), 0); }

NameSelector::NameSelector(const std::vector<std::string>& include, const std::vector<std::string>& exclude) {
  for (const auto& p : include) include_.emplace_back(p);
  for (const auto& p : exclude) exclude_.emplace_back(p);
}

bool NameSelector::selects(const std::string& name) const {
  bool in = false;
  for (const auto& p : include_) in = in || p.matches(name);
  if (!in) return false;
  for (const auto& p : exclude_) {
    if (p.matches(name)) return false;
  }
  return true;
}

}  // namespace qat::graph
