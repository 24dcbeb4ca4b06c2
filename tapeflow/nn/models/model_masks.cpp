// A model's output masks in its loss and metrics (Note [Masks] in layers/layer.cpp), as Keras 3's
// Loss.__call__ (apply_mask) and MeanMetricWrapper.update_state use the mask of y_pred.
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/nn/models/functional.h"
#include "tapeflow/nn/models/model.h"

namespace tapeflow::keras {

std::optional<Tensor> Model::output_mask(const Tensor& output) const {
  return graph_ ? graph_->output_mask(output) : std::nullopt;
}

namespace {
// y_pred's mask as weights of the loss values (y_pred's shape without its last axis).
std::optional<Tensor> mask_weights(const Model& model, const Tensor& y_pred) {
  const std::optional<Tensor> mask = model.output_mask(y_pred);
  if (!mask) return std::nullopt;
  std::vector<int64_t> dims;
  for (int i = 0; i + 1 < y_pred.ndim(); ++i) dims.push_back(y_pred.shape()[i]);
  const Shape values(dims);
  TF_CHECK_ARG(mask->shape() == values, "", "Model \"", model.name(), "\": the output's mask has shape ",
               mask->shape().to_string(), ", but a loss of an output of shape ", y_pred.shape().to_string(),
               " has shape ", values.to_string(), " (a mask is applied to a sequence output (B, T, units))");
  return cast(*mask, y_pred.dtype());
}
}  // namespace

std::optional<Tensor> Model::masked_loss_weight(const Tensor& y_pred,
                                                const std::optional<Tensor>& sample_weight) const {
  std::optional<Tensor> mask = mask_weights(*this, y_pred);
  if (!mask) return sample_weight;
  const std::string& reduction = compile_options()->loss->reduction();  // compute_loss checked the loss
  if (reduction == "mean" || reduction == "sum_over_batch_size")        // the mean over the kept steps
    mask = *mask * (static_cast<double>(mask->size()) / (reduce_sum(*mask) + 1e-7));
  if (!sample_weight) return mask;
  TF_CHECK_ARG(sample_weight->shape() == mask->shape(), "", "Model \"", name(), "\": a sample_weight of shape ",
               sample_weight->shape().to_string(), " cannot weigh an output masked per timestep ",
               mask->shape().to_string(), " (Keras 3 fails here too); give one weight per timestep");
  return cast(*sample_weight, mask->dtype()) * *mask;
}

void Model::update_compiled_metrics(const Tensor& y, const Tensor& y_pred,
                                    const std::optional<Tensor>& sample_weight) const {
  const std::optional<Tensor> mask = mask_weights(*this, y_pred);
  const auto update = [&](metrics::Metric& metric, const std::optional<Tensor>& weight) {
    if (!dynamic_cast<metrics::MeanMetricWrapper*>(&metric) || !mask) return metric.update_state(y, y_pred, weight);
    if (!weight) return metric.update_state(y, y_pred, mask);
    // Per-sample weights over a per-timestep mask: each sample's weight on each of its steps.
    Tensor w = cast(*weight, mask->dtype());
    while (w.ndim() < mask->ndim()) w = expand_dims(w, -1);
    metric.update_state(y, y_pred, w * *mask);
  };
  // Model::metrics() (not an override's): the loss tracker, the `metrics`, then the weighted ones.
  const auto compiled = Model::metrics();
  const std::size_t first_weighted = compiled.size() - compile_options()->weighted_metrics.size();
  for (std::size_t i = 1; i < compiled.size(); ++i)
    update(*compiled[i], i >= first_weighted ? sample_weight : std::nullopt);
}

}  // namespace tapeflow::keras
