// Choosing nodes by name: the patterns of a quantization region.
//
// A pattern is dot-separated segments matched against a node name's segments:
//   literal or glob ("conv", "cv*", "m?")   one segment, fnmatch-style
//   "[a-b]"                                  one segment that is an integer in a..b
//   "**"                                     any number of segments
// A pattern selects a node when it matches the whole name or a leading part of
// it, so "backbone.[0-10]" selects every node inside backbone blocks 0 to 10.
#pragma once

#include <string>
#include <vector>

namespace qat::graph {

class NamePattern {
 public:
  /// Throws qat::Error for a malformed pattern (bad range, empty segment).
  explicit NamePattern(std::string pattern);
  bool matches(const std::string& name) const;
  const std::string& text() const { return text_; }

 private:
  struct Segment {
    std::string glob;
    bool is_range = false;
    long lo = 0, hi = 0;
    bool any_depth = false;  // "**"
  };
  bool match_from(size_t p, const std::vector<std::string>& parts, size_t n) const;
  std::string text_;
  std::vector<Segment> segments_;
};

/// Include/exclude lists: a name is selected when some include pattern matches
/// and no exclude pattern does.
class NameSelector {
 public:
  NameSelector(const std::vector<std::string>& include, const std::vector<std::string>& exclude);
  bool selects(const std::string& name) const;

 private:
  std::vector<NamePattern> include_, exclude_;
};

}  // namespace qat::graph
