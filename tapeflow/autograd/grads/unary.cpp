// Gradient rules of the unary ops, activations and where (mirrors kernels/cpu/unary.cpp).
// Rules reuse the forward output where the derivative is a function of it (exp, tanh, sigmoid).
#include <cmath>

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::autograd {
namespace {
Tensor mask(const Tensor& cond, const Tensor& like) { return cast(cond, like.dtype()); }
Tensor num(double v, const Tensor& like) { return scalar_tensor(v, like.dtype()); }

#define RULE(NAME, EXPR)                  \
  InputGrads NAME(const GradContext& c) { \
    const Tensor& g = c.grad();           \
    const Tensor& x = c.input(0);         \
    const Tensor& y = c.output(0);        \
    (void)g;                              \
    (void)x;                              \
    (void)y;                              \
    return {EXPR};                        \
  }
RULE(neg_grad, negative(g))
RULE(abs_grad, g* sign(x))
RULE(sign_grad, zeros_like(x))  // TF: zeros, not None
RULE(square_grad, g* x* num(2, x))
RULE(sqrt_grad, g* num(0.5, y) / y)
RULE(rsqrt_grad, g* num(-0.5, y) * y * y * y)
RULE(exp_grad, g* y)
RULE(expm1_grad, g*(y + num(1, y)))
RULE(log_grad, g / x)
RULE(log1p_grad, g / (x + num(1, x)))
RULE(sin_grad, g* cos(x))
RULE(cos_grad, negative(g) * sin(x))
RULE(tan_grad, g*(num(1, y) + y * y))
RULE(tanh_grad, g*(num(1, y) - y * y))
RULE(sigmoid_grad, g* y*(num(1, y) - y))
RULE(reciprocal_grad, negative(g) * y * y)
RULE(erf_grad, g* num(2.0 / std::sqrt(M_PI), x) * exp(negative(x * x)))
RULE(erfc_grad, g* num(-2.0 / std::sqrt(M_PI), x) * exp(negative(x * x)))
RULE(relu_grad, g* mask(greater(y, num(0, y)), g))  // y > 0 exactly where x > 0
RULE(relu6_grad, g* mask(logical_and(greater(x, num(0, x)), less(x, num(6, x))), g))
RULE(elu_grad, where(greater(x, num(0, x)), g, g*(y + num(1, y))))
RULE(selu_grad, where(greater(x, num(0, x)), g* num(1.0507009873554804934193349852946, x),
                      g*(y + num(1.0507009873554804934193349852946 * 1.6732632423543772848170429916717, y))))
RULE(softplus_grad, g* sigmoid(x))
RULE(softsign_grad, g / square(num(1, x) + abs(x)))
RULE(silu_grad, g*(sigmoid(x) * (num(1, x) + x * (num(1, x) - sigmoid(x)))))
#undef RULE

InputGrads leaky_relu_grad(const GradContext& c) {
  float alpha = c.attr<ops::LeakyReluAttrs>().alpha;
  const Tensor &g = c.grad(), &x = c.input(0);
  return {where(greater(x, num(0, x)), g, g * scalar_tensor(alpha, g.dtype()))};
}
InputGrads gelu_grad(const GradContext& c) {
  const Tensor &g = c.grad(), &x = c.input(0);
  if (c.attr<ops::GeluAttrs>().approximate) {
    const double k = std::sqrt(2.0 / M_PI);
    Tensor inner = num(k, x) * (x + num(0.044715, x) * x * x * x);
    Tensor t = tanh(inner);
    Tensor dinner = num(k, x) * (num(1, x) + num(3 * 0.044715, x) * x * x);
    return {g * (num(0.5, x) * (num(1, x) + t) + num(0.5, x) * x * (num(1, x) - t * t) * dinner)};
  }
  // d/dx x Φ(x) = Φ(x) + x φ(x), with Φ(x) = erfc(-x/√2) / 2 (no cancellation for negative x)
  Tensor cdf = num(0.5, x) * erfc(negative(x) * num(M_SQRT1_2, x));
  Tensor pdf = num(1.0 / std::sqrt(2 * M_PI), x) * exp(num(-0.5, x) * x * x);
  return {g * (cdf + x * pdf)};
}
InputGrads select_grad(const GradContext& c) {
  const Tensor &cond = c.input(0), &x = c.input(1), &y = c.input(2), &g = c.grad();
  Tensor zero = zeros_like(g);
  return {std::nullopt, unbroadcast(where(cond, g, zero), x.shape()), unbroadcast(where(cond, zero, g), y.shape())};
}
}  // namespace

void register_unary_gradients() {
  register_gradient(ops::Neg, neg_grad, kReadsNothing);
  register_gradient(ops::Abs, abs_grad, kReadsInputs);
  register_gradient(ops::Sign, sign_grad);
  register_gradient(ops::Square, square_grad, kReadsInputs);
  register_gradient(ops::Sqrt, sqrt_grad, kReadsOutputs);
  register_gradient(ops::Rsqrt, rsqrt_grad, kReadsOutputs);
  register_gradient(ops::Exp, exp_grad, kReadsOutputs);
  register_gradient(ops::Expm1, expm1_grad, kReadsOutputs);
  register_gradient(ops::Log, log_grad, kReadsInputs);
  register_gradient(ops::Log1p, log1p_grad, kReadsInputs);
  register_gradient(ops::Sin, sin_grad, kReadsInputs);
  register_gradient(ops::Cos, cos_grad, kReadsInputs);
  register_gradient(ops::Tan, tan_grad, kReadsOutputs);
  register_gradient(ops::Tanh, tanh_grad, kReadsOutputs);
  register_gradient(ops::Sigmoid, sigmoid_grad, kReadsOutputs);
  register_gradient(ops::Reciprocal, reciprocal_grad, kReadsOutputs);
  register_gradient(ops::Erf, erf_grad, kReadsInputs);
  register_gradient(ops::Erfc, erfc_grad, kReadsInputs);
  register_gradient(ops::Relu, relu_grad, kReadsOutputs);
  register_gradient(ops::Relu6, relu6_grad, kReadsInputs);
  register_gradient(ops::Elu, elu_grad);
  register_gradient(ops::Selu, selu_grad);
  register_gradient(ops::Softplus, softplus_grad, kReadsInputs);
  register_gradient(ops::Softsign, softsign_grad, kReadsInputs);
  register_gradient(ops::Silu, silu_grad, kReadsInputs);
  register_gradient(ops::LeakyRelu, leaky_relu_grad, kReadsInputs);
  register_gradient(ops::Gelu, gelu_grad, kReadsInputs);
  register_gradient(ops::SelectV2, select_grad, ReadsValues{.inputs = 0b001, .outputs = 0});
  // Forward mode: each op's Jacobian is diagonal, so its JVP is its gradient rule applied to the
  // tangent (and reads the same values).
  register_jvp(ops::Neg, elementwise_jvp<neg_grad>);
  register_jvp(ops::Abs, elementwise_jvp<abs_grad>);
  register_jvp(ops::Square, elementwise_jvp<square_grad>);
  register_jvp(ops::Sqrt, elementwise_jvp<sqrt_grad>);
  register_jvp(ops::Rsqrt, elementwise_jvp<rsqrt_grad>);
  register_jvp(ops::Exp, elementwise_jvp<exp_grad>);
  register_jvp(ops::Expm1, elementwise_jvp<expm1_grad>);
  register_jvp(ops::Log, elementwise_jvp<log_grad>);
  register_jvp(ops::Log1p, elementwise_jvp<log1p_grad>);
  register_jvp(ops::Sin, elementwise_jvp<sin_grad>);
  register_jvp(ops::Cos, elementwise_jvp<cos_grad>);
  register_jvp(ops::Tan, elementwise_jvp<tan_grad>);
  register_jvp(ops::Tanh, elementwise_jvp<tanh_grad>);
  register_jvp(ops::Sigmoid, elementwise_jvp<sigmoid_grad>);
  register_jvp(ops::Reciprocal, elementwise_jvp<reciprocal_grad>);
  register_jvp(ops::Erf, elementwise_jvp<erf_grad>);
  register_jvp(ops::Relu, elementwise_jvp<relu_grad>);
  register_jvp(ops::Relu6, elementwise_jvp<relu6_grad>);
  register_jvp(ops::Elu, elementwise_jvp<elu_grad>);
  register_jvp(ops::Selu, elementwise_jvp<selu_grad>);
  register_jvp(ops::Softplus, elementwise_jvp<softplus_grad>);
  register_jvp(ops::Softsign, elementwise_jvp<softsign_grad>);
  register_jvp(ops::Silu, elementwise_jvp<silu_grad>);
  register_jvp(ops::LeakyRelu, elementwise_jvp<leaky_relu_grad>);
  register_jvp(ops::Gelu, elementwise_jvp<gelu_grad>);
  // TF registers these as not differentiable (or with None gradients).
  for (OpDef* op :
       {&ops::Floor, &ops::Ceil, &ops::Round, &ops::IsNan, &ops::IsInf, &ops::IsFinite, &ops::LogicalNot, &ops::Where})
    register_not_differentiable(*op);
}

}  // namespace tapeflow::autograd
