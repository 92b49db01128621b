// A name → factory table. Each area lists its built-ins in one registry.cpp
// (reg.add("Conv", make_conv)); duplicate names are a bug, unknown names a user
// error that lists what is known.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "qat/core/did_you_mean.h"
#include "qat/core/error.h"

namespace qat {

template <typename Entry>
class Registry {
 public:
  /// `kind` names the entries in messages: "op", "observer", "loss".
  explicit Registry(std::string kind) : kind_(std::move(kind)) {}

  void add(const std::string& name, Entry entry) {
    QAT_ASSERT(entries_.emplace(name, std::move(entry)).second, "duplicate ", kind_, " '", name, "'");
  }

  bool contains(const std::string& name) const { return entries_.count(name) != 0; }

  /// The entry for `name`; throws Error "unknown <kind> 'x'; did you mean 'y'?" or listing the known names.
  const Entry& get(const std::string& name) const {
    auto it = entries_.find(name);
    if (it != entries_.end()) return it->second;
    const std::string guess = closest_match(name, names());
    if (!guess.empty()) throw Error("unknown " + kind_ + " '" + name + "'; did you mean '" + guess + "'?");
    throw Error("unknown " + kind_ + " '" + name + "' (known: " + join(names()) + ")");
  }

  /// Registered names, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& kv : entries_) out.push_back(kv.first);
    return out;
  }

 private:
  std::string kind_;
  std::map<std::string, Entry> entries_;
};

}  // namespace qat
