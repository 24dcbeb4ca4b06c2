// Note [Unifying unknown dimensions]: a tf::function traced with None dimensions gives each
// argument's unknown dimension its own placeholder (graph/tracer.cpp). TF's shape inference
// merges two unknown dimensions that an op requires equal (labels (None,) against logits
// (None, 10), a broadcast of two None batches); here the check asks the trace's DimUnifier,
// which keeps the equivalence classes (a union-find). The graph then plans every member of a
// class from its representative, and each call checks that the arguments' sizes agree in every
// class before any kernel runs (graph/executor.cpp), so kernels still see checked shapes.
// Broadcasting two unknown dimensions unifies them too: a call where one of them is 1 and the
// other is not (which TF's graph would broadcast) is rejected with the InvalidArgumentError
// naming both arguments (and, where one is 1, how to trace it to broadcast), never run on
// mismatched sizes: planning a max() of two sizes, and a gradient that reduces over whichever
// side was 1, would make every binary op's shapes and gradient depend on the call. An unknown
// dimension an op meets with a known size (a broadcast against a constant, matmul's inner
// dimension against a weight) is bound to that size: the concrete function's signature takes it,
// so a call with another size is rejected before it runs (naming the argument, the dimension and
// both sizes) instead of reaching kernels planned for the known size.
#include "tapeflow/core/dim_unify.h"

#include <utility>
#include <vector>

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"

namespace tapeflow {
namespace {
thread_local DimUnifier* t_unifier = nullptr;
}

DimUnifier* set_dim_unifier(DimUnifier* u) noexcept { return std::exchange(t_unifier, u); }

bool unifying_dims() noexcept { return t_unifier != nullptr; }

int64_t unify_dims(int64_t a, int64_t b) {
  if (a == b) return a;
  if (!t_unifier || a == -1 || b == -1 || (a >= 0 && b >= 0)) return -1;
  if (a < -1 && b < -1) return t_unifier->unify(a, b);
  const int64_t unknown = a < 0 ? a : b, known = a < 0 ? b : a;
  return t_unifier->bind(unknown, known) ? known : -1;
}

bool dims_match(int64_t a, int64_t b) { return a == b || unify_dims(a, b) != -1; }

bool shapes_match(const Shape& a, const Shape& b) {
  if (a.rank() != b.rank()) return false;
  for (int d = 0; d < a.rank(); ++d)
    if (a[d] != b[d] && (!t_unifier || a[d] == -1 || b[d] == -1 || (a[d] >= 0 && b[d] >= 0))) return false;
  for (int d = 0; d < a.rank(); ++d)
    if (!dims_match(a[d], b[d])) return false;
  return true;
}

bool shape_is_bound(const Shape& s) {
  for (int64_t d : s.dims())
    if (d == -1 || (d < -1 && !t_unifier)) return false;
  return true;
}

Tensor element_count(const Tensor& t, DType dtype) {
  if (t.shape().is_fully_defined()) return scalar_tensor(Scalar(t.size()), dtype);
  return reduce_sum(ones_like(t, dtype));
}

Tensor dim_size(const Tensor& t, int axis, DType dtype) {
  if (t.shape()[axis] >= 0) return scalar_tensor(Scalar(t.shape()[axis]), dtype);
  // Count the elements of one line along `axis` (a view when the other dimensions are known and
  // non-empty), not of all of t: a training step pays for a batch-sized vector, not the batch.
  std::vector<Index> line;
  std::vector<int> others;
  bool viewable = true;
  for (int d = 0; d < t.ndim(); ++d) {
    if (d == axis) {
      line.push_back(Slice{});
      continue;
    }
    line.push_back(int64_t{0});
    others.push_back(d);
    viewable &= t.shape()[d] >= 1;
  }
  return element_count(viewable ? t[line] : reduce_sum(ones_like(t, dtype), others), dtype);
}

}  // namespace tapeflow
