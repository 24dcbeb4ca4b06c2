// Shape ops: checks, output shapes, and the device-independent view kernels (reshape,
// transpose, expand_dims, squeeze, broadcast_to, identity, reverse) registered for every
// device. Copying ops (concat, tile, pad, gather, ...) have kernels in kernels/<device>/.
#include "tapeflow/core/ops/array_ops.h"

#include <algorithm>
#include <numeric>

#include "tapeflow/core/dim_unify.h"
#include "tapeflow/core/ops/creation.h"

namespace tapeflow {
namespace ops {
OpDef Reshape{.name = "Reshape", .placement = Placement::kFirstInput, .kernel_allocates_outputs = true},
    Transpose{.name = "Transpose", .placement = Placement::kFirstInput, .kernel_allocates_outputs = true},
    ExpandDims{.name = "ExpandDims", .placement = Placement::kFirstInput, .kernel_allocates_outputs = true},
    Squeeze{.name = "Squeeze", .placement = Placement::kFirstInput, .kernel_allocates_outputs = true},
    BroadcastTo{.name = "BroadcastTo", .placement = Placement::kFirstInput, .kernel_allocates_outputs = true},
    Identity{.name = "Identity", .placement = Placement::kFirstInput, .kernel_allocates_outputs = true},
    StridedSlice{.name = "StridedSlice", .placement = Placement::kFirstInput, .kernel_allocates_outputs = true},
    ReverseV2{.name = "ReverseV2", .placement = Placement::kFirstInput, .kernel_allocates_outputs = true},
    ConcatV2{.name = "ConcatV2"}, Pack{.name = "Pack"}, Tile{.name = "Tile"}, PadV2{.name = "PadV2"},
    MirrorPad{.name = "MirrorPad"}, GatherV2{.name = "GatherV2"}, GatherNd{.name = "GatherNd"},
    OneHot{.name = "OneHot"}, StridedSliceGrad{.name = "StridedSliceGrad"},
    UnsortedSegmentSum{.name = "UnsortedSegmentSum"};

StridedSliceAttrs::Dim resolve_slice(int input_axis, int64_t n, std::optional<int64_t> start,
                                     std::optional<int64_t> stop, int64_t step) {
  int64_t begin, end;
  if (step > 0) {
    begin = start ? (*start < 0 ? *start + n : *start) : 0;
    end = stop ? (*stop < 0 ? *stop + n : *stop) : n;
    begin = std::clamp<int64_t>(begin, 0, n);
    end = std::clamp<int64_t>(end, 0, n);
  } else {
    begin = start ? (*start < 0 ? *start + n : *start) : n - 1;
    end = stop ? (*stop < 0 ? *stop + n : *stop) : -1;
    begin = std::clamp<int64_t>(begin, -1, n - 1);
    end = std::clamp<int64_t>(end, -1, n - 1);
  }
  // In unsigned arithmetic: a step of INT64_MAX or INT64_MIN must not overflow (-step, or
  // span + step - 1). A slice of at most one element takes step +-1: its stride is never used,
  // and step * stride could overflow in the view.
  const int64_t span = step > 0 ? end - begin : begin - end;  // within [-n - 1, n + 1]
  const uint64_t abs_step = step > 0 ? static_cast<uint64_t>(step) : uint64_t{0} - static_cast<uint64_t>(step);
  const int64_t size = span > 0 ? static_cast<int64_t>(1 + (static_cast<uint64_t>(span) - 1) / abs_step) : 0;
  if (size <= 1) step = step > 0 ? 1 : -1;
  return {input_axis, size > 0 ? begin : 0, step, size};
}

Tensor strided_slice_grad(const Tensor& grad, const Shape& input_shape, const StridedSliceAttrs& attrs) {
  // Its kernels replay the forward slice on the input's shape: a slice of an unknown (None)
  // dimension is resolved there against the call's size, as in the forward.
  SliceGradAttrs a;
  a.input_shape = input_shape;
  a.slice = std::shared_ptr<const OpAttrs>(attrs.clone());
  return dispatch1(StridedSliceGrad, std::span<const Tensor>(&grad, 1), &a, {input_shape, grad.dtype()});
}

namespace {
Tensor view_of(const Tensor& x, Shape shape, DimVector strides, int64_t offset) {
  return detail::make_view(x.storage(), std::move(shape), std::move(strides), offset, x.dtype(), x.device());
}

void reshape_kernel(KernelContext& ctx) {
  Tensor c = ctx.input(0).contiguous();
  // The spec, not the attribute: in a graph traced with None dimensions it holds this call's
  // sizes, with -1 where only the input's size decides (checked here, as TF's kernel does).
  Shape s = ctx.specs[0].shape;
  int64_t known = 1;
  int unknown = -1;
  for (int d = 0; d < s.rank(); ++d) {
    if (s[d] < 0)
      unknown = d;
    else
      known *= s[d];
  }
  if (unknown >= 0) {
    TF_CHECK_ARG(known > 0 ? c.size() % known == 0 : c.size() == 0, "Reshape", "Input to reshape is a tensor with ",
                 c.size(), " values, but the requested shape requires a multiple of ", known);
    s[unknown] = known > 0 ? c.size() / known : 0;
  }
  TF_CHECK_ARG(s.num_elements() == c.size(), "Reshape", "Input to reshape is a tensor with ", c.size(),
               " values, but the requested shape has ", s.num_elements());
  ctx.outputs.push_back(view_of(c, s, contiguous_strides(s), c.offset()));
}
void transpose_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto& perm = ctx.attr<TransposeAttrs>().perm;
  Shape s;
  DimVector st;
  for (int p : perm) {
    s.push_back(x.shape()[p]);
    st.push_back(x.strides()[static_cast<std::size_t>(p)]);
  }
  ctx.outputs.push_back(view_of(x, std::move(s), std::move(st), x.offset()));
}
// ExpandDims / Squeeze only add or drop size-1 axes, whose strides never matter: keep the other
// axes' strides, so the result is a view even of a non-contiguous input.
// The spec, not the attribute (as reshape_kernel): traced with None dimensions, it holds this
// call's sizes where the attribute holds the trace's placeholders.
const Shape& view_shape(const KernelContext& ctx) {
  const Shape& s = ctx.specs[0].shape;
  TF_CHECK_TYPED(s.is_fully_defined(), InternalError, ctx.op.name, ctx.op.name, "'s output shape ", s.to_string(),
                 " is unknown when it runs");
  return s;
}
void unit_axes_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Shape& s = view_shape(ctx);
  // The non-1 axes appear in the same order in input and output; size-1 axes take any stride.
  DimVector kept;
  for (int i = 0; i < x.ndim(); ++i)
    if (x.shape()[i] != 1) kept.push_back(x.strides()[static_cast<std::size_t>(i)]);
  DimVector st;
  std::size_t j = 0;
  for (int i = 0; i < s.rank(); ++i) st.push_back(s[i] == 1 ? 0 : kept[j++]);
  ctx.outputs.push_back(view_of(x, s, std::move(st), x.offset()));
}
void broadcast_to_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Shape& s = view_shape(ctx);
  DimVector st(static_cast<std::size_t>(s.rank()), 0);
  for (int i = 0; i < x.ndim(); ++i) {
    int o = s.rank() - x.ndim() + i;
    st[static_cast<std::size_t>(o)] = x.shape()[i] == 1 ? 0 : x.strides()[static_cast<std::size_t>(i)];
  }
  ctx.outputs.push_back(view_of(x, s, std::move(st), x.offset()));
}
void identity_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  ctx.outputs.push_back(view_of(x, x.shape(), x.strides(), x.offset()));
}
void strided_slice_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto& a = ctx.attr<StridedSliceAttrs>();
  int64_t offset = x.offset();
  for (auto [axis, index] : a.fixed) offset += index * x.strides()[static_cast<std::size_t>(axis)];
  Shape s;
  DimVector st;
  for (const StridedSliceAttrs::Dim& traced : a.dims) {
    // A slice of an unknown (None) dimension of a trace takes this call's size of the input
    // (in StridedSliceGrad's nested call, the gradient's shape, the forward's input).
    const StridedSliceAttrs::Dim d =
        traced.size < 0 && traced.input_axis >= 0
            ? resolve_slice(traced.input_axis, x.shape()[traced.input_axis], traced.start, traced.stop, traced.step)
            : traced;
    TF_CHECK_TYPED(d.size >= 0, InternalError, "StridedSlice", "a StridedSlice size is unknown when it runs");
    s.push_back(d.size);
    if (d.input_axis < 0) {
      st.push_back(0);
    } else {
      int64_t stride = x.strides()[static_cast<std::size_t>(d.input_axis)];
      if (d.size > 0) offset += d.begin * stride;
      st.push_back(stride * d.step);
    }
  }
  ctx.outputs.push_back(view_of(x, std::move(s), std::move(st), offset));
}
void reverse_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  DimVector st = x.strides();
  int64_t offset = x.offset();
  for (int ax : ctx.attr<ReverseAttrs>().axes) {
    if (x.shape()[ax] > 0) offset += (x.shape()[ax] - 1) * st[static_cast<std::size_t>(ax)];
    st[static_cast<std::size_t>(ax)] = -st[static_cast<std::size_t>(ax)];
  }
  ctx.outputs.push_back(view_of(x, x.shape(), std::move(st), offset));
}
}  // namespace

void register_array_ops() {
  for (OpDef* op :
       {&Reshape, &Transpose, &ExpandDims, &Squeeze, &BroadcastTo, &Identity, &StridedSlice, &ReverseV2, &ConcatV2,
        &Pack, &Tile, &PadV2, &MirrorPad, &GatherV2, &GatherNd, &OneHot, &StridedSliceGrad, &UnsortedSegmentSum})
    register_op(*op);
  // View ops only rearrange geometry: one kernel serves every device.
  for (DeviceType d : {DeviceType::kCPU, DeviceType::kGPU}) {
    register_kernel(Reshape, d, reshape_kernel);
    register_kernel(Transpose, d, transpose_kernel);
    register_kernel(ExpandDims, d, unit_axes_kernel);
    register_kernel(Squeeze, d, unit_axes_kernel);
    register_kernel(BroadcastTo, d, broadcast_to_kernel);
    register_kernel(Identity, d, identity_kernel);
    register_kernel(StridedSlice, d, strided_slice_kernel);
    register_kernel(ReverseV2, d, reverse_kernel);
  }
}
}  // namespace ops

namespace {
// Shape arithmetic that TF does in checked int64 (TensorShape): a wrapped dimension would be a
// silently wrong shape, or a negative one that fails later with a confusing message.
int64_t checked_mul(const char* op, int64_t a, int64_t b) {
  int64_t r;
  TF_CHECK_ARG(!__builtin_mul_overflow(a, b, &r), op, "Encountered overflow when multiplying ", a, " with ", b,
               ", result: -1");
  return r;
}
int64_t checked_add(const char* op, int64_t a, int64_t b) {
  int64_t r;
  TF_CHECK_ARG(!__builtin_add_overflow(a, b, &r), op, "Encountered overflow when adding ", a, " and ", b,
               ": the dimension would exceed 2^63 - 1");
  return r;
}

Tensor view_op(const OpDef& op, const Tensor& x, const OpAttrs& attrs, const Shape& out) {
  return dispatch1(op, std::span<const Tensor>(&x, 1), &attrs, {out, x.dtype()});
}
}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  int64_t known = 1;
  int unknown = -1;
  bool symbolic = false;  // the shape holds unknown dimensions of the trace (a gradient's keepdims shape)
  for (int i = 0; i < shape.rank(); ++i) {
    if (shape[i] == -1) {
      TF_CHECK_ARG(unknown < 0, "Reshape", "Only one input size may be -1, not both ", unknown, " and ", i);
      unknown = i;
    } else if (shape[i] < -1 && unifying_dims()) {
      symbolic = true;
    } else {
      TF_CHECK_ARG(shape[i] >= 0, "Reshape", "Size ", i, " must be non-negative, not ", shape[i]);
      known = checked_mul("Reshape", known, shape[i]);
    }
  }
  const int64_t n = x.size();
  Shape out = shape;
  if (!x.shape().is_fully_defined() || symbolic) {
    // Traced with None dimensions (TF's shape function): x's unknown dimensions that the shape
    // keeps cancel out; -1 is then the rest of x's known part, or the one unknown dimension left
    // with the same known part (a flatten keeps the batch); any other -1 stays unknown. The
    // kernel checks the sizes at run time.
    if (unknown >= 0) {
      int64_t known_x = 1, unknown_dim = -1;
      int unknowns = 0;
      for (int64_t d : x.shape()) {
        if (d >= 0) {
          known_x *= d;
        } else if (d == -1 || std::find(shape.begin(), shape.end(), d) == shape.end()) {
          ++unknowns;
          unknown_dim = d;
        }
      }
      if (unknowns == 0 && known > 0 && known_x % known == 0)
        out[unknown] = known_x / known;
      else
        out[unknown] = unknowns == 1 && known_x == known ? unknown_dim : -1;
    }
  } else if (unknown >= 0) {
    TF_CHECK_ARG(known > 0 ? n % known == 0 : n == 0, "Reshape", "Input to reshape is a tensor with ", n,
                 " values, but the requested shape requires a multiple of ", known);
    out[unknown] = known > 0 ? n / known : 0;
  } else {
    TF_CHECK_ARG(known == n, "Reshape", "Input to reshape is a tensor with ", n,
                 " values, but the requested shape has ", known);
  }
  ops::ShapeAttrs attrs;
  attrs.shape = out;
  return view_op(ops::Reshape, x, attrs, out);
}

Tensor transpose(const Tensor& x, std::vector<int> perm) {
  const int r = x.ndim();
  if (perm.empty())
    for (int i = r - 1; i >= 0; --i) perm.push_back(i);
  TF_CHECK_ARG(static_cast<int>(perm.size()) == r, "Transpose", "transpose expects a vector of size ", r,
               ". But input(1) is a vector of size ", perm.size());
  std::vector<bool> seen(static_cast<std::size_t>(r), false);
  ops::TransposeAttrs attrs;
  Shape out;
  for (int p : perm) {
    TF_CHECK_ARG(p >= -r && p < r, "Transpose", p, " is out of range [0 .. ", r, ")");
    int q = p < 0 ? p + r : p;
    TF_CHECK_ARG(!seen[static_cast<std::size_t>(q)], "Transpose", q, " is duplicated in the input.");
    seen[static_cast<std::size_t>(q)] = true;
    attrs.perm.push_back(q);
    out.push_back(x.shape()[q]);
  }
  return view_op(ops::Transpose, x, attrs, out);
}

Tensor expand_dims(const Tensor& x, int axis) {
  const int r = x.ndim();
  TF_CHECK_ARG(axis >= -r - 1 && axis <= r, "ExpandDims", "Tried to expand dim index ", axis, " for tensor with ", r,
               " dimensions.");
  int a = axis < 0 ? axis + r + 1 : axis;
  DimVector d(x.shape().dims());
  d.insert(d.begin() + a, 1);
  ops::ShapeAttrs attrs;
  attrs.shape = Shape(d);
  return view_op(ops::ExpandDims, x, attrs, attrs.shape);
}

Tensor squeeze(const Tensor& x, std::vector<int> axis) {
  const int r = x.ndim();
  std::vector<bool> drop(static_cast<std::size_t>(r), false);
  if (axis.empty()) {
    for (int i = 0; i < r; ++i) drop[static_cast<std::size_t>(i)] = x.shape()[i] == 1;
  } else {
    for (int a : axis) {
      int q = normalize_axis("Squeeze", a, r);
      TF_CHECK_ARG(x.shape()[q] == 1, "Squeeze", "Can not squeeze dim[", q, "], expected a dimension of 1, got ",
                   x.shape()[q]);
      drop[static_cast<std::size_t>(q)] = true;
    }
  }
  Shape out;
  for (int i = 0; i < r; ++i)
    if (!drop[static_cast<std::size_t>(i)]) out.push_back(x.shape()[i]);
  ops::ShapeAttrs attrs;
  attrs.shape = out;
  return view_op(ops::Squeeze, x, attrs, out);
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  TF_CHECK_ARG(shape.rank() >= x.ndim(), "BroadcastTo", "Rank of input (", x.ndim(),
               ") must be no greater than rank of output shape (", shape.rank(), ").");
  for (int i = 0; i < x.ndim(); ++i) {
    int64_t d = x.shape()[i], o = shape[shape.rank() - x.ndim() + i];
    TF_CHECK_ARG(d == 1 || dims_match(d, o), "BroadcastTo", "Incompatible shapes: ", x.shape().to_string(), " vs. ",
                 shape.to_string());
  }
  ops::ShapeAttrs attrs;
  attrs.shape = shape;
  return view_op(ops::BroadcastTo, x, attrs, shape);
}

Tensor identity(const Tensor& x) {
  ops::ShapeAttrs attrs;
  attrs.shape = x.shape();
  return view_op(ops::Identity, x, attrs, x.shape());
}

Tensor reverse(const Tensor& x, const std::vector<int>& axis) {
  ops::ReverseAttrs attrs;
  for (int a : axis) {
    int q = normalize_axis("ReverseV2", a, x.ndim());
    TF_CHECK_ARG(std::find(attrs.axes.begin(), attrs.axes.end(), q) == attrs.axes.end(), "ReverseV2", "axis ", q,
                 " specified more than once.");
    attrs.axes.push_back(q);
  }
  return view_op(ops::ReverseV2, x, attrs, x.shape());
}

Tensor concat(const std::vector<Tensor>& values, int axis) {
  TF_CHECK_ARG(!values.empty(), "ConcatV2", "concat needs at least one tensor");
  const Tensor& first = values[0];
  const int r = first.ndim();
  TF_CHECK_ARG(r > 0, "ConcatV2", "Can't concatenate scalars (use tf::stack instead)");
  int a = normalize_axis("ConcatV2", axis, r);
  Shape out = first.shape();
  out[a] = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const Tensor& v = values[i];
    TF_CHECK_ARG(v.dtype() == first.dtype(), "ConcatV2", "All tensors must have the same dtype: values[0] is ",
                 dtype_name(first.dtype()), " but values[", i, "] is ", dtype_name(v.dtype()));
    TF_CHECK_ARG(v.ndim() == r, "ConcatV2",
                 "Ranks of all input tensors should match: shape[0] = ", first.shape().to_string(), " vs. shape[", i,
                 "] = ", v.shape().to_string());
    for (int d = 0; d < r; ++d)
      TF_CHECK_ARG(d == a || dims_match(v.shape()[d], first.shape()[d]), "ConcatV2", "Dimension ", d,
                   " in both shapes must be equal: shape[0] = ", first.shape().to_string(), " vs. shape[", i,
                   "] = ", v.shape().to_string());
    out[a] = checked_add("ConcatV2", out[a], v.shape()[a]);
  }
  ops::AxisAttrs attrs;
  attrs.axis = a;
  return dispatch1(ops::ConcatV2, std::span<const Tensor>(values.data(), values.size()), &attrs, {out, first.dtype()});
}

Tensor stack(const std::vector<Tensor>& values, int axis) {
  TF_CHECK_ARG(!values.empty(), "Pack", "stack needs at least one tensor");
  const int r = values[0].ndim();
  TF_CHECK_ARG(axis >= -r - 1 && axis <= r, "Pack", "axis = ", axis, " not in [", -r - 1, ", ", r + 1, ")");
  for (std::size_t i = 1; i < values.size(); ++i)
    TF_CHECK_ARG(shapes_match(values[i].shape(), values[0].shape()), "Pack",
                 "Shapes of all inputs must match: values[0].shape = ", values[0].shape().to_string(), " != values[", i,
                 "].shape = ", values[i].shape().to_string());
  std::vector<Tensor> expanded;
  for (const Tensor& v : values) expanded.push_back(expand_dims(v, axis));
  return concat(expanded, axis < 0 ? axis + r + 1 : axis);
}

std::vector<Tensor> unstack(const Tensor& x, int axis) {
  int a = normalize_axis("Unpack", axis, x.ndim());
  std::vector<Tensor> out;
  for (int64_t i = 0; i < x.shape()[a]; ++i) {
    std::vector<Index> idx(static_cast<std::size_t>(a), Index(all));
    idx.emplace_back(i);
    out.push_back(x[idx]);
  }
  return out;
}

std::vector<Tensor> split(const Tensor& x, std::variant<int, std::vector<int64_t>> num_or_size_splits, int axis) {
  int a = normalize_axis("SplitV", axis, x.ndim());
  const int64_t n = x.shape()[a];
  std::vector<int64_t> sizes;
  if (auto* num = std::get_if<int>(&num_or_size_splits)) {
    TF_CHECK_ARG(*num > 0 && n % *num == 0, "Split",
                 "Number of ways to split should evenly divide the split dimension, but got split_dim ", a,
                 " (size = ", n, ") and num_split ", *num);
    sizes.assign(static_cast<std::size_t>(*num), n / *num);
  } else {
    sizes = std::get<std::vector<int64_t>>(num_or_size_splits);
    int64_t known = 0;
    int unknown = -1;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] == -1) {
        TF_CHECK_ARG(unknown < 0, "SplitV", "There can only be one -1 in the input.");
        unknown = static_cast<int>(i);
      } else {
        TF_CHECK_ARG(sizes[i] >= 0, "SplitV", "Split size at index ", i, " must be >= 0. Got: ", sizes[i]);
        known += sizes[i];
      }
    }
    if (unknown >= 0) {
      TF_CHECK_ARG(known <= n, "SplitV",
                   "Determined shape must either match input shape along split_dim exactly if fully specified, or be "
                   "less than the size of the input along split_dim if not fully specified.  Got: ",
                   known);
      sizes[static_cast<std::size_t>(unknown)] = n - known;
    } else {
      TF_CHECK_ARG(known == n, "SplitV",
                   "Determined shape must either match input shape along split_dim exactly if fully specified, or be "
                   "less than the size of the input along split_dim if not fully specified.  Got: ",
                   known);
    }
  }
  std::vector<Tensor> out;
  int64_t start = 0;
  for (int64_t s : sizes) {
    std::vector<Index> idx(static_cast<std::size_t>(a), Index(all));
    idx.emplace_back(slice(start, start + s));
    out.push_back(x[idx]);
    start += s;
  }
  return out;
}

Tensor tile(const Tensor& x, const std::vector<int64_t>& multiples) {
  TF_CHECK_ARG(static_cast<int>(multiples.size()) == x.ndim(), "Tile",
               "Expected multiples argument to be a vector of length ", x.ndim(), " but got length ", multiples.size());
  Shape out;
  for (int i = 0; i < x.ndim(); ++i) {
    TF_CHECK_ARG(multiples[static_cast<std::size_t>(i)] >= 0, "Tile", "Expected multiples[", i, "] >= 0, but got ",
                 multiples[static_cast<std::size_t>(i)]);
    out.push_back(checked_mul("Tile", x.shape()[i], multiples[static_cast<std::size_t>(i)]));
  }
  ops::TileAttrs attrs;
  attrs.multiples = multiples;
  return dispatch1(ops::Tile, std::span<const Tensor>(&x, 1), &attrs, {out, x.dtype()});
}

Tensor pad(const Tensor& x, const std::vector<std::pair<int64_t, int64_t>>& paddings, const std::string& mode,
           Scalar constant_values) {
  TF_CHECK_ARG(static_cast<int>(paddings.size()) == x.ndim(), "PadV2",
               "The first dimension of paddings must be the rank of inputs[", paddings.size(), ",2], ",
               x.shape().to_string());
  TF_CHECK_ARG(constant_values.fits(x.dtype()), "PadV2", "Cannot convert ", constant_values.to_string(),
               " to EagerTensor of dtype ", dtype_name(x.dtype()), " (constant_values)");
  ops::PadAttrs attrs;
  attrs.paddings = paddings;
  attrs.constant_value = constant_values;
  std::string m = mode;
  std::transform(m.begin(), m.end(), m.begin(), ::toupper);
  TF_CHECK_ARG(m == "CONSTANT" || m == "REFLECT" || m == "SYMMETRIC", "PadV2", "Unknown padding mode: ", mode,
               " (expected CONSTANT, REFLECT or SYMMETRIC)");
  attrs.mode = m == "CONSTANT" ? 0 : m == "REFLECT" ? 1 : 2;
  Shape out;
  for (int i = 0; i < x.ndim(); ++i) {
    auto [b, e] = paddings[static_cast<std::size_t>(i)];
    TF_CHECK_ARG(b >= 0 && e >= 0, "PadV2", "Paddings must be non-negative: ", b, " ", e);
    if (attrs.mode != 0) {
      int64_t limit = x.shape()[i] - (attrs.mode == 1 ? 1 : 0);
      TF_CHECK_ARG(b <= limit && e <= limit, "MirrorPad", "paddings must be no greater than the dimension size: ", b,
                   ", ", e, " greater than ", limit);
    }
    out.push_back(checked_add("PadV2", checked_add("PadV2", x.shape()[i], b), e));
  }
  return dispatch1(attrs.mode == 0 ? ops::PadV2 : ops::MirrorPad, std::span<const Tensor>(&x, 1), &attrs,
                   {out, x.dtype()});
}

Tensor gather(const Tensor& params, const Tensor& indices, int axis, int batch_dims) {
  TF_CHECK_ARG(indices.dtype() == DType::kInt32 || indices.dtype() == DType::kInt64, "GatherV2",
               "indices must be int32 or int64, got ", dtype_name(indices.dtype()));
  TF_CHECK_ARG(params.ndim() >= 1, "GatherV2", "params must be at least 1 dimensional");
  int bd = batch_dims < 0 ? batch_dims + indices.ndim() : batch_dims;
  TF_CHECK_ARG(bd >= 0 && bd <= indices.ndim(), "GatherV2", "batch_dims (", batch_dims, ") must be in range [",
               -indices.ndim(), ", ", indices.ndim(), "]");
  int a = normalize_axis("GatherV2", axis, params.ndim());
  TF_CHECK_ARG(a >= bd, "GatherV2", "batch_dims (", bd, ") must be less than or equal to axis (", a, ")");
  for (int i = 0; i < bd; ++i)
    TF_CHECK_ARG(dims_match(params.shape()[i], indices.shape()[i]), "GatherV2", "params.shape[", i,
                 "]: ", params.shape()[i], " should be equal to indices.shape[", i, "]: ", indices.shape()[i]);
  Shape out;
  for (int i = 0; i < a; ++i) out.push_back(params.shape()[i]);
  for (int i = bd; i < indices.ndim(); ++i) out.push_back(indices.shape()[i]);
  for (int i = a + 1; i < params.ndim(); ++i) out.push_back(params.shape()[i]);
  ops::AxisAttrs attrs;
  attrs.axis = a;
  attrs.batch_dims = bd;
  const Tensor in[2] = {params, indices};
  return dispatch1(ops::GatherV2, in, &attrs, {out, params.dtype()});
}

Tensor gather_nd(const Tensor& params, const Tensor& indices) {
  TF_CHECK_ARG(indices.dtype() == DType::kInt32 || indices.dtype() == DType::kInt64, "GatherNd",
               "indices must be int32 or int64, got ", dtype_name(indices.dtype()));
  TF_CHECK_ARG(indices.ndim() >= 1, "GatherNd", "indices must be at least a vector, got shape ",
               indices.shape().to_string());
  int64_t k = indices.shape().dim(-1);
  TF_CHECK_ARG(k <= params.ndim(), "GatherNd", "index innermost dimension length must be <= params rank; saw: ", k,
               " vs. ", params.ndim());
  Shape out;
  for (int i = 0; i + 1 < indices.ndim(); ++i) out.push_back(indices.shape()[i]);
  for (int i = static_cast<int>(k); i < params.ndim(); ++i) out.push_back(params.shape()[i]);
  const Tensor in[2] = {params, indices};
  return dispatch1(ops::GatherNd, in, nullptr, {out, params.dtype()});
}

Tensor unsorted_segment_sum(const Tensor& data, const Tensor& segment_ids, int64_t num_segments) {
  TF_CHECK_ARG(segment_ids.dtype() == DType::kInt32 || segment_ids.dtype() == DType::kInt64, "UnsortedSegmentSum",
               "segment_ids must be int32 or int64, got ", dtype_name(segment_ids.dtype()));
  TF_CHECK_ARG(is_numeric(data.dtype()), "UnsortedSegmentSum", "data must be numeric, got ", dtype_name(data.dtype()));
  TF_CHECK_ARG(num_segments >= 0, "UnsortedSegmentSum", "num_segments must be non-negative, got ", num_segments);
  const int k = segment_ids.ndim();
  TF_CHECK_ARG(k <= data.ndim(), "UnsortedSegmentSum", "segment_ids.shape ", segment_ids.shape().to_string(),
               " must be a prefix of data.shape ", data.shape().to_string());
  for (int i = 0; i < k; ++i)
    TF_CHECK_ARG(segment_ids.shape()[i] == data.shape()[i], "UnsortedSegmentSum", "segment_ids.shape ",
                 segment_ids.shape().to_string(), " must be a prefix of data.shape ", data.shape().to_string());
  Shape out{num_segments};
  for (int i = k; i < data.ndim(); ++i) out.push_back(data.shape()[i]);
  const Tensor in[2] = {data, segment_ids};
  return dispatch1(ops::UnsortedSegmentSum, in, nullptr, {out, data.dtype()});
}

Tensor one_hot(const Tensor& indices, int64_t depth, Scalar on_value, Scalar off_value, int axis, DType dtype) {
  TF_CHECK_ARG(indices.dtype() == DType::kInt32 || indices.dtype() == DType::kInt64 || indices.dtype() == DType::kUInt8,
               "OneHot", "indices must be uint8, int32 or int64, got ", dtype_name(indices.dtype()));
  TF_CHECK_ARG(depth >= 0, "OneHot", "depth must be non-negative, got: ", depth);
  const int r = indices.ndim();
  TF_CHECK_ARG(axis >= -1 && axis <= r, "OneHot", "Expected axis to be -1 or between [0, ", r,
               "].  But received: ", axis);
  int a = axis == -1 ? r : axis;
  DimVector d(indices.shape().dims());
  d.insert(d.begin() + a, depth);
  ops::OneHotAttrs attrs;
  attrs.depth = depth;
  attrs.axis = a;
  // The values become elements of `dtype`: one that does not fit would be truncated silently.
  for (const Scalar* v : {&on_value, &off_value})
    TF_CHECK_ARG(v->fits(dtype), "OneHot", "Cannot convert ", v->to_string(), " to EagerTensor of dtype ",
                 dtype_name(dtype));
  attrs.on = on_value;
  attrs.off = off_value;
  return dispatch1(ops::OneHot, std::span<const Tensor>(&indices, 1), &attrs, {Shape(d), dtype});
}

}  // namespace tapeflow
