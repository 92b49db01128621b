// Suggestions for misspelled names (recipe keys, op types, observer names).
#pragma once

#include <string>
#include <vector>

namespace qat {

/// The candidate closest to `word` by edit distance if it is close enough to be a
/// likely typo (distance <= max(2, |word|/3)), else "".
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

/// "a, b, c"
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

}  // namespace qat
