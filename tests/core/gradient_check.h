// Gradient checks for the op tests: tape gradients of a scalar function of one float64 tensor,
// central differences, and second order (nested tapes) against central differences of the
// first gradient.
#pragma once
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/core/test_util.h"

namespace tapeflow::testing {

using ScalarFn = std::function<Tensor(const Tensor&)>;

/// d f / d x through a GradientTape.
inline Tensor tape_gradient(const ScalarFn& f, const Tensor& x) {
  GradientTape tape;
  tape.watch(x);
  Tensor y = f(x);
  tape.stop();
  return *tape.gradient(y, x);
}

/// Central differences of a scalar float64 f at x.
inline std::vector<double> numeric_gradient(const ScalarFn& f, const Tensor& x, double h = 1e-5) {
  std::vector<double> xv = x.to_vector<double>(), out;
  for (std::size_t i = 0; i < xv.size(); ++i) {
    auto at = [&](double d) {
      std::vector<double> p = xv;
      p[i] += d;
      return f(constant(p, x.shape(), DType::kFloat64)).item<double>();
    };
    out.push_back((at(h) - at(-h)) / (2 * h));
  }
  return out;
}

/// d/dx sum(w * grad(f)(x)) with nested tapes, against central differences.
inline void expect_second_order(const ScalarFn& f, const Tensor& x, const Tensor& w, double tol = 1e-6) {
  GradientTape outer;
  outer.watch(x);
  Tensor s;
  {
    GradientTape inner;
    inner.watch(x);
    Tensor y = f(x);
    inner.stop();
    s = reduce_sum(w * *inner.gradient(y, x));
  }
  outer.stop();
  auto got = outer.gradient(s, x);
  ASSERT_TRUE(got.has_value());
  auto want = numeric_gradient([&](const Tensor& t) { return reduce_sum(w * tape_gradient(f, t)); }, x);
  expect_values(*got, x.shape(), want, tol);
}

/// Expects `stmt` to throw InvalidArgumentError raised by `op` whose message contains `words`.
template <typename F>
void expect_invalid_argument(F&& stmt, const std::string& op, const std::string& words) {
  try {
    (void)stmt();
    ADD_FAILURE() << "expected InvalidArgumentError from " << op;
  } catch (const errors::InvalidArgumentError& e) {
    EXPECT_EQ(e.op(), op) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << "message was: " << e.what();
  }
}

}  // namespace tapeflow::testing
