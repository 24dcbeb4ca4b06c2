// Gradient rule of RaggedTensorToTensor (mirrors kernels/cpu/ragged.cpp), after TF's
// _ragged_tensor_to_tensor_grad: each position of the padded result came either from one flat
// value or from the default value. Ragged elementwise ops work on the flat values with ordinary
// ops, so this is the one ragged op a tape differentiates.
#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/autograd/grads/registration.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/core/ops/ragged.h"

namespace tapeflow::autograd {
namespace {
// inputs: flat_values (N, inner...), default_value, row_splits (outermost first).
InputGrads ragged_to_tensor_grad(const GradContext& c) {
  const Tensor &flat_values = c.input(0), &default_value = c.input(1), &g = c.grad();
  const int64_t n = flat_values.shape()[0];
  // source[p] = the flat value that filled ragged position p, or -1 where the default did: the
  // same conversion applied to the value numbers 0..N-1.
  std::vector<Tensor> splits(c.inputs.begin() + 2, c.inputs.end());
  const Tensor source =
      RaggedTensor::from_nested_row_splits(range(0, n, 1, DType::kInt64), splits, /*validate=*/false).to_tensor(-1);
  const int64_t positions = source.size();
  Shape rows{positions};
  for (int d = 1; d < flat_values.ndim(); ++d) rows.push_back(flat_values.shape()[d]);
  const Tensor g_rows = reshape(g, rows);  // (positions, inner...)
  const Tensor ids = reshape(source, Shape{positions});
  // Segment sums drop negative ids: the default's positions give the values nothing.
  const Tensor values_grad = unsorted_segment_sum(g_rows, ids, n);
  Shape mask_shape{positions};
  for (int d = 1; d < flat_values.ndim(); ++d) mask_shape.push_back(1);
  const Tensor from_default = reshape(cast(equal(ids, scalar_tensor(-1, DType::kInt64)), g.dtype()), mask_shape);
  const Tensor default_grad = unbroadcast(reduce_sum(g_rows * from_default, 0), default_value.shape());
  InputGrads out{values_grad, default_grad};
  out.resize(c.inputs.size());  // row splits: integers, no gradient
  return out;
}
}  // namespace

void register_ragged_gradients() { register_gradient(ops::RaggedTensorToTensor, ragged_to_tensor_grad); }

}  // namespace tapeflow::autograd
