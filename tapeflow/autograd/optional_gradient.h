// OptionalGradient: what tape.gradient returns for one source. TF returns a tensor or None; a
// std::optional<Tensor> is the C++ spelling, but dereferencing an empty one is undefined
// behaviour (a segfault on `tape.gradient(y, unused)->item<float>()`). This type behaves like
// std::optional<Tensor> and converts to it, and its `*`, `->` and value() raise a typed error
// that says why the gradient is None.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tapeflow/core/tensor.h"

namespace tapeflow {

class OptionalGradient {
 public:
  OptionalGradient() = default;
  OptionalGradient(std::nullopt_t) {}                                  // NOLINT: as std::optional
  OptionalGradient(Tensor t) : value_(std::move(t)) {}                 // NOLINT
  OptionalGradient(std::optional<Tensor> t) : value_(std::move(t)) {}  // NOLINT
  /// No gradient, with the reason the error on access reports ("the target does not depend on
  /// the source").
  static OptionalGradient none(std::string why) {
    OptionalGradient g;
    g.why_ = std::move(why);
    return g;
  }

  bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  /// The gradient; FailedPreconditionError saying why it is None when there is none.
  const Tensor& value() const& { return checked(); }
  Tensor& value() & { return const_cast<Tensor&>(checked()); }
  Tensor value() && { return std::move(const_cast<Tensor&>(checked())); }
  const Tensor& operator*() const& { return checked(); }
  Tensor& operator*() & { return const_cast<Tensor&>(checked()); }
  /// By value: `const Tensor& g = *tape.gradient(y, x);` must not dangle.
  Tensor operator*() && { return std::move(const_cast<Tensor&>(checked())); }
  const Tensor* operator->() const { return &checked(); }
  Tensor* operator->() { return const_cast<Tensor*>(&checked()); }
  Tensor value_or(Tensor fallback) const { return value_ ? *value_ : std::move(fallback); }
  void reset() noexcept { value_.reset(); }
  /// Why there is no gradient (empty when there is one).
  const std::string& why_none() const noexcept { return why_; }

  operator std::optional<Tensor>() const& { return value_; }         // NOLINT: API.md's spelling
  operator std::optional<Tensor>() && { return std::move(value_); }  // NOLINT
  const std::optional<Tensor>& as_optional() const noexcept { return value_; }

  friend bool operator==(const OptionalGradient& g, std::nullopt_t) noexcept { return !g.has_value(); }

 private:
  const Tensor& checked() const;

  std::optional<Tensor> value_;
  std::string why_;
};

/// The gradients of several sources, in order: a vector of OptionalGradient that converts to the
/// std::vector<std::optional<Tensor>> that optimizers and older code take.
class GradientList : public std::vector<OptionalGradient> {
 public:
  using std::vector<OptionalGradient>::vector;
  GradientList() = default;
  operator std::vector<std::optional<Tensor>>()
      const {  // NOLINT: `std::vector<std::optional<Tensor>> g = tape.gradient(...)`
    std::vector<std::optional<Tensor>> out;
    out.reserve(size());
    for (const OptionalGradient& g : *this) out.push_back(g.as_optional());
    return out;
  }
};

}  // namespace tapeflow
