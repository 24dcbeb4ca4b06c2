#include "tapeflow/nn/layers/merging.h"

#include <algorithm>
#include <set>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::keras::layers {

namespace {
std::string shapes_text(const std::vector<Shape>& shapes) {
  std::string out = "[";
  for (std::size_t i = 0; i < shapes.size(); ++i) out += (i ? ", " : "") + shapes[i].to_string();
  return out + "]";
}

Shape drop_batch(const Shape& s) {
  Shape out;
  for (int i = 1; i < s.rank(); ++i) out.push_back(s[i]);
  return out;
}

// Keras's _compute_elemwise_op_output_shape: trailing dimensions align; equal, 1 or unknown.
Shape elementwise_shape(const Shape& a, const Shape& b) {
  if (a.rank() < b.rank()) return elementwise_shape(b, a);
  Shape out;
  const int lead = a.rank() - b.rank();
  for (int i = 0; i < lead; ++i) out.push_back(a[i]);
  for (int i = 0; i < b.rank(); ++i) {
    const int64_t x = a[lead + i], y = b[i];
    if (x < 0 || y < 0)
      out.push_back(-1);
    else if (x == 1)
      out.push_back(y);
    else if (y == 1 || x == y)
      out.push_back(x);
    else
      TF_THROW(InvalidArgumentError, "", "Inputs have incompatible shapes. Received shapes ", a.to_string(), " and ",
               b.to_string());
  }
  return out;
}
}  // namespace

void Merge::build(const std::vector<Shape>& input_shapes) {
  TF_CHECK_ARG(!input_shapes.empty(), "",
               "A merge layer should be called on a list of at least 1 input. Received 0 inputs.");
  std::set<int64_t> batch_sizes;
  for (const Shape& s : input_shapes)
    if (s.rank() > 0 && s[0] >= 0) batch_sizes.insert(s[0]);
  TF_CHECK_ARG(batch_sizes.size() <= 1, "",
               "Cannot merge tensors with different batch sizes. Received tensors with shapes ",
               shapes_text(input_shapes));
  Shape out = drop_batch(input_shapes[0]);
  for (std::size_t i = 1; i < input_shapes.size(); ++i) out = elementwise_shape(out, drop_batch(input_shapes[i]));
}

Tensor Merge::call(const std::vector<Tensor>& inputs, bool) {
  TF_CHECK_ARG(!inputs.empty(), "", "A merge layer should be called on a list of at least 1 input. Received 0 inputs.");
  return merge(inputs);
}

Tensor Merge::call(const Tensor& inputs) {
  TF_THROW(InvalidArgumentError, "",
           "A merge layer should be called on a list of inputs. Received: input_shape=", inputs.shape().to_string(),
           " (not a list of shapes)");
}

namespace {
template <typename Op> Tensor fold(const std::vector<Tensor>& inputs, Op op) {
  Tensor out = inputs[0];
  for (std::size_t i = 1; i < inputs.size(); ++i) out = op(out, inputs[i]);
  return out;
}
}  // namespace

Tensor Add::merge(const std::vector<Tensor>& inputs) const {
  return fold(inputs, [](auto& a, auto& b) { return add(a, b); });
}

Tensor Subtract::merge(const std::vector<Tensor>& inputs) const {
  TF_CHECK_ARG(inputs.size() == 2, "",
               "A `Subtract` layer should be called on exactly 2 inputs. Received: inputs=", inputs.size(), " tensors");
  return subtract(inputs[0], inputs[1]);
}

Tensor Multiply::merge(const std::vector<Tensor>& inputs) const {
  return fold(inputs, [](auto& a, auto& b) { return multiply(a, b); });
}

Tensor Average::merge(const std::vector<Tensor>& inputs) const {
  Tensor sum = fold(inputs, [](auto& a, auto& b) { return add(a, b); });
  return sum / scalar_tensor(static_cast<double>(inputs.size()), sum.dtype());
}

Tensor Maximum::merge(const std::vector<Tensor>& inputs) const {
  return fold(inputs, [](auto& a, auto& b) { return maximum(a, b); });
}

Tensor Minimum::merge(const std::vector<Tensor>& inputs) const {
  return fold(inputs, [](auto& a, auto& b) { return minimum(a, b); });
}

Concatenate::Concatenate(ConcatenateOptions options)
    : Layer("concatenate", {.name = options.name}), axis_(options.axis) {}

void Concatenate::build(const std::vector<Shape>& input_shapes) {
  TF_CHECK_ARG(!input_shapes.empty(), "",
               "A `Concatenate` layer should be called on a list of at least 1 input. Received: input_shape=[]");
  const int rank = input_shapes[0].rank();
  bool ok = true;
  for (const Shape& s : input_shapes) ok = ok && s.rank() == rank;
  const int axis = axis_ < 0 ? axis_ + rank : axis_;
  ok = ok && axis >= 0 && axis < rank;
  for (int k = 0; ok && k < rank; ++k) {
    if (k == axis) continue;
    std::set<int64_t> dims;
    for (const Shape& s : input_shapes)
      if (s[k] >= 0) dims.insert(s[k]);
    ok = dims.size() <= 1;
  }
  TF_CHECK_ARG(ok, "",
               "A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. "
               "Received: input_shape=",
               shapes_text(input_shapes));
}

Tensor Concatenate::call(const std::vector<Tensor>& inputs, bool) {
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape());
  build(shapes);  // the shape check, for calls after the first too
  return inputs.size() == 1 ? inputs[0] : concat(inputs, axis_);
}

namespace {
void check_mask_count(const std::vector<Tensor>& inputs, const std::vector<std::optional<Tensor>>& masks) {
  TF_CHECK_ARG(masks.size() == inputs.size(), "",
               "The lists `inputs` and `mask` should have the same length. Received: inputs of length ", inputs.size(),
               ", and mask of length ", masks.size());
}
}  // namespace

std::optional<Tensor> Merge::compute_list_mask(const std::vector<Tensor>& inputs,
                                               const std::vector<std::optional<Tensor>>& masks) const {
  check_mask_count(inputs, masks);
  if (masks.empty() || std::any_of(masks.begin(), masks.end(), [](const auto& m) { return !m; })) return std::nullopt;
  Tensor out = *masks[0];
  for (std::size_t i = 1; i < masks.size(); ++i) out = logical_or(out, *masks[i]);
  return out;
}

Tensor Merge::call_list_masked(const std::vector<Tensor>& inputs, bool training,
                               const std::vector<std::optional<Tensor>>& masks) {
  check_mask_count(inputs, masks);
  const bool any_mask = std::any_of(masks.begin(), masks.end(), [](const auto& m) { return m.has_value(); });
  if (masked_ == MaskedMerge::kIgnore || !any_mask || inputs.empty()) return call(inputs, training);
  // Each mask (B, T) broadcast to its input's shape.
  const auto full = [&](std::size_t i) -> std::optional<Tensor> {
    if (!masks[i]) return std::nullopt;
    return logical_or(expand_dims(*masks[i], -1), zeros_like(inputs[i], DType::kBool));
  };
  if (masked_ == MaskedMerge::kIdentityOne) {  // Keras's Multiply._merge_function
    const bool all_masked = std::all_of(masks.begin(), masks.end(), [](const auto& m) { return m.has_value(); });
    std::optional<Tensor> output, output_mask;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      Tensor x = inputs[i];
      if (const std::optional<Tensor> m = full(i)) {
        x = where(*m, x, ones_like(x));
        if (all_masked) output_mask = output_mask ? logical_or(*output_mask, *m) : *m;
      }
      output = output ? merge({*output, x}) : x;
    }
    return all_masked ? where(*output_mask, *output, zeros_like(*output)) : *output;
  }
  // Keras's _apply_merge_op_and_or_mask (Maximum, Minimum).
  Tensor output = inputs[0];
  std::optional<Tensor> output_mask = full(0);
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    Tensor x = inputs[i];
    const std::optional<Tensor> m = full(i);
    if (m) x = where(*m, x, output);
    if (output_mask) output = where(*output_mask, output, x);
    output_mask = m && output_mask ? std::optional<Tensor>(logical_or(*output_mask, *m)) : std::nullopt;
    output = merge({output, x});
  }
  return output;
}

std::optional<Tensor> Concatenate::compute_list_mask(const std::vector<Tensor>& inputs,
                                                     const std::vector<std::optional<Tensor>>& masks) const {
  check_mask_count(inputs, masks);
  if (std::all_of(masks.begin(), masks.end(), [](const auto& m) { return !m; })) return std::nullopt;
  std::vector<Tensor> full;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor no = zeros_like(inputs[i], DType::kBool);
    if (!masks[i])
      full.push_back(logical_not(no));
    else if (masks[i]->ndim() < inputs[i].ndim())
      full.push_back(logical_or(expand_dims(*masks[i], -1), no));
    else
      full.push_back(*masks[i]);
  }
  return reduce_any(concat(full, axis_), -1);
}

Tensor Concatenate::call(const Tensor& inputs) {
  TF_THROW(
      InvalidArgumentError, "",
      "A `Concatenate` layer should be called on a list of inputs. Received: input_shape=", inputs.shape().to_string());
}

}  // namespace tapeflow::keras::layers
