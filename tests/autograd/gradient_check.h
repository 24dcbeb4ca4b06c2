// The gradient checkers of every test suite (one copy). check_gradients, the float64
// central-difference checker, compares the tape's gradient of
// sum(f(inputs) * w) (w fixed random weights, so every output element counts differently) with
// (L(x + eps) - L(x - eps)) / 2 eps for every element of every input. order = 2 checks the
// gradient of the gradient (nested tapes). Each check also checks forward mode (ForwardAccumulator's
// JVP; at order 2, forward over backward: Hessian-vector products). GRADIENT_CHECK_TEST records which TF op a test
// covers, so the registry audit can fail on a differentiable op nobody checks.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tapeflow/tapeflow.h"
#include "tests/core/test_util.h"

namespace tapeflow::testing {

// ---- one scalar function of one float64 tensor: tape gradient, central differences, order 2 ----
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

// ---- the general checker: several inputs, every element, orders 1 and 2 -------------------
using Function = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradientCheckOptions {
  double eps = 1e-6;
  double atol = 1e-7;
  double rtol = 1e-6;
  /// Feed strided (non-contiguous) views holding the same values.
  bool non_contiguous = false;
  /// 1: gradients; 2: also the gradients of the (flattened) gradients.
  int order = 1;
  /// Also check forward mode: the ForwardAccumulator's JVP along a random direction against
  /// central differences along it, and against jᵀv from the gradients (<w, J t> = <Jᵀw, t>).
  bool check_jvp = true;
};

/// Uniform float64 values in [lo, hi) of `shape`, from a fixed seed.
inline Tensor uniform(const Shape& shape, double lo, double hi, unsigned seed = 1) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(static_cast<std::size_t>(shape.num_elements()));
  for (double& x : v) x = dist(gen);
  return constant(v, shape, DType::kFloat64);
}

/// The same values as `x` in a strided view: every other element of a buffer whose last axis is
/// twice as long.
inline Tensor strided_copy(const Tensor& x) {
  if (x.ndim() == 0) return x;
  std::vector<double> v = x.to_vector<double>();
  const int64_t last = x.shape().dim(-1);
  Shape wide = x.shape();
  wide[wide.rank() - 1] = 2 * last;
  std::vector<double> w(static_cast<std::size_t>(wide.num_elements()), -777.0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::size_t row = i / static_cast<std::size_t>(last), col = i % static_cast<std::size_t>(last);
    w[row * 2 * static_cast<std::size_t>(last) + 2 * col] = v[i];
  }
  std::vector<Index> idx(static_cast<std::size_t>(x.ndim() - 1), Index(all));
  idx.emplace_back(slice({}, {}, 2));
  Tensor view = constant(w, wide, DType::kFloat64)[idx];
  EXPECT_FALSE(view.is_contiguous());
  return view;
}

namespace detail {
inline Tensor weights_like(const Tensor& y) {
  std::mt19937 gen(12345);
  std::uniform_real_distribution<double> dist(0.5, 1.5);
  std::vector<double> v(static_cast<std::size_t>(y.size()));
  for (double& x : v) x = dist(gen);
  return constant(v, y.shape(), DType::kFloat64);
}

inline double objective(const Function& f, const std::vector<Tensor>& xs, const Tensor& w) {
  Tensor y = f(xs);
  return reduce_sum(y * w).item<double>();
}

/// f's inputs re-made from host values with element `j` of input `i` moved by `delta`.
inline std::vector<Tensor> perturbed(const std::vector<Tensor>& xs, std::size_t i, int64_t j, double delta,
                                     bool non_contiguous) {
  std::vector<Tensor> out = xs;
  std::vector<double> v = xs[i].to_vector<double>();
  v[static_cast<std::size_t>(j)] += delta;
  Tensor t = constant(v, xs[i].shape(), DType::kFloat64);
  out[i] = non_contiguous ? strided_copy(t) : t;
  return out;
}

/// The gradients of sum(f(xs) * w) as one flat float64 tensor (zeros where unconnected).
inline Tensor flat_gradient(const Function& f, const std::vector<Tensor>& xs, const Tensor& w) {
  GradientTape tape;
  for (const Tensor& x : xs) tape.watch(x);
  Tensor loss = reduce_sum(f(xs) * w);
  tape.stop();
  auto grads = tape.gradient(loss, xs, {.unconnected_gradients = UnconnectedGradients::Zero});
  std::vector<Tensor> parts;
  for (const auto& g : grads) parts.push_back(reshape(*g, Shape{-1}));
  return concat(parts, 0);
}
}  // namespace detail

namespace detail {
/// The forward-mode half of check_gradients: ForwardAccumulator's J t for a random direction t
/// against (f(x + eps t) - f(x - eps t)) / 2 eps, element by element, and <w, J t> against
/// sum_i <grads_i, t_i> (the reverse rules' Jᵀw).
inline void check_jvp(const Function& f, const std::vector<Tensor>& inputs, const Tensor& w, const GradientList& grads,
                      const GradientCheckOptions& options) {
  for (std::size_t i = 0; i < inputs.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (inputs[i].id() == inputs[j].id()) return;  // one tensor twice: a primal may be watched once
  std::vector<Tensor> tangents;
  std::vector<Source> primals(inputs.begin(), inputs.end());
  for (std::size_t i = 0; i < inputs.size(); ++i)
    tangents.push_back(uniform(inputs[i].shape(), -1, 1, 1000 + static_cast<unsigned>(i)));
  std::optional<Tensor> jv;
  Tensor y;
  {
    autodiff::ForwardAccumulator acc(primals, tangents);
    y = f(inputs);
    acc.stop();
    jv = acc.jvp(y);
  }
  auto along = [&](double s) {
    std::vector<Tensor> xs;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      std::vector<double> v = inputs[i].to_vector<double>(), t = tangents[i].to_vector<double>();
      for (std::size_t k = 0; k < v.size(); ++k) v[k] += s * t[k];
      Tensor x = constant(v, inputs[i].shape(), DType::kFloat64);
      xs.push_back(options.non_contiguous ? strided_copy(x) : x);
    }
    return f(xs).to_vector<double>();
  };
  const std::vector<double> up = along(options.eps), down = along(-options.eps);
  std::vector<double> analytic(up.size(), 0.0);
  if (jv) {
    ASSERT_EQ(jv->shape(), y.shape()) << "JVP shape";
    ASSERT_EQ(jv->dtype(), y.dtype()) << "JVP dtype";
    analytic = jv->to_vector<double>();
  }
  for (std::size_t k = 0; k < up.size(); ++k) {
    const double numeric = (up[k] - down[k]) / (2 * options.eps);
    EXPECT_NEAR(analytic[k], numeric, options.atol + options.rtol * std::abs(numeric))
        << "JVP element " << k << (jv ? "" : " (the accumulator gave no JVP)");
  }
  double wjv = 0, gt = 0;
  const std::vector<double> wv = w.to_vector<double>();
  for (std::size_t k = 0; k < analytic.size(); ++k) wjv += wv[k] * analytic[k];
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!grads[i]) continue;
    const std::vector<double> g = grads[i]->to_vector<double>(), t = tangents[i].to_vector<double>();
    for (std::size_t k = 0; k < g.size(); ++k) gt += g[k] * t[k];
  }
  EXPECT_NEAR(wjv, gt, 1e-8 * (1 + std::abs(gt))) << "<w, J t> (forward mode) differs from <Jᵀw, t> (reverse mode)";
}
}  // namespace detail

/// Checks the tape's gradients of f at `inputs` (float64) against central differences.
inline void check_gradients(const Function& f, std::vector<Tensor> inputs, GradientCheckOptions options = {}) {
  for (const Tensor& x : inputs) ASSERT_EQ(x.dtype(), DType::kFloat64) << "the checker works in float64";
  if (options.non_contiguous)
    for (Tensor& x : inputs) x = strided_copy(x);
  const Tensor w = detail::weights_like(f(inputs));

  GradientTape tape;
  for (const Tensor& x : inputs) tape.watch(x);
  Tensor y = f(inputs);
  Tensor loss = reduce_sum(y * w);
  tape.stop();
  auto grads = tape.gradient(loss, inputs);

  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    std::vector<double> analytic(static_cast<std::size_t>(x.size()), 0.0);
    if (grads[i]) {
      ASSERT_EQ(grads[i]->shape(), x.shape()) << "gradient shape of input " << i;
      ASSERT_EQ(grads[i]->dtype(), DType::kFloat64) << "gradient dtype of input " << i;
      analytic = grads[i]->to_vector<double>();
    }
    for (int64_t j = 0; j < x.size(); ++j) {
      double up = detail::objective(f, detail::perturbed(inputs, i, j, options.eps, options.non_contiguous), w);
      double down = detail::objective(f, detail::perturbed(inputs, i, j, -options.eps, options.non_contiguous), w);
      double numeric = (up - down) / (2 * options.eps);
      double a = analytic[static_cast<std::size_t>(j)];
      EXPECT_NEAR(a, numeric, options.atol + options.rtol * std::abs(numeric))
          << "d/d input " << i << " element " << j << (grads[i] ? "" : " (tape gave no gradient)");
    }
  }
  if (options.check_jvp) detail::check_jvp(f, inputs, w, grads, options);

  if (options.order >= 2) {
    // The gradient is itself a function of the inputs: check it the same way (outer tape).
    Function grad_fn = [f, w](const std::vector<Tensor>& xs) { return detail::flat_gradient(f, xs, w); };
    GradientCheckOptions next = options;
    next.order = 1;
    next.non_contiguous = false;  // inputs are already strided views when asked
    std::vector<Tensor> same = inputs;
    check_gradients(grad_fn, same, next);
  }
}

/// The TF op names some GRADIENT_CHECK_TEST covers.
inline std::set<std::string>& gradient_checked_ops() {
  static std::set<std::string> ops;
  return ops;
}
struct CoversOp {
  explicit CoversOp(const char* op) { gradient_checked_ops().insert(op); }
};
/// The TF op names some GPU_GRADIENT_CHECK_TEST covers: checks that need a GPU and skip without
/// one, so the audit counts them only where a GPU is present.
inline std::set<std::string>& gpu_gradient_checked_ops() {
  static std::set<std::string> ops;
  return ops;
}
struct CoversOpOnGpu {
  explicit CoversOpOnGpu(const char* op) { gpu_gradient_checked_ops().insert(op); }
};

}  // namespace tapeflow::testing

/// GRADIENT_CHECK_TEST(Mul, Broadcasting) { ... }: a gtest case that gradient-checks TF op `Mul`.
#define GRADIENT_CHECK_TEST(OpName, CaseName)                                 \
  static ::tapeflow::testing::CoversOp covers_##OpName##_##CaseName(#OpName); \
  TEST(GradientCheck_##OpName, CaseName)

/// GPU_GRADIENT_CHECK_TEST(_CopyToDevice, CpuGpuRoundTrip) { ... }: a gradient check that needs a
/// GPU (its body skips without one); it covers the op only on a machine with a GPU.
#define GPU_GRADIENT_CHECK_TEST(OpName, CaseName)                                      \
  static ::tapeflow::testing::CoversOpOnGpu covers_gpu_##OpName##_##CaseName(#OpName); \
  TEST(GradientCheck_##OpName, CaseName)
