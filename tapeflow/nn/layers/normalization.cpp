#include "tapeflow/nn/layers/normalization.h"

#include <tuple>

#include "tapeflow/autograd/tape.h"
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
    const double n = double(x.size() / std::max<int64_t>(c, 1));
    batch_mean = stop_gradient(out.mean);
    batch_var = stop_gradient(out.variance) * (n > 1 ? (n - 1) / n : 1.0);
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
