// Choosing nodes by name: the patterns of a quantization region. Two forms:
//
// Dotted (qat's own names, "backbone.3.conv"): any pattern not starting with '/'.
// Dot-separated segments matched against a node name's segments:
//   literal or glob ("conv", "cv*", "m?")   one segment, fnmatch-style
//   "[a-b]"                                  one segment that is an integer in a..b
//   "**"                                     any number of segments
// A dotted pattern selects a node when it matches the whole name or a leading part
// of it, so "backbone.[0-10]" selects every node inside backbone blocks 0 to 10.
//
// Whole-name glob (torch.onnx.export's names, "/backbone/body/features.3/Conv"): a
// pattern starting with '/'. It matches the whole name, character by character:
//   "*"    any run of characters without '/' (one path level; '.' is an ordinary character)
//   "**"   any run of characters, '/' included (any depth)
//   "?"    one character other than '/'
//   "[..]" one character of a class, fnmatch-style ("[0-9]", "[!a]")
// There is no leading-part rule: "/head/**" selects everything below /head/,
// "/head" only the node called "/head".
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
  bool whole_name_ = false;  // a '/' glob on the whole name
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
