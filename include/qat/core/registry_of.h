// The registry of an area's built-ins, made from its table of names and factories:
//   static const auto registry = registry_of<LossFactory>("distillation loss", {{"feature_mse", make_feature_mse}, ...});
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "qat/core/registry.h"

namespace qat {

/// A Registry of `kind` holding `entries` in order; a repeated name is a bug (QAT_ASSERT).
template <typename Entry>
Registry<Entry> registry_of(std::string kind, std::initializer_list<std::pair<const char*, Entry>> entries) {
  Registry<Entry> reg(std::move(kind));
  for (const auto& [name, entry] : entries) reg.add(name, entry);
  return reg;
}

}  // namespace qat
