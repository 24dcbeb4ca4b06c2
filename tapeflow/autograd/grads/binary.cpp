// Gradient rules of the binary elementwise ops (mirrors kernels/cpu/binary.cpp). Broadcast
// inputs get their gradient summed back to their shape (unbroadcast).
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::autograd {
namespace {
Tensor neg(const Tensor& g) { return multiply(g, scalar_tensor(-1, g.dtype())); }
Tensor as_float_mask(const Tensor& mask, DType dt) { return cast(mask, dt); }

/// Input i's gradient when the tape uses it (TF's skip_input_indices), else std::nullopt.
template <typename F> std::optional<Tensor> if_needed(const GradContext& c, std::size_t i, F&& f) {
  return c.needs_grad(i) ? std::optional<Tensor>(f()) : std::nullopt;
}

InputGrads add_grad(const GradContext& c) {
  return {if_needed(c, 0, [&] { return unbroadcast(c.grad(), c.input(0).shape()); }),
          if_needed(c, 1, [&] { return unbroadcast(c.grad(), c.input(1).shape()); })};
}
InputGrads sub_grad(const GradContext& c) {
  return {unbroadcast(c.grad(), c.input(0).shape()), unbroadcast(neg(c.grad()), c.input(1).shape())};
}
InputGrads mul_grad(const GradContext& c) {
  return {if_needed(c, 0, [&] { return unbroadcast(c.grad() * c.input(1), c.input(0).shape()); }),
          if_needed(c, 1, [&] { return unbroadcast(c.grad() * c.input(0), c.input(1).shape()); })};
}
InputGrads div_grad(const GradContext& c) {
  const Tensor &a = c.input(0), &b = c.input(1);
  return {unbroadcast(c.grad() / b, a.shape()), unbroadcast(neg(c.grad()) * a / (b * b), b.shape())};
}
// TF sends the gradient to x where x >= y (maximum) / x <= y (minimum), else to y.
InputGrads maximum_grad(const GradContext& c) {
  const Tensor &a = c.input(0), &b = c.input(1);
  Tensor to_a = as_float_mask(greater_equal(a, b), c.grad().dtype());
  return {unbroadcast(c.grad() * to_a, a.shape()), unbroadcast(c.grad() * (1 - to_a), b.shape())};
}
InputGrads minimum_grad(const GradContext& c) {
  const Tensor &a = c.input(0), &b = c.input(1);
  Tensor to_a = as_float_mask(less_equal(a, b), c.grad().dtype());
  return {unbroadcast(c.grad() * to_a, a.shape()), unbroadcast(c.grad() * (1 - to_a), b.shape())};
}
InputGrads squared_difference_grad(const GradContext& c) {
  Tensor d = c.grad() * 2 * (c.input(0) - c.input(1));
  return {unbroadcast(d, c.input(0).shape()), unbroadcast(neg(d), c.input(1).shape())};
}
InputGrads floormod_grad(const GradContext& c) {
  return {unbroadcast(c.grad(), c.input(0).shape()),
          unbroadcast(neg(c.grad()) * floordiv(c.input(0), c.input(1)), c.input(1).shape())};
}
InputGrads pow_grad(const GradContext& c) {
  const Tensor &a = c.input(0), &b = c.input(1), &g = c.grad(), &y = c.output(0);
  Tensor ga = g * b * pow(a, b - scalar_tensor(1, b.dtype()));
  // d/db a^b = a^b log a, taken as 0 where a <= 0 (as TF).
  Tensor safe_log = where(greater(a, scalar_tensor(0, a.dtype())),
                          log(where(greater(a, scalar_tensor(0, a.dtype())), a, ones_like(a))), zeros_like(a));
  return {unbroadcast(ga, a.shape()), unbroadcast(g * y * safe_log, b.shape())};
}

// ---- forward mode: t_y = d_a y * t_a + d_b y * t_b, broadcast to y's shape ----------------
/// Sum of the terms present (each already of y's shape or broadcastable to it).
OutputTangents tangent_sum(const JvpContext& c, std::optional<Tensor> ta, std::optional<Tensor> tb) {
  std::optional<Tensor> t = ta && tb ? std::optional<Tensor>(*ta + *tb) : ta ? ta : tb;
  if (t && t->shape() != c.output(0).shape()) t = broadcast_to(*t, c.output(0).shape());
  return {t};
}
template <typename F> std::optional<Tensor> term(const JvpContext& c, std::size_t i, F&& f) {
  return c.has_tangent(i) ? std::optional<Tensor>(f(c.tangent(i))) : std::nullopt;
}
OutputTangents add_jvp(const JvpContext& c) {
  return tangent_sum(c, term(c, 0, [](const Tensor& t) { return t; }), term(c, 1, [](const Tensor& t) { return t; }));
}
OutputTangents sub_jvp(const JvpContext& c) {
  return tangent_sum(c, term(c, 0, [](const Tensor& t) { return t; }),
                     term(c, 1, [](const Tensor& t) { return neg(t); }));
}
OutputTangents mul_jvp(const JvpContext& c) {
  return tangent_sum(c, term(c, 0, [&](const Tensor& t) { return t * c.input(1); }),
                     term(c, 1, [&](const Tensor& t) { return c.input(0) * t; }));
}
// Reads only the inputs, as div_grad (Note [JVP rules read what the gradient rule reads]).
OutputTangents div_jvp(const JvpContext& c) {
  const Tensor &a = c.input(0), &b = c.input(1);
  return tangent_sum(c, term(c, 0, [&](const Tensor& t) { return t / b; }),
                     term(c, 1, [&](const Tensor& t) { return neg(t) * a / (b * b); }));
}
}  // namespace

void register_binary_gradients() {
  register_gradient(ops::Add, add_grad, kReadsNothing);
  register_gradient(ops::Sub, sub_grad, kReadsNothing);
  register_gradient(ops::Mul, mul_grad, kReadsInputs);
  register_gradient(ops::RealDiv, div_grad, kReadsInputs);
  register_gradient(ops::Maximum, maximum_grad, kReadsInputs);
  register_gradient(ops::Minimum, minimum_grad, kReadsInputs);
  register_gradient(ops::SquaredDifference, squared_difference_grad, kReadsInputs);
  register_gradient(ops::FloorMod, floormod_grad, kReadsInputs);
  register_gradient(ops::Pow, pow_grad);
  register_jvp(ops::Add, add_jvp);
  register_jvp(ops::Sub, sub_jvp);
  register_jvp(ops::Mul, mul_jvp);
  register_jvp(ops::RealDiv, div_jvp);
  for (OpDef* op : {&ops::FloorDiv, &ops::Equal, &ops::NotEqual, &ops::Less, &ops::LessEqual, &ops::Greater,
                    &ops::GreaterEqual, &ops::LogicalAnd, &ops::LogicalOr})
    register_not_differentiable(*op);
}

}  // namespace tapeflow::autograd
