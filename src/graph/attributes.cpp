#include "qat/graph/attributes.h"

#include "qat/core/error.h"

namespace qat::graph {
namespace {

template <typename T>
const T& typed(const std::map<std::string, Attribute>& values, const std::string& name,
               const char* expected) {
  const auto& v = values.at(name);
  const T* p = std::get_if<T>(&v);
  if (!p) throw Error("attribute '" + name + "' is not " + expected);
  return *p;
}

}  // namespace

int64_t Attributes::get_int(const std::string& name, int64_t fallback) const {
  return has(name) ? typed<int64_t>(values_, name, "an int") : fallback;
}

double Attributes::get_float(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  if (const auto* i = std::get_if<int64_t>(&values_.at(name))) return static_cast<double>(*i);
  return typed<double>(values_, name, "a float");
}

std::string Attributes::get_string(const std::string& name, const std::string& fallback) const {
  return has(name) ? typed<std::string>(values_, name, "a string") : fallback;
}

std::vector<int64_t> Attributes::get_ints(const std::string& name,
                                          const std::vector<int64_t>& fallback) const {
  return has(name) ? typed<std::vector<int64_t>>(values_, name, "a list of ints") : fallback;
}

std::vector<double> Attributes::get_floats(const std::string& name,
                                           const std::vector<double>& fallback) const {
  return has(name) ? typed<std::vector<double>>(values_, name, "a list of floats") : fallback;
}

at::Tensor Attributes::get_tensor(const std::string& name) const {
  if (!has(name)) throw Error("attribute '" + name + "' is missing");
  return typed<at::Tensor>(values_, name, "a tensor");
}

}  // namespace qat::graph
