// Short excerpts of input text for error messages: an error quotes at most a few
// dozen characters of any file it read, so a hostile recipe, checkpoint or model
// that names another file (model.arch: /etc/passwd) cannot make qat print it.
#pragma once

#include <cstddef>
#include <string>

namespace qat {

/// Longest excerpt of input an error message quotes.
constexpr size_t kExcerptChars = 80;

/// `text` when it has at most `max` characters and no control characters; otherwise its
/// first `max` characters with control characters (newlines, tabs, ...) shown as '?'
/// and "..." appended when cut.
std::string excerpt(const std::string& text, size_t max = kExcerptChars);

}  // namespace qat
