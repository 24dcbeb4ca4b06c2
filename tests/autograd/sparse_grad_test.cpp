// Gradient checks (float64 central differences) of the tf.sparse ops and RaggedTensorToTensor:
// only values (and dense operands, default values) carry gradients, as in TF's sparse_grad.py.
// The sparsity pattern of each case stays fixed under the checker's perturbations.
#include "tests/autograd/gradient_check.h"

namespace {
using tf::sparse::SparseTensor;
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;
using Idx = std::vector<std::vector<int64_t>>;

GRADIENT_CHECK_TEST(SparseToDense, ValuesAndDefault) {
  const Idx idx{{0, 1}, {1, 0}, {2, 3}};
  check_gradients(
      [idx](const Xs& x) {
        return tf::sparse::to_dense(SparseTensor(idx, x[0], {3, 4}), 0.5);
      },
      {uniform({3}, -1, 1, 1)}, {.non_contiguous = true});
  // The default value as a tensor input (tf.sparse.to_dense's default_value): it fills 9 positions.
  const SparseTensor sp(idx, uniform({3}, -1, 1, 2), {3, 4});
  check_gradients(
      [sp](const Xs& x) {
        const tf::Tensor in[3] = {sp.indices(), x[0], x[1]};
        tf::ops::SparseToDenseAttrs attrs;
        return tf::dispatch1(tf::ops::SparseToDense, in, &attrs, {tf::Shape{3, 4}, tf::float64});
      },
      {uniform({3}, -1, 1, 3), uniform({}, -1, 1, 4)});
}
GRADIENT_CHECK_TEST(SparseFromDense, NonzeroEntries) {
  // x * mask keeps its zeros under perturbation, so from_dense picks the same entries.
  const tf::Tensor mask = tf::constant({{1.0, 0.0, 1.0}, {0.0, 1.0, 1.0}}, tf::float64);
  check_gradients([mask](const Xs& x) { return tf::sparse::from_dense(x[0] * mask).values() * 2.0; },
                  {uniform({2, 3}, 0.5, 1, 1)});
  // The round trip dense -> sparse -> dense, and second order through it.
  check_gradients([mask](const Xs& x) { return tf::square(tf::sparse::to_dense(tf::sparse::from_dense(x[0] * mask))); },
                  {uniform({2, 3}, 0.5, 1, 2)}, {.order = 2});
}
GRADIENT_CHECK_TEST(SparseReorder, Permutation) {
  const Idx idx{{2, 1}, {0, 3}, {1, 0}, {0, 0}};
  check_gradients(
      [idx](const Xs& x) {
        return tf::sparse::reorder(SparseTensor(idx, x[0], {3, 4})).values();
      },
      {uniform({4}, -1, 1, 1)}, {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(SparseAdd, OverlapAndThreshold) {
  // Unsorted inputs (add reorders them); [1,0] appears in both; [2,2] sums to 0.1 and falls
  // below the threshold 0.25, so neither of its summands gets a gradient.
  const Idx ia{{0, 1}, {2, 2}, {1, 0}}, ib{{2, 2}, {1, 0}, {0, 0}};
  auto f = [ia, ib](const Xs& x) {
    return tf::sparse::add(SparseTensor(ia, x[0], {3, 3}), SparseTensor(ib, x[1], {3, 3}), 0.25).values();
  };
  check_gradients(f, {tf::constant({0.3, 0.2, 0.7}, tf::float64), tf::constant({-0.1, 0.9, -0.6}, tf::float64)});
  auto dense = [ia, ib](const Xs& x) {
    return tf::sparse::to_dense(tf::sparse::add(SparseTensor(ia, x[0], {3, 3}), SparseTensor(ib, x[1], {3, 3})));
  };
  check_gradients(dense, {uniform({3}, -1, 1, 1), uniform({3}, -1, 1, 2)}, {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(SparseTensorDenseAdd, ValuesAndDense) {
  const Idx idx{{0, 2}, {1, 1}};
  check_gradients(
      [idx](const Xs& x) {
        return tf::sparse::add(SparseTensor(idx, x[0], {2, 3}), x[1]);
      },
      {uniform({2}, -1, 1, 1), uniform({2, 3}, -1, 1, 2)}, {.non_contiguous = true});
}
GRADIENT_CHECK_TEST(SparseReduceSum, Axes) {
  const Idx idx{{0, 1, 0}, {1, 0, 2}, {1, 2, 2}, {0, 1, 1}};
  auto sp = [idx](const tf::Tensor& v) { return SparseTensor(idx, v, {2, 3, 3}); };
  check_gradients([sp](const Xs& x) { return tf::sparse::reduce_sum(sp(x[0]), std::vector<int>{1}); },
                  {uniform({4}, -1, 1, 1)});
  check_gradients(
      [sp](const Xs& x) {
        return tf::sparse::reduce_sum(sp(x[0]), std::vector<int>{0, -1}, true);
      },
      {uniform({4}, -1, 1, 2)}, {.non_contiguous = true});
  check_gradients([sp](const Xs& x) { return tf::sparse::reduce_sum(sp(x[0])); }, {uniform({4}, -1, 1, 3)});
}
GRADIENT_CHECK_TEST(SparseTensorDenseMatMul, Adjoints) {
  const Idx idx{{0, 1}, {1, 0}, {1, 2}, {2, 2}};  // (3, 3) sparse
  for (bool adj_a : {false, true})
    for (bool adj_b : {false, true}) {
      tf::Shape sb = adj_b ? tf::Shape{2, 3} : tf::Shape{3, 2};
      check_gradients(
          [=](const Xs& x) {
            return tf::sparse::sparse_dense_matmul(SparseTensor(idx, x[0], {3, 3}), x[1], adj_a, adj_b);
          },
          {uniform({4}, -1, 1, 1), uniform(sb, -1, 1, 2)});
    }
  // Non-square, and second order (the values' and b's gradients depend on each other).
  const Idx wide{{0, 3}, {1, 0}, {1, 2}};  // (2, 4) sparse
  check_gradients(
      [wide](const Xs& x) {
        return tf::square(tf::sparse::sparse_dense_matmul(SparseTensor(wide, x[0], {2, 4}), x[1]));
      },
      {uniform({3}, -1, 1, 3), uniform({4, 3}, -1, 1, 4)}, {.atol = 1e-6, .rtol = 1e-5, .order = 2});
}

GRADIENT_CHECK_TEST(RaggedTensorToTensor, ValuesAndDefault) {
  const tf::Tensor splits = tf::constant({0, 3, 3, 4, 6}, tf::int64);  // rows of 3, 0, 1, 2 values
  check_gradients([splits](const Xs& x) { return tf::RaggedTensor::from_row_splits(x[0], splits).to_tensor(1.5); },
                  {uniform({6}, -1, 1, 1)});
  // Uniform inner dimension, ragged rank 2, and second order.
  const tf::Tensor inner = tf::constant({0, 2, 3, 3, 5}, tf::int64), outer = tf::constant({0, 1, 4}, tf::int64);
  check_gradients(
      [=](const Xs& x) {
        return tf::square(tf::RaggedTensor::from_nested_row_splits(x[0], {outer, inner}).to_tensor());
      },
      {uniform({5, 2}, -1, 1, 2)}, {.order = 2});
  // The default value as a tensor input: it fills the 6 padded positions.
  check_gradients(
      [splits](const Xs& x) {
        const tf::Tensor in[3] = {x[0], x[1], splits};
        return tf::dispatch1(tf::ops::RaggedTensorToTensor, in, nullptr, {tf::Shape{4, 3}, tf::float64});
      },
      {uniform({6}, -1, 1, 3), uniform({}, -1, 1, 4)});
}

}  // namespace
