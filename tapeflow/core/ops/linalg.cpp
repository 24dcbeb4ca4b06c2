// tf.matmul and tf.tensordot: argument checks with TF's messages and the output shape; the
// kernels are in kernels/<device>/linalg, the gradient rules in autograd/grads/linalg.cpp.
#include "tapeflow/core/ops/linalg.h"

#include <algorithm>
#include <numeric>

#include "tapeflow/core/dim_unify.h"
#include "tapeflow/core/ops/array_ops.h"

namespace tapeflow {
namespace ops {
OpDef MatMul{.name = "MatMul"}, BatchMatMulV2{.name = "BatchMatMulV2"};

void register_linalg_ops() {
  register_op(MatMul);
  register_op(BatchMatMulV2);
}

std::string MatMulAttrs::to_string() const {
  return std::string("transpose_a=") + (transpose_a ? "true" : "false") +
         ", transpose_b=" + (transpose_b ? "true" : "false");
}
}  // namespace ops

namespace {
bool matmul_dtype(DType dt) {
  switch (dt) {
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kFloat32:
    case DType::kFloat64:
    case DType::kInt32:
    case DType::kInt64: return true;
    default: return false;
  }
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, MatMulOptions options) {
  const bool batched = a.ndim() > 2 || b.ndim() > 2;
  const OpDef& op = batched ? ops::BatchMatMulV2 : ops::MatMul;
  TF_CHECK_ARG(!(options.transpose_a && options.adjoint_a), op.name,
               "Only one of transpose_a and adjoint_a can be True.");
  TF_CHECK_ARG(!(options.transpose_b && options.adjoint_b), op.name,
               "Only one of transpose_b and adjoint_b can be True.");
  TF_CHECK_ARG(a.ndim() >= 2, op.name, "In[0] ndims must be >= 2: ", a.ndim(), " (In[0]: ", a.shape().debug_string(),
               "); make a vector a matrix with tf::expand_dims");
  TF_CHECK_ARG(b.ndim() >= 2, op.name, "In[1] ndims must be >= 2: ", b.ndim(), " (In[1]: ", b.shape().debug_string(),
               ")");
  TF_CHECK_ARG(a.dtype() == b.dtype(), op.name, "cannot compute ", op.name,
               " as input #1(zero-based) was expected to be a ", dtype_name(a.dtype()), " tensor but is a ",
               dtype_name(b.dtype()), " tensor");
  TF_CHECK_ARG(matmul_dtype(a.dtype()), op.name, op.name, " is not defined for dtype ", dtype_name(a.dtype()),
               "; it needs float16, bfloat16, float32, float64, int32 or int64: use tf::cast");

  ops::MatMulAttrs attrs;
  attrs.transpose_a = options.transpose_a || options.adjoint_a;
  attrs.transpose_b = options.transpose_b || options.adjoint_b;
  const Shape &sa = a.shape(), &sb = b.shape();
  const int64_t m = attrs.transpose_a ? sa.dim(-1) : sa.dim(-2);
  const int64_t ka = attrs.transpose_a ? sa.dim(-2) : sa.dim(-1);
  const int64_t kb = attrs.transpose_b ? sb.dim(-1) : sb.dim(-2);
  const int64_t n = attrs.transpose_b ? sb.dim(-2) : sb.dim(-1);
  TF_CHECK_ARG(dims_match(ka, kb) || ka < 0 || kb < 0, op.name, "Matrix size-incompatible: In[0]: ", sa.debug_string(),
               ", In[1]: ", sb.debug_string(), " (", attrs.to_string(), ")");

  // Batch dimensions broadcast as NumPy's; the matrix dimensions come last.
  Shape batch_a(std::span<const int64_t>(sa.begin(), sa.end() - 2));
  Shape batch_b(std::span<const int64_t>(sb.begin(), sb.end() - 2));
  Shape out;
  const int nb = std::max(batch_a.rank(), batch_b.rank());
  for (int i = 0; i < nb; ++i) {
    int ia = i - (nb - batch_a.rank()), ib = i - (nb - batch_b.rank());
    int64_t da = ia >= 0 ? batch_a[ia] : 1, db = ib >= 0 ? batch_b[ib] : 1;
    TF_CHECK_ARG(da == db || da == 1 || db == 1 || da < 0 || db < 0, op.name,
                 "In[0] and In[1] must have compatible batch dimensions: ", sa.debug_string(), " vs. ",
                 sb.debug_string());
    out.push_back(da == 1 ? db : da);
  }
  out.push_back(m);
  out.push_back(n);
  const Tensor in[2] = {a, b};
  return dispatch1(op, in, &attrs, {std::move(out), a.dtype()});
}

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  return matmul(a, b, MatMulOptions{.transpose_a = transpose_a, .transpose_b = transpose_b});
}

Tensor tensordot(const Tensor& a, const Tensor& b, int axes) {
  TF_CHECK_ARG(axes >= 0, "Tensordot", "'axes' must be at least 0, got ", axes);
  TF_CHECK_ARG(axes <= a.ndim() && axes <= b.ndim(), "Tensordot", "'axes' must not be larger than the rank of a (",
               a.ndim(), ") or b (", b.ndim(), "), got ", axes);
  std::vector<int> a_axes, b_axes;
  for (int i = 0; i < axes; ++i) {
    a_axes.push_back(a.ndim() - axes + i);
    b_axes.push_back(i);
  }
  return tensordot(a, b, {a_axes, b_axes});
}

Tensor tensordot(const Tensor& a, const Tensor& b, const std::pair<std::vector<int>, std::vector<int>>& axes) {
  const auto& [a_axes_in, b_axes_in] = axes;
  TF_CHECK_ARG(a_axes_in.size() == b_axes_in.size(), "Tensordot", "Different number of contraction axes 'a' and 'b', ",
               a_axes_in.size(), " != ", b_axes_in.size());
  auto normalize = [](const std::vector<int>& in, const Tensor& t) {
    std::vector<int> out;
    for (int ax : in) {
      int n = normalize_axis("Tensordot", ax, t.ndim());
      TF_CHECK_ARG(std::find(out.begin(), out.end(), n) == out.end(), "Tensordot", "axis ", ax,
                   " is contracted more than once in a tensor of shape ", t.shape().to_string());
      out.push_back(n);
    }
    return out;
  };
  const std::vector<int> a_axes = normalize(a_axes_in, a), b_axes = normalize(b_axes_in, b);
  int64_t k = 1;
  for (std::size_t i = 0; i < a_axes.size(); ++i) {
    int64_t da = a.shape()[a_axes[i]], db = b.shape()[b_axes[i]];
    TF_CHECK_ARG(da == db, "Tensordot", "contracted dimensions must match: axis ", a_axes[i], " of a ",
                 a.shape().to_string(), " has size ", da, " but axis ", b_axes[i], " of b ", b.shape().to_string(),
                 " has size ", db);
    k *= da;
  }
  // a -> (free_a, contracted) and b -> (contracted, free_b), one matmul, then unflatten.
  auto free_axes = [](const std::vector<int>& contracted, int rank) {
    std::vector<int> out;
    for (int i = 0; i < rank; ++i)
      if (std::find(contracted.begin(), contracted.end(), i) == contracted.end()) out.push_back(i);
    return out;
  };
  const std::vector<int> a_free = free_axes(a_axes, a.ndim()), b_free = free_axes(b_axes, b.ndim());
  Shape out;
  int64_t m = 1, n = 1;
  for (int ax : a_free) {
    out.push_back(a.shape()[ax]);
    m *= a.shape()[ax];
  }
  for (int ax : b_free) {
    out.push_back(b.shape()[ax]);
    n *= b.shape()[ax];
  }
  auto concat_axes = [](std::vector<int> x, const std::vector<int>& y) {
    x.insert(x.end(), y.begin(), y.end());
    return x;
  };
  auto is_identity = [](const std::vector<int>& p) {
    for (std::size_t i = 0; i < p.size(); ++i)
      if (p[i] != static_cast<int>(i)) return false;
    return true;
  };
  // An operand already laid out as (contracted, free) for a, or (free, contracted) for b, is
  // reshaped as is and multiplied transposed, so a contiguous input is never copied.
  MatMulOptions options;
  Tensor a2, b2;
  if (is_identity(concat_axes(a_axes, a_free)) && !is_identity(concat_axes(a_free, a_axes))) {
    a2 = reshape(a, Shape{k, m});
    options.transpose_a = true;
  } else {
    std::vector<int> perm = concat_axes(a_free, a_axes);
    a2 = reshape(is_identity(perm) ? a : transpose(a, perm), Shape{m, k});
  }
  if (is_identity(concat_axes(b_free, b_axes)) && !is_identity(concat_axes(b_axes, b_free))) {
    b2 = reshape(b, Shape{n, k});
    options.transpose_b = true;
  } else {
    std::vector<int> perm = concat_axes(b_axes, b_free);
    b2 = reshape(is_identity(perm) ? b : transpose(b, perm), Shape{k, n});
  }
  return reshape(matmul(a2, b2, options), out);
}

}  // namespace tapeflow
