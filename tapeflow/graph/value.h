// Value: what a tf::function takes and returns: Tensors, Variables, numbers, strings, and
// vectors, tuples and string-keyed maps of them (TF's nested structures). Tensor leaves become
// graph inputs; every other leaf is part of the call's signature by value.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "tapeflow/core/tensor.h"
#include "tapeflow/core/variable.h"

namespace tapeflow {

class Value {
 public:
  using List = std::vector<Value>;
  using Dict = std::map<std::string, Value>;
  using Storage = std::variant<std::monostate, Tensor, Variable, int64_t, double, bool, std::string, List, Dict>;

  Value() = default;
  Value(const Tensor& t) : v_(t) {}    // NOLINT
  Value(const Variable& v) : v_(v) {}  // NOLINT
  Value(bool b) : v_(b) {}             // NOLINT
  template <typename I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  Value(I i) : v_(static_cast<int64_t>(i)) {}                                                       // NOLINT
  Value(float f) : v_(static_cast<double>(f)) {}                                                    // NOLINT
  Value(double d) : v_(d) {}                                                                        // NOLINT
  Value(const char* s) : v_(std::string(s)) {}                                                      // NOLINT
  Value(std::string s) : v_(std::move(s)) {}                                                        // NOLINT
  Value(List l) : v_(std::move(l)) {}                                                               // NOLINT
  Value(Dict d) : v_(std::move(d)) {}                                                               // NOLINT
  template <typename T> Value(const std::vector<T>& v) : v_(List(v.begin(), v.end())) {}            // NOLINT
  template <typename T> Value(const std::map<std::string, T>& m) : v_(Dict(m.begin(), m.end())) {}  // NOLINT
  template <typename... T>
  Value(const std::tuple<T...>& t)  // NOLINT: a tuple is a List
      : v_(std::apply([](const auto&... e) { return List{Value(e)...}; }, t)) {}
  template <typename T> Value(const std::optional<T>& o) : Value(o ? Value(*o) : Value()) {}  // NOLINT

  bool is_none() const { return std::holds_alternative<std::monostate>(v_); }
  bool is_tensor() const { return std::holds_alternative<Tensor>(v_); }
  bool is_variable() const { return std::holds_alternative<Variable>(v_); }
  bool is_list() const { return std::holds_alternative<List>(v_); }
  bool is_dict() const { return std::holds_alternative<Dict>(v_); }
  const Storage& storage() const { return v_; }
  Storage& storage() { return v_; }

  /// The Tensor (a Variable reads as its value; a number or a list of numbers becomes a constant,
  /// as TF converts Python values).
  Tensor tensor() const;
  const List& list() const;
  const Dict& dict() const;
  int64_t to_int() const;
  double to_double() const;
  bool to_bool() const;
  const std::string& str() const;
  const Value& operator[](std::size_t i) const { return list().at(i); }
  const Value& operator[](const std::string& key) const { return dict().at(key); }

  operator Tensor() const { return tensor(); }  // NOLINT: `tf::Tensor y = f(x);`
  operator std::vector<Tensor>() const;         // NOLINT: a List of Tensors

  /// Python's repr of a non-Tensor leaf ("2", "1.5", "True", "'a'", "[1, -1]").
  std::string repr() const;

 private:
  Storage v_;
};

std::ostream& operator<<(std::ostream& os, const Value& v);

namespace detail {
/// Converts a Value to a callable's parameter type.
template <typename T, typename U = std::remove_cvref_t<T>> U from_value(const Value& v) {
  if constexpr (std::is_same_v<U, Value>)
    return v;
  else if constexpr (std::is_same_v<U, Tensor>)
    return v.tensor();
  else if constexpr (std::is_same_v<U, Variable>)
    return std::get<Variable>(v.storage());
  else if constexpr (std::is_same_v<U, bool>)
    return v.to_bool();
  else if constexpr (std::is_integral_v<U>)
    return static_cast<U>(v.to_int());
  else if constexpr (std::is_floating_point_v<U>)
    return static_cast<U>(v.to_double());
  else if constexpr (std::is_same_v<U, std::string>)
    return v.str();
  else if constexpr (requires {
                       typename U::value_type;
                       typename U::mapped_type;
                     }) {
    U out;
    for (const auto& [k, e] : v.dict()) out.emplace(k, from_value<typename U::mapped_type>(e));
    return out;
  } else if constexpr (requires { typename U::value_type; }) {
    U out;
    for (const Value& e : v.list()) out.push_back(from_value<typename U::value_type>(e));
    return out;
  } else {
    static_assert(sizeof(U) == 0,
                  "tf::function arguments are Tensors, Variables, numbers, strings and "
                  "vectors or string-keyed maps of them");
  }
}

/// Converts a callable's result to a Value (a Variable returns its value, as TF's do).
template <typename R> Value to_value(R&& r) {
  using U = std::remove_cvref_t<R>;
  if constexpr (std::is_same_v<U, Variable>)
    return Value(r.read_value());
  else if constexpr (std::is_same_v<U, Variable*>)
    return Value(r->read_value());
  else
    return Value(std::forward<R>(r));
}
}  // namespace detail

}  // namespace tapeflow
