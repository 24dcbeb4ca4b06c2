#include "tapeflow/nn/layers/preprocessing.h"

#include <algorithm>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/batch_norm.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/nn/data/dataset.h"

namespace tapeflow::keras::layers {

Rescaling::Rescaling(double scale, RescalingOptions options)
    : Layer("rescaling", {.name = options.name}), scale_(scale), options_(std::move(options)) {
  TF_CHECK_ARG(is_floating(options_.dtype), "Rescaling", "dtype must be a floating type, got ",
               dtype_name(options_.dtype));
}

Tensor Rescaling::call(const Tensor& inputs) {
  const Tensor x = inputs.dtype() == options_.dtype ? inputs : cast(inputs, options_.dtype);
  return x * scale_ + options_.offset;
}

Normalization::Normalization(NormalizationOptions options)
    : Layer("normalization", {.name = options.name}), options_(std::move(options)) {
  TF_CHECK_ARG(options_.mean.has_value() == options_.variance.has_value(), "Normalization",
               "When setting values directly, both `mean` and `variance` must be set. Received: mean=",
               options_.mean ? "set" : "None", " and variance=", options_.variance ? "set" : "None");
}

void Normalization::build(const Shape& input_shape) {
  const int ndim = input_shape.rank();
  Built& b = *built_;
  b.keep.clear();
  b.reduce.clear();
  for (int a : options_.axis) {
    if (a < -ndim || a >= ndim)
      TF_THROW(InvalidArgumentError, "", "Layer \"", name(),
               "\" (Normalization): all `axis` values must be in the range [-ndim, ndim). Received inputs with ndim=",
               ndim, ", while axis=", a);
    b.keep.push_back(a < 0 ? a + ndim : a);
  }
  std::sort(b.keep.begin(), b.keep.end());
  b.keep.erase(std::unique(b.keep.begin(), b.keep.end()), b.keep.end());
  std::vector<int64_t> stat_shape, bshape(std::size_t(ndim), 1);
  for (int d = 0; d < ndim; ++d) {
    if (std::find(b.keep.begin(), b.keep.end(), d) == b.keep.end()) {
      b.reduce.push_back(d);
      continue;
    }
    if (input_shape[d] < 0)
      TF_THROW(InvalidArgumentError, "", "Layer \"", name(),
               "\" (Normalization): all `axis` values to be kept must have a known shape. Received axis=", d - ndim,
               ", inputs.shape=", input_shape.to_string());
    stat_shape.push_back(input_shape[d]);
    bshape[std::size_t(d)] = input_shape[d];
  }
  b.input_shape = input_shape;
  b.broadcast_shape = Shape(bshape);
  if (!options_.mean) {
    // Keras's attributes adapt_mean / adapt_variance / count (its TF checkpoints' names) hold
    // the weights named mean / variance / count.
    const Shape ss(stat_shape);
    track("adapt_mean", Variable(zeros(ss, DType::kFloat32), {.name = "mean", .trainable = false}));
    track("adapt_variance", Variable(ones(ss, DType::kFloat32), {.name = "variance", .trainable = false}));
    track("count", Variable(zeros({}, DType::kInt64), {.name = "count", .trainable = false}));
    return;
  }
  // Keras's expansion of given statistics: their axes are the last kept ones.
  auto expand = [&](const Tensor& t, const char* what) {
    Tensor v = cast(t, DType::kFloat32);
    if (v.ndim() > 0) {
      TF_CHECK_ARG(v.ndim() <= int(b.keep.size()), "", "Layer \"", name(), "\" (Normalization): `", what, "` of shape ",
                   v.shape().to_string(), " has more axes than the kept axes of inputs of shape ",
                   input_shape.to_string());
      std::vector<int64_t> expanded(std::size_t(ndim), 1);
      for (int i = 1; i <= v.ndim(); ++i) expanded[std::size_t(b.keep[b.keep.size() - i])] = v.shape().dim(-i);
      v = reshape(v, Shape(expanded));
    }
    return broadcast_to(v, b.broadcast_shape);
  };
  b.fixed_mean = expand(*options_.mean, "mean");
  b.fixed_variance = expand(*options_.variance, "variance");
}

Tensor Normalization::mean() const {
  TF_CHECK_TYPED(built(), FailedPreconditionError, "", "Layer \"", name(),
                 "\" (Normalization): you must call `.build(input_shape)` or `adapt` on the layer before using it.");
  if (options_.mean) return built_->fixed_mean;
  return reshape(tracked_variable("adapt_mean").read_value(), built_->broadcast_shape);
}

Tensor Normalization::variance() const {
  TF_CHECK_TYPED(built(), FailedPreconditionError, "", "Layer \"", name(),
                 "\" (Normalization): you must call `.build(input_shape)` or `adapt` on the layer before using it.");
  if (options_.mean) return built_->fixed_variance;
  return reshape(tracked_variable("adapt_variance").read_value(), built_->broadcast_shape);
}

void Normalization::check_built_for(const Shape& shape, const char* what) const {
  const Built& b = *built_;
  bool ok = shape.rank() == b.input_shape.rank();
  for (int d : b.keep) ok = ok && shape[d] == b.input_shape[d];
  if (!ok)
    TF_THROW(InvalidArgumentError, "", "Layer \"", name(),
             "\" (Normalization) was built with input_shape=", b.input_shape.to_string(), ", but ", what,
             " has an incompatible shape ", shape.to_string());
}

Tensor Normalization::call(const Tensor& inputs) {
  check_built_for(inputs.shape(), "the input");
  const Tensor x = inputs.dtype() == DType::kFloat32 ? inputs : cast(inputs, DType::kFloat32);
  const Tensor stddev = maximum(sqrt(variance()), scalar_tensor(1e-7, DType::kFloat32));
  return options_.invert ? mean() + x * stddev : (x - mean()) / stddev;
}

void Normalization::assign_statistics(const Tensor& mean, const Tensor& variance) {
  TF_CHECK_TYPED(!options_.mean, FailedPreconditionError, "", "Layer \"", name(),
                 "\" (Normalization) was given its mean and variance; it cannot adapt");
  tracked_variable("adapt_mean").assign(cast(mean, DType::kFloat32));
  tracked_variable("adapt_variance").assign(cast(variance, DType::kFloat32));
}

void Normalization::adapt(const Tensor& data) {
  if (!built()) {
    build(data.shape());
    set_built(true);
  }
  check_built_for(data.shape(), "adapt() data");
  auto [m, v] = nn::moments(cast(data, DType::kFloat64), built_->reduce);
  assign_statistics(m, v);
}

void Normalization::adapt(const data::Dataset& data) {
  Tensor total_mean, total_var;
  int64_t total_count = 0;
  for (const std::vector<Tensor>& element : data) {
    TF_CHECK_ARG(!element.empty(), "", "Layer \"", name(), "\" (Normalization): adapt() got an empty element");
    const Tensor& batch = element[0];
    if (!built()) {
      build(batch.shape());
      set_built(true);
    }
    check_built_for(batch.shape(), "an adapt() batch");
    auto [batch_mean, batch_var] = nn::moments(cast(batch, DType::kFloat64), built_->reduce);
    int64_t batch_count = 1;
    for (int d : built_->reduce) batch_count *= batch.shape()[d];
    if (total_count == 0) {
      total_mean = batch_mean;
      total_var = batch_var;
      total_count = batch_count;
      continue;
    }
    // Keras's merge of two (mean, variance, count) summaries.
    total_count += batch_count;
    const double w = double(batch_count) / double(total_count);
    const Tensor new_mean = total_mean * (1.0 - w) + batch_mean * w;
    total_var =
        (total_var + square(total_mean - new_mean)) * (1.0 - w) + (batch_var + square(batch_mean - new_mean)) * w;
    total_mean = new_mean;
  }
  TF_CHECK_ARG(total_count > 0, "", "Layer \"", name(),
               "\" (Normalization): adapt() received an empty dataset (no batches)");
  assign_statistics(total_mean, total_var);
}

}  // namespace tapeflow::keras::layers
