// The op table's row of _FusedElementwise (made by the graph optimizer's elementwise fusion): for
// every unary and binary table row it may use, programs of that row (chained, with a broadcast
// scalar operand) give the bits of the unfused ops run one by one through the door, on sizes
// that cover one element, several 512-element blocks with a tail, and the parallel path. Run on
// CPU:0 by tests/core and on GPU:0 by tests/gpu, each against its own device's unfused kernels.
#pragma once
#include <gtest/gtest.h>

#include <cstring>

#include "tapeflow/core/ops/fused_elementwise.h"
#include "tapeflow/tapeflow.h"

namespace tapeflow::testing::op_table {
namespace fused_detail {
namespace ops = tapeflow::ops;
using ops::ElementwiseOp, ops::ElementwiseStep;

inline tf::Tensor unfused(ElementwiseOp op, const tf::Tensor& a, const tf::Tensor* b = nullptr) {
  const tapeflow::OpDef& def = ops::elementwise_op_def(op);
  tf::Shape shape = b ? tapeflow::broadcast_shapes(def.name, a.shape(), b->shape()) : a.shape();
  if (!b) {
    const tf::Tensor in[1] = {a};
    return tapeflow::dispatch1(def, in, nullptr, {shape, a.dtype()});
  }
  const tf::Tensor in[2] = {a, *b};
  return tapeflow::dispatch1(def, in, nullptr, {shape, a.dtype()});
}

/// The same bits in every element; a NaN matches any NaN (out-of-domain inputs give NaNs whose
/// payload bits may depend on the operand order the compiler picked for a commutative op).
inline void expect_same_bits(const tf::Tensor& got, const tf::Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  auto check = [&]<typename T>(std::vector<T> g, std::vector<T> w) {
    int mismatches = 0;
    for (std::size_t i = 0; i < g.size(); ++i)
      if (!(g[i] != g[i] && w[i] != w[i]) && std::memcmp(&g[i], &w[i], sizeof(T)) != 0 && ++mismatches <= 3)
        ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", unfused " << w[i];
  };
  if (got.dtype() == tf::float64)
    check(got.to_vector<double>(), want.to_vector<double>());
  else
    check(got.to_vector<float>(), want.to_vector<float>());
}

inline std::vector<ElementwiseOp> fusable_rows() {
  std::vector<ElementwiseOp> out;
  for (tapeflow::OpDef* def : tapeflow::registered_ops())
    if (auto op = ops::fusable_elementwise_op(*def)) out.push_back(*op);
  return out;
}

}  // namespace fused_detail

/// The rows on the current device (a DeviceScope picks it).
inline void check_fused_elementwise_rows() {
  using namespace fused_detail;
  const std::vector<ElementwiseOp> rows = fusable_rows();
  // Every table row whose output dtype is its input's (not the predicates and comparisons).
  std::size_t same_rows = 0;
#define TAPEFLOW_UNARY_ROW(Op, fn, Functor, Accepts, Output) \
  same_rows += ops::UnaryOutput::Output == ops::UnaryOutput::Same;
#define TAPEFLOW_BINARY_ROW(Op, tf_name, fn, Functor, Accepts, Output) \
  same_rows += ops::BinaryOutput::Output == ops::BinaryOutput::Same;
  TAPEFLOW_UNARY_OPS(TAPEFLOW_UNARY_ROW)
  TAPEFLOW_BINARY_OPS(TAPEFLOW_BINARY_ROW)
#undef TAPEFLOW_UNARY_ROW
#undef TAPEFLOW_BINARY_ROW
  ASSERT_EQ(rows.size(), same_rows);
  ASSERT_GE(rows.size(), 38u);
  int64_t seed = 31000;
  for (tf::DType dt : {tf::float32, tf::float64}) {
    for (int64_t n : {int64_t{1}, int64_t{1100}}) {
      const tf::Tensor x = tf::random::uniform({n}, {.minval = -3, .maxval = 3, .dtype = dt, .seed = ++seed});
      const tf::Tensor y = tf::random::uniform({n}, {.minval = 0.25, .maxval = 2, .dtype = dt, .seed = ++seed});
      const tf::Tensor s = tf::random::uniform({1}, {.minval = 0.5, .maxval = 1.5, .dtype = dt, .seed = ++seed});
      for (ElementwiseOp op : rows) {
        const std::string what = std::string(ops::elementwise_op_def(op).name) + " " + std::string(tf::dtype_name(dt)) +
                                 " n=" + std::to_string(n);
        if (ops::elementwise_arity(op) == 1) {
          // op(op(x)), and op(y) beside it, summed: registers reused, a value read twice.
          const tf::Tensor in[2] = {x, y};
          std::vector<ElementwiseStep> program = {{op, 0}, {op, 2}, {op, 1}, {ElementwiseOp::Add, 3, 4}};
          const tf::Tensor op_y = unfused(op, y);
          const tf::Tensor want = unfused(ElementwiseOp::Add, unfused(op, unfused(op, x)), &op_y);
          expect_same_bits(ops::fused_elementwise(in, program), want, what);
        } else {
          // t = op(x, y); u = op(t, s); v = op(s, u): both sides broadcast a scalar once.
          const tf::Tensor in[3] = {x, y, s};
          std::vector<ElementwiseStep> program = {{op, 0, 1}, {op, 3, 2}, {op, 2, 4}};
          const tf::Tensor t = unfused(op, x, &y);
          const tf::Tensor u = unfused(op, t, &s);
          expect_same_bits(ops::fused_elementwise(in, program), unfused(op, s, &u), what);
        }
      }
    }
    // The parallel path (chunks of the intra-op pool) on a long chain over 2-D operands.
    const tf::Tensor big = tf::random::uniform({300, 250}, {.minval = -2, .maxval = 2, .dtype = dt, .seed = ++seed});
    const tf::Tensor half = tf::cast(tf::constant(0.5), dt);
    const tf::Tensor in[2] = {big, half};
    std::vector<ElementwiseStep> program = {
        {ElementwiseOp::Mul, 0, 1}, {ElementwiseOp::Tanh, 2}, {ElementwiseOp::Sub, 3, 0}, {ElementwiseOp::Sigmoid, 4},
        {ElementwiseOp::Mul, 5, 2}, {ElementwiseOp::Exp, 6},  {ElementwiseOp::Add, 7, 1}};
    tf::Tensor a = tf::tanh(big * half), b = tf::sigmoid(a - big), c = tf::exp(b * (big * half)) + half;
    expect_same_bits(ops::fused_elementwise(in, program), c, "long chain " + std::string(tf::dtype_name(dt)));
  }
}

}  // namespace tapeflow::testing::op_table
