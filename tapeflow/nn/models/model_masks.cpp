// A model's output masks in its loss and metrics (Note [Masks] in layers/layer.cpp), as Keras 3's
// Loss.__call__ (apply_mask) and MeanMetricWrapper.update_state use the mask of y_pred.
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

void Model::update_compiled_metric(metrics::Metric& metric, const Tensor& y, const Tensor& y_pred) const {
  if (dynamic_cast<metrics::MeanMetricWrapper*>(&metric))
    if (std::optional<Tensor> mask = mask_weights(*this, y_pred)) return metric.update_state(y, y_pred, mask);
  metric.update_state(y, y_pred, std::nullopt);
}

}  // namespace tapeflow::keras
