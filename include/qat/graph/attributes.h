// Node attributes with ONNX's value kinds (int, float, string, ints, floats, tensor).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace qat::graph {

using Attribute = std::variant<int64_t, double, std::string, std::vector<int64_t>,
                               std::vector<double>, at::Tensor>;

/// Attributes of one node; typed getters throw qat::Error naming the attribute.
class Attributes {
 public:
  void set(const std::string& name, Attribute value) { values_[name] = std::move(value); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  void erase(const std::string& name) { values_.erase(name); }
  const std::map<std::string, Attribute>& all() const { return values_; }

  int64_t get_int(const std::string& name, int64_t fallback) const;
  double get_float(const std::string& name, double fallback) const;
  std::string get_string(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> get_ints(const std::string& name, const std::vector<int64_t>& fallback) const;
  std::vector<double> get_floats(const std::string& name, const std::vector<double>& fallback) const;
  at::Tensor get_tensor(const std::string& name) const;

 private:
  std::map<std::string, Attribute> values_;
};

}  // namespace qat::graph
