// One table of recipe fields per options struct: key, member, range or choices and a
// one-line meaning. The table reads the struct strictly (through YamlMap: the same
// checks and messages), writes it back (to_yaml, `qat recipe show`) and lists its keys
// for docs/recipes.md (tests/recipe/recipe_docs_test.cpp checks that every key is
// documented), so that a key is written once. Defaults are the struct's member
// initializers: a table reads into a struct that already holds them.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "qat/core/yaml_map.h"

namespace qat {

/// A key as docs/recipes.md documents it.
struct FieldDoc {
  std::string path;                  ///< full key path: "fp32.lr", "quant.weights.bits"
  std::string range;                 ///< "[0, 10]" for a range-checked number, else empty
  std::vector<std::string> choices;  ///< the accepted strings of a choice, else empty
  std::string meaning;               ///< one line
  bool nested = false;               ///< a mapping whose keys follow (`quant.weights`)
  /// The default as `qat recipe show` writes it, for a scalar; empty for a list or mapping.
  std::string default_value;
};

/// lo <= value <= hi, checked by YamlMap::get_in (and its message).
template <typename T>
struct Range {
  T lo, hi;
};
template <typename T>
Range<T> in(T lo, T hi) {
  return {lo, hi};
}

/// The accepted strings of a choice; a function, so that a registry is asked when the
/// table is used, not when it is built.
using Choices = std::function<std::vector<std::string>()>;
inline Choices one_of(std::vector<std::string> names) {
  return [names = std::move(names)] { return names; };
}

/// One key of options struct S: how it is read, written and documented.
template <typename S>
class Field {
 public:
  /// Reads the key (or checks it after reading, see then()).
  using Read = std::function<void(S&, YamlMap&)>;
  using Write = std::function<void(const S&, YAML::Node&)>;
  using Applies = std::function<bool(const S&)>;
  /// Throws the error for a key that is given where it does not apply.
  using Refuse = std::function<void(const S&, YamlMap&, const std::string& key)>;

  Field(std::string key, std::string meaning, Read read, Write write)
      : key_(std::move(key)), meaning_(std::move(meaning)), read_(std::move(read)), write_(std::move(write)) {}

  /// The key is read and written only when `applies(s)` holds for the fields before it;
  /// given otherwise, `refuse` throws.
  Field only_if(Applies applies, Refuse refuse) const {
    Field f = *this;
    f.applies_ = std::move(applies);
    f.refuse_ = std::move(refuse);
    return f;
  }
  /// The key is always read, but written only when `written(s)` holds (`model.onnx`:
  /// absent from a native recipe's `qat recipe show`).
  Field written_if(Applies written) const {
    Field f = *this;
    f.written_ = std::move(written);
    return f;
  }
  /// `after` runs right after the key is read: a check that needs the value, or a value
  /// that follows from it.
  Field then(Read after) const {
    Field f = *this;
    f.after_ = std::move(after);
    return f;
  }

  const std::string& key() const { return key_; }
  bool applies(const S& s) const { return !applies_ || applies_(s); }

  void read(S& s, YamlMap& m) const {
    if (!applies(s)) {
      if (m.has(key_) && refuse_) refuse_(s, m, key_);
      return;
    }
    read_(s, m);
    if (after_) after_(s, m);
  }
  void write(const S& s, YAML::Node& n) const {
    if (applies(s) && (!written_ || written_(s))) write_(s, n);
  }
  /// This key and, for a nested mapping, every key below it, with `prefix` in front;
  /// `defaults` gives the default values (written whether the key applies or not).
  void document(const std::string& prefix, const S& defaults, std::vector<FieldDoc>& out) const {
    YAML::Node written;
    write_(defaults, written);
    const YAML::Node value = static_cast<const YAML::Node&>(written)[key_];
    out.push_back({prefix + key_, range_, choices_ ? choices_() : std::vector<std::string>{}, meaning_,
                   static_cast<bool>(children_), value.IsScalar() ? value.Scalar() : std::string()});
    if (children_) children_(prefix + key_ + ".", defaults, out);
  }

  // Set by the builders below.
  std::string range_;
  Choices choices_;
  std::function<void(const std::string&, const S&, std::vector<FieldDoc>&)> children_;

 private:
  std::string key_;
  std::string meaning_;
  Read read_;
  Write write_;
  Applies applies_;
  Applies written_;
  Refuse refuse_;
  Read after_;
};

/// The fields of one options struct, read in table order (which is also the order of
/// `qat recipe show`).
template <typename S>
class FieldTable {
 public:
  using Hook = std::function<void(S&, YamlMap&)>;

  /// `before` runs ahead of the fields (e.g. a check between keys that must come first),
  /// `after` behind them, before unknown keys are refused.
  explicit FieldTable(std::vector<Field<S>> fields, Hook before = {}, Hook after = {})
      : fields_(std::move(fields)), before_(std::move(before)), after_(std::move(after)) {}

  /// Reads the mapping `node` into `s` strictly; `s` holds the defaults.
  void read(S& s, const YAML::Node& node, const KeyPath& path) const {
    YamlMap m(node, path);
    read(s, m);
    m.finish();
  }
  /// Reads the fields from `m`, leaving the unknown-key check (m.finish()) to the caller.
  void read(S& s, YamlMap& m) const {
    if (before_) before_(s, m);
    for (const auto& f : fields_) f.read(s, m);
    if (after_) after_(s, m);
  }
  /// A struct read from `node`, starting from its defaults.
  S from_yaml(const YAML::Node& node, const KeyPath& path) const {
    S s;
    read(s, node, path);
    return s;
  }

  /// Every field that applies, in table order.
  YAML::Node write(const S& s) const {
    YAML::Node n;
    for (const auto& f : fields_) f.write(s, n);
    return n;
  }

  /// Every key, nested ones included, with `prefix` ("qat.") in front and the defaults
  /// of a default-constructed S.
  std::vector<FieldDoc> docs(const std::string& prefix = "") const {
    std::vector<FieldDoc> out;
    document(prefix, S{}, out);
    return out;
  }
  void document(const std::string& prefix, const S& defaults, std::vector<FieldDoc>& out) const {
    for (const auto& f : fields_) f.document(prefix, defaults, out);
  }

  const std::vector<Field<S>>& fields() const { return fields_; }

 private:
  std::vector<Field<S>> fields_;
  Hook before_, after_;
};

namespace detail {

inline YAML::Node field_node(double value) { return yaml_number(value); }
template <typename T>
YAML::Node field_node(const T& value) {
  return YAML::Node(value);
}

template <typename S, typename T>
typename Field<S>::Write write_member(const std::string& key, T S::*member) {
  return [key, member](const S& s, YAML::Node& n) { n[key] = field_node(s.*member); };
}

}  // namespace detail

/// A value of any type parse_value reads (bool, int, int64_t, double, string, lists).
template <typename S, typename T>
Field<S> field(const std::string& key, T S::*member, std::string meaning) {
  return Field<S>(
      key, std::move(meaning), [key, member](S& s, YamlMap& m) { s.*member = m.get<T>(key, s.*member); },
      detail::write_member(key, member));
}

/// A number in [range.lo, range.hi].
template <typename S, typename T>
Field<S> field(const std::string& key, T S::*member, Range<T> range, std::string meaning) {
  Field<S> f(
      key, std::move(meaning),
      [key, member, range](S& s, YamlMap& m) { s.*member = m.get_in<T>(key, s.*member, range.lo, range.hi); },
      detail::write_member(key, member));
  std::ostringstream text;
  text << "[" << range.lo << ", " << range.hi << "]";
  f.range_ = text.str();
  return f;
}

/// A string that must be one of `choices`.
template <typename S>
Field<S> field(const std::string& key, std::string S::*member, Choices choices, std::string meaning) {
  Field<S> f(
      key, std::move(meaning),
      [key, member, choices](S& s, YamlMap& m) { s.*member = m.get_choice(key, s.*member, choices()); },
      detail::write_member(key, member));
  f.choices_ = std::move(choices);
  return f;
}

/// The names of an enum's values, in the order the docs list them.
template <typename E>
using EnumNames = std::vector<std::pair<std::string, E>>;

namespace detail {

template <typename E>
const std::string& enum_name(const EnumNames<E>& names, E value) {
  for (const auto& [name, v] : names) {
    if (v == value) return name;
  }
  throw std::logic_error("an enum value without a name in its field table");
}

}  // namespace detail

/// An enum, read and written as one of its names (`fp32.schedule: cosine`): read
/// through YamlMap::get_choice, so its checks and messages are those of a string choice.
template <typename S, typename E>
Field<S> field(const std::string& key, E S::*member, EnumNames<E> names, std::string meaning) {
  std::vector<std::string> choices;
  for (const auto& entry : names) choices.push_back(entry.first);
  Field<S> f(
      key, std::move(meaning),
      [key, member, names, choices](S& s, YamlMap& m) {
        const std::string chosen = m.get_choice(key, detail::enum_name(names, s.*member), choices);
        for (const auto& [name, value] : names) {
          if (name == chosen) s.*member = value;
        }
      },
      [key, member, names](const S& s, YAML::Node& n) { n[key] = detail::enum_name(names, s.*member); });
  f.choices_ = one_of(std::move(choices));
  return f;
}

/// A nested options struct with its own table (`quant.weights`, `model.head`); it reads
/// into the member, so the member's value in S's defaults is the nested default.
template <typename S, typename Sub>
Field<S> section(const std::string& key, Sub S::*member, const FieldTable<Sub>& table, std::string meaning) {
  Field<S> f(
      key, std::move(meaning),
      [key, member, &table](S& s, YamlMap& m) { table.read(s.*member, m.node(key), m.path(key)); },
      [key, member, &table](const S& s, YAML::Node& n) { n[key] = table.write(s.*member); });
  f.children_ = [member, &table](const std::string& prefix, const S& defaults, std::vector<FieldDoc>& out) {
    table.document(prefix, defaults.*member, out);
  };
  return f;
}

/// A mapping of members of S itself (`qat.threshold_search: {lo, hi, step}`). `table`
/// must outlive the field (a function-local static).
template <typename S>
Field<S> group(const std::string& key, const FieldTable<S>& table, std::string meaning) {
  Field<S> f(
      key, std::move(meaning),
      [key, &table](S& s, YamlMap& m) {
        YamlMap sub(m.node(key), m.path(key));
        table.read(s, sub);
        sub.finish();
      },
      [key, &table](const S& s, YAML::Node& n) { n[key] = table.write(s); });
  f.children_ = [&table](const std::string& prefix, const S& defaults, std::vector<FieldDoc>& out) {
    table.document(prefix, defaults, out);
  };
  return f;
}

/// A key read and written by other code (`qat.losses`: distill/loss_spec.h).
template <typename S>
Field<S> custom(const std::string& key, typename Field<S>::Read read, typename Field<S>::Write write,
                std::string meaning) {
  return Field<S>(key, std::move(meaning), std::move(read), std::move(write));
}

}  // namespace qat
