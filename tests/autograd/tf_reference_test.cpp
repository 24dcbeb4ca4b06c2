// Gradients of small composite computations against TensorFlow-CPU's, in float64
// (tests/fixtures/gen_autograd.py): first-order gradients of every composite, and second-order
// gradients through nested tapes for some. Each composite is written as in the generator.
#include "tests/autograd/fixtures/autograd_fixtures.h"
#include "tests/core/test_util.h"

namespace {
namespace fx = ::fixtures::autograd;
using tf::Tensor;
using tf::testing::expect_values;

Tensor from(const fx::Case& c) { return tf::constant(c.values, tf::Shape(c.shape), tf::float64); }

Tensor c1(const Tensor& a, const Tensor& b) {
  return tf::reduce_sum(tf::tanh(a * b + 1.0) * tf::sigmoid(a) - b / (1.0 + tf::square(a)));
}
Tensor c2(const Tensor& a, const Tensor& b) {
  return tf::reduce_sum(tf::square(tf::reduce_max(a, 2))) + tf::reduce_sum(tf::exp(tf::reduce_min(a, 1))) +
         tf::reduce_mean(a * b) + tf::reduce_sum(tf::reduce_prod(b, 0));
}
Tensor c3(const Tensor& a, const Tensor& b) {
  auto g = tf::gather(a, tf::constant({3, 0, 3, 1}));
  auto s = a[{tf::slice({}, {}, -1), tf::slice(1, {}, 2)}];
  auto t = tf::concat({g[{tf::all, tf::slice({}, 2)}] * s, tf::tile(b[{tf::slice(1, 2), tf::slice(1, 3)}], {4, 1})}, 1);
  return tf::reduce_sum(tf::nn::softplus(t) * tf::reshape(tf::transpose(a[{tf::all, tf::slice({}, 4)}]), {4, 4}));
}
Tensor c4(const Tensor& x, const Tensor& y) {
  return tf::reduce_sum(tf::pow(x, y) * tf::log1p(x) + tf::sqrt(x) * tf::erf(y) - tf::rsqrt(x + y * y));
}
Tensor c5(const Tensor& a, const Tensor& b) {
  auto w = tf::where(a > 0.0, a * b, tf::square(b));
  return tf::reduce_sum(w + tf::clip_by_value(a, -0.5, 0.5) * tf::maximum(a, b) +
                        tf::abs(a - b) * tf::minimum(a, tf::scalar_tensor(0.3, tf::float64)));
}
Tensor c6(const Tensor& a, const Tensor& b) {
  auto p = tf::cumsum(a, 1) * tf::cumprod(b, 0);
  return tf::reduce_sum(tf::top_k(p, 2).values) + tf::reduce_sum(tf::cumsum(a, 0, true, true));
}
Tensor c7(const Tensor& a, const Tensor& b) {
  auto g = tf::gather_nd(a, tf::constant({{0, 1}, {2, 3}, {0, 1}}));
  auto p = tf::pad(a, {{1, 1}, {2, 0}}, "REFLECT");
  auto q = tf::pad(b, {{1, 0}, {0, 2}}, "SYMMETRIC");
  // alpha 0.25: leaky_relu takes a float alpha. The tanh form of gelu: TF 2.21's float64 exact gelu
  // is off by ~1e-8 relative (checked against math.erf), ours is not.
  return tf::reduce_sum(tf::nn::elu(p) * tf::nn::selu(p)) + tf::reduce_sum(g * g) +
         tf::reduce_sum(tf::nn::gelu(q, true) + tf::nn::silu(q) + tf::nn::leaky_relu(q, 0.25f) + tf::nn::softsign(q));
}

struct Composite {
  const char* name;
  Tensor (*fn)(const Tensor&, const Tensor&);
  const fx::Case &a, &b, &value, &grad_a, &grad_b;
  const fx::Case *grad2_a = nullptr, *grad2_b = nullptr;
};
const Composite kComposites[] = {
    {"c1", c1, fx::c1_a, fx::c1_b, fx::c1_value, fx::c1_grad_a, fx::c1_grad_b, &fx::c1_grad2_a, &fx::c1_grad2_b},
    {"c2", c2, fx::c2_a, fx::c2_b, fx::c2_value, fx::c2_grad_a, fx::c2_grad_b},
    {"c3", c3, fx::c3_a, fx::c3_b, fx::c3_value, fx::c3_grad_a, fx::c3_grad_b},
    {"c4", c4, fx::c4_a, fx::c4_b, fx::c4_value, fx::c4_grad_a, fx::c4_grad_b, &fx::c4_grad2_a, &fx::c4_grad2_b},
    {"c5", c5, fx::c5_a, fx::c5_b, fx::c5_value, fx::c5_grad_a, fx::c5_grad_b},
    {"c6", c6, fx::c6_a, fx::c6_b, fx::c6_value, fx::c6_grad_a, fx::c6_grad_b, &fx::c6_grad2_a, &fx::c6_grad2_b},
    {"c7", c7, fx::c7_a, fx::c7_b, fx::c7_value, fx::c7_grad_a, fx::c7_grad_b},
};

TEST(TensorFlowReference, CompositeGradients) {
  for (const Composite& c : kComposites) {
    SCOPED_TRACE(c.name);
    Tensor a = from(c.a), b = from(c.b);
    tf::GradientTape outer({.persistent = true});
    outer.watch(a);
    outer.watch(b);
    tf::GradientTape inner;
    inner.watch(a);
    inner.watch(b);
    Tensor y = c.fn(a, b);
    inner.stop();
    auto g = inner.gradient(y, {a, b});
    ASSERT_TRUE(g[0] && g[1]);
    Tensor z = tf::reduce_sum(*g[0] * *g[0]) + tf::reduce_sum(*g[1] * b);
    outer.stop();
    // 1e-8: TF's float64 kernels use a few approximations of their own (see c7); ours agree with
    // the float64 central differences of gradient_check to the same order.
    expect_values(y, {}, c.value.values, 1e-10);
    expect_values(*g[0], tf::Shape(c.grad_a.shape), c.grad_a.values, 1e-8);
    expect_values(*g[1], tf::Shape(c.grad_b.shape), c.grad_b.values, 1e-8);
    if (c.grad2_a) {
      auto g2 = outer.gradient(z, {a, b});
      expect_values(*g2[0], tf::Shape(c.grad2_a->shape), c.grad2_a->values, 1e-8);
      expect_values(*g2[1], tf::Shape(c.grad2_b->shape), c.grad2_b->values, 1e-8);
    }
  }
}

}  // namespace
