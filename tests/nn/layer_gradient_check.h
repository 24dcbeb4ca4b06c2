// The nn tests' gradient check of a layer: the tape's gradients of sum(f(x) * w) with respect to
// x and every trainable weight (float64) against central differences.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tests/core/test_util.h"

namespace tapeflow::testing {

/// `f` maps float64 inputs to outputs and reads `vars` (moved in place for the differences).
inline void check_gradients(const std::function<Tensor(const Tensor&)>& f, const Tensor& x,
                            const std::vector<Variable>& vars, double tol = 1e-6) {
  const Tensor y0 = f(x);
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> dist(0.5, 1.5);
  std::vector<double> wv(static_cast<std::size_t>(y0.size()));
  for (double& v : wv) v = dist(gen);
  const Tensor w = constant(wv, y0.shape(), DType::kFloat64);
  auto objective = [&](const Tensor& in) { return reduce_sum(f(in) * w).item<double>(); };

  std::vector<Source> sources{x};
  for (const auto& v : vars) sources.emplace_back(v);
  GradientTape tape;
  tape.watch(x);
  const Tensor loss = reduce_sum(f(x) * w);
  tape.stop();
  auto grads = tape.gradient(loss, sources);

  const double eps = 1e-6;
  auto compare = [&](const std::optional<Tensor>& g, const std::vector<double>& numeric, const std::string& what) {
    ASSERT_TRUE(g.has_value()) << what;
    std::vector<double> analytic = g->to_vector<double>();
    ASSERT_EQ(analytic.size(), numeric.size()) << what;
    for (std::size_t j = 0; j < numeric.size(); ++j)
      EXPECT_NEAR(analytic[j], numeric[j], tol * std::max(1.0, std::abs(numeric[j]))) << what << " element " << j;
  };
  // d/dx.
  std::vector<double> xv = x.to_vector<double>(), numeric(xv.size());
  for (std::size_t j = 0; j < xv.size(); ++j) {
    auto moved = [&](double d) {
      std::vector<double> v = xv;
      v[j] += d;
      return objective(constant(v, x.shape(), DType::kFloat64));
    };
    numeric[j] = (moved(eps) - moved(-eps)) / (2 * eps);
  }
  compare(grads[0], numeric, "d/d inputs");
  // d/d each weight, moved in place.
  for (std::size_t i = 0; i < vars.size(); ++i) {
    Variable v = vars[i];
    const std::vector<double> base = v.read_value().to_vector<double>();
    std::vector<double> num(base.size());
    for (std::size_t j = 0; j < base.size(); ++j) {
      auto moved = [&](double d) {
        std::vector<double> b = base;
        b[j] += d;
        v.assign(constant(b, v.shape(), DType::kFloat64));
        return objective(x);
      };
      num[j] = (moved(eps) - moved(-eps)) / (2 * eps);
    }
    v.assign(constant(base, v.shape(), DType::kFloat64));
    compare(grads[i + 1], num, "d/d " + v.name());
  }
}

/// check_gradients of a layer's call (built by a first call).
template <typename L> void check_layer_gradients(L layer, const Tensor& x, bool training = false, double tol = 1e-6) {
  layer(x, training);
  check_gradients([&](const Tensor& in) { return layer(in, training); }, x, layer.trainable_variables(), tol);
}

/// Uniform(-1, 1) float64 values from `seed`.
inline Tensor uniform64(const Shape& shape, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> v(static_cast<std::size_t>(shape.num_elements()));
  for (double& e : v) e = dist(gen);
  return constant(v, shape, DType::kFloat64);
}

}  // namespace tapeflow::testing
