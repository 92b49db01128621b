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

// The end of the bracket expression starting at p[i] == '[' (the index of its ']'),
// or npos when it is not closed.
size_t class_end(const std::string& p, size_t i) {
  size_t j = i + 1;
  if (j < p.size() && (p[j] == '!' || p[j] == '^')) ++j;
  if (j < p.size() && p[j] == ']') ++j;  // a leading ']' is a member
  while (j < p.size() && p[j] != ']') ++j;
  return j < p.size() ? j : std::string::npos;
}

// Whole-name glob: '*' stops at '/', '**' does not, '?' and classes take one non-'/' character.
bool glob_match(const std::string& p, size_t i, const std::string& s, size_t j) {
  while (i < p.size()) {
    const char c = p[i];
    if (c == '*') {
      const bool any_depth = i + 1 < p.size() && p[i + 1] == '*';
      size_t next = i + (any_depth ? 2 : 1);
      while (next < p.size() && p[next] == '*') ++next;  // "***" is "**"
      for (size_t k = j; k <= s.size(); ++k) {
        if (glob_match(p, next, s, k)) return true;
        if (k < s.size() && !any_depth && s[k] == '/') return false;
      }
      return false;
    }
    if (j == s.size()) return false;
    if (c == '?') {
      if (s[j] == '/') return false;
    } else if (c == '[') {
      const size_t end = class_end(p, i);
      const std::string cls = p.substr(i, end - i + 1);
      const char one[2] = {s[j], '\0'};
      if (s[j] == '/' || ::fnmatch(cls.c_str(), one, 0) != 0) return false;
      i = end + 1;
      ++j;
      continue;
    } else if (c != s[j]) {
      return false;
    }
    ++i;
    ++j;
  }
  return j == s.size();
}

}  // namespace

NamePattern::NamePattern(std::string pattern) : text_(std::move(pattern)) {
  if (!text_.empty() && text_.front() == '/') {
    whole_name_ = true;
    for (size_t i = 0; i < text_.size(); ++i) {
      if (text_[i] != '[') continue;
      const size_t end = class_end(text_, i);
      if (end == std::string::npos) throw Error("pattern '" + text_ + "': '[' at " + std::to_string(i + 1) + " is not closed");
      i = end;
    }
    return;
  }
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

bool NamePattern::matches(const std::string& name) const {
  return whole_name_ ? glob_match(text_, 0, name, 0) : match_from(0, split(name), 0);
}

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
