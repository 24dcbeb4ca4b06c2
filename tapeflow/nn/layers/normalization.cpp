#include "tapeflow/nn/layers/normalization.h"

#include <algorithm>
#include <tuple>

#include "tapeflow/autograd/tape.h"
#include "tapeflow/core/dim_unify.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/batch_norm.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::keras::layers {

BatchNormalization::BatchNormalization(BatchNormalizationOptions options)
    : Layer("batch_normalization", {.name = options.name, .trainable = options.trainable}),
      options_(std::move(options)) {
  TF_CHECK_ARG(options_.epsilon > 0, "BatchNormalization", "epsilon must be positive, got ", options_.epsilon);
}

void BatchNormalization::build(const Shape& input_shape) {
  rank_ = input_shape.rank();
  axis_ = options_.axis < 0 ? options_.axis + rank_ : options_.axis;
  if (rank_ < 2 || axis_ < 1 || axis_ >= rank_)
    TF_THROW(InvalidArgumentError, "", "Layer \"", name(), "\" (BatchNormalization) cannot normalize axis ",
             options_.axis, " of an input of shape ", input_shape.to_string(),
             ": expected a rank >= 2 input and a feature axis other than the batch axis");
  const Shape c{input_shape[axis_]};
  auto weight = [&](const char* n, const initializers::Initializer& init, bool trainable,
                    const regularizers::Regularizer& reg) {
    add_weight(n, c, {.initializer = init, .trainable = trainable, .regularizer = reg, .dtype = options_.dtype});
  };
  if (options_.scale) weight("gamma", options_.gamma_initializer, true, options_.gamma_regularizer);
  if (options_.center) weight("beta", options_.beta_initializer, true, options_.beta_regularizer);
  weight("moving_mean", options_.moving_mean_initializer, false, {});
  weight("moving_variance", options_.moving_variance_initializer, false, {});
}

void BatchNormalization::check_input(const Tensor& inputs) const {
  check_input_rank(inputs, rank_);
  const int64_t c = moving_mean().shape()[0];
  if (inputs.shape()[axis_] != c)
    TF_THROW(InvalidArgumentError, "", "Input 0 of layer \"", name(),
             "\" is incompatible with the layer: expected axis ", options_.axis, " of input shape to have value ", c,
             ", but received input with shape ", inputs.shape().to_string());
}

Tensor BatchNormalization::call(const Tensor& inputs, bool training) {
  check_input(inputs);
  const DType dt = options_.dtype;
  const Tensor x = inputs.dtype() == dt ? inputs : cast(inputs, dt);
  const int64_t c = x.shape()[axis_];
  Variable moving_mean_v = moving_mean(), moving_var_v = moving_variance();
  std::optional<Tensor> gamma_t, beta_t;
  if (options_.scale) gamma_t = gamma();
  if (options_.center) beta_t = beta();
  const bool use_batch_stats = training && trainable();

  Tensor y, batch_mean, batch_var;
  if (axis_ == rank_ - 1) {
    // Channels last: the fused op, one pass over x for the statistics and one for y.
    const Tensor scale = gamma_t ? *gamma_t : ones({c}, dt);
    const Tensor offset = beta_t ? *beta_t : zeros({c}, dt);
    if (!use_batch_stats)
      return nn::fused_batch_norm(x, scale, offset,
                                  {.mean = moving_mean_v.read_value(),
                                   .variance = moving_var_v.read_value(),
                                   .epsilon = options_.epsilon,
                                   .is_training = false})
          .y;
    nn::FusedBatchNormOptions batch_stats;
    batch_stats.epsilon = options_.epsilon;
    auto out = nn::fused_batch_norm(x, scale, offset, batch_stats);
    y = out.y;
    // The fused op reports the unbiased variance; Keras 3 averages the biased one (tf.nn.moments).
    batch_mean = stop_gradient(out.mean);
    if (x.shape().is_fully_defined()) {
      const double n = double(x.size() / std::max<int64_t>(c, 1));
      batch_var = stop_gradient(out.variance) * (n > 1 ? (n - 1) / n : 1.0);
    } else {
      // A None batch (a step traced for every batch size): n is counted when the step runs, in
      // float64 as above, so the factor rounds to the same float as the exact trace's.
      const Tensor n = element_count(x, DType::kFloat64) / double(std::max<int64_t>(c, 1));
      const Tensor factor = where(greater(n, 1.0), (n - 1.0) / n, ones({}, DType::kFloat64));
      batch_var = stop_gradient(out.variance) * cast(factor, out.variance.dtype());
    }
  } else {
    // Another feature axis: moments and batch_normalization with (1, .., C, .., 1) statistics.
    Shape bshape(std::vector<int64_t>(std::size_t(rank_), 1));
    bshape[axis_] = c;
    auto b = [&](const std::optional<Tensor>& t) -> std::optional<Tensor> {
      return t ? std::optional<Tensor>(reshape(*t, bshape)) : std::nullopt;
    };
    Tensor mean = moving_mean_v.read_value(), var = moving_var_v.read_value();
    if (use_batch_stats) {
      std::vector<int> axes;
      for (int i = 0; i < rank_; ++i)
        if (i != axis_) axes.push_back(i);
      std::tie(mean, var) = nn::moments(x, axes);
      batch_mean = stop_gradient(mean);
      batch_var = stop_gradient(var);
    }
    y = nn::batch_normalization(x, reshape(mean, bshape), reshape(var, bshape), b(beta_t), b(gamma_t),
                                options_.epsilon);
    if (!use_batch_stats) return y;
  }
  const double m = options_.momentum;
  moving_mean_v.assign(moving_mean_v.read_value() * m + batch_mean * (1.0 - m));
  moving_var_v.assign(moving_var_v.read_value() * m + batch_var * (1.0 - m));
  return y;
}

}  // namespace tapeflow::keras::layers

namespace tapeflow::keras::layers {

LayerNormalization::LayerNormalization(LayerNormalizationOptions options)
    : Layer("layer_normalization", {.name = options.name, .trainable = options.trainable}),
      options_(std::move(options)) {
  TF_CHECK_ARG(!options_.axis.all() && !options_.axis.list().empty(), "LayerNormalization",
               "`axis` must be an int or a non-empty list of ints");
  TF_CHECK_ARG(options_.epsilon > 0, "LayerNormalization", "epsilon must be positive, got ", options_.epsilon);
}

void LayerNormalization::build(const Shape& input_shape) {
  Built& b = *built_;
  b.rank = input_shape.rank();
  b.axes.clear();
  std::vector<int64_t> weight_shape, bshape(std::size_t(b.rank), 1);
  for (int64_t a : options_.axis.list()) {
    if (a < -b.rank || a >= b.rank || (a < 0 ? a + b.rank : a) == 0)
      TF_THROW(InvalidArgumentError, "", "Layer \"", name(), "\" (LayerNormalization): invalid axis ", a,
               " for an input of shape ", input_shape.to_string(), " (rank ", b.rank,
               "; the batch axis 0 cannot be normalized over)");
    const int d = int(a < 0 ? a + b.rank : a);
    TF_CHECK_ARG(input_shape[d] >= 0, "", "Layer \"", name(), "\" (LayerNormalization): axis ", a,
                 " of the input shape ", input_shape.to_string(), " must be known");
    b.axes.push_back(d);
    weight_shape.push_back(input_shape[d]);
  }
  std::sort(b.axes.begin(), b.axes.end());
  for (int d : b.axes) bshape[std::size_t(d)] = input_shape[d];
  b.broadcast_shape = Shape(bshape);
  auto weight = [&](const char* n, const initializers::Initializer& init, const regularizers::Regularizer& reg) {
    add_weight(n, Shape(weight_shape), {.initializer = init, .regularizer = reg, .dtype = options_.dtype});
  };
  if (options_.scale) weight("gamma", options_.gamma_initializer, options_.gamma_regularizer);
  if (options_.center && !options_.rms_scaling) weight("beta", options_.beta_initializer, options_.beta_regularizer);
}

Tensor LayerNormalization::call(const Tensor& inputs) {
  const Built& b = *built_;
  check_input_rank(inputs, b.rank);
  for (int d : b.axes)
    if (inputs.shape()[d] != b.broadcast_shape[d])
      TF_THROW(InvalidArgumentError, "", "Input 0 of layer \"", name(),
               "\" is incompatible with the layer: expected axis ", d, " of input shape to have value ",
               b.broadcast_shape[d], ", but received input with shape ", inputs.shape().to_string());
  const Tensor x = inputs.dtype() == options_.dtype ? inputs : cast(inputs, options_.dtype);
  auto [mean, variance] = nn::moments(x, b.axes, /*keepdims=*/true);
  Tensor inv = rsqrt(variance + options_.epsilon);
  if (options_.scale) inv = inv * reshape(gamma().read_value(), b.broadcast_shape);
  if (options_.rms_scaling) return x * inv;
  Tensor shift = -mean * inv;
  if (options_.center) shift = shift + reshape(beta().read_value(), b.broadcast_shape);
  return x * inv + shift;
}

}  // namespace tapeflow::keras::layers
