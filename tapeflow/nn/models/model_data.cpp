// Model::fit/evaluate/predict over a tf::data::Dataset and over several inputs (a list, or a
// map by input name), as Keras's data adapters do; validation_data's forms; evaluate's results
// by position. The epoch loops they share are in model_fit.cpp.
#include <cmath>

#include "tapeflow/autograd/tape.h"
#include "tapeflow/core/dim_unify.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/nn/models/epoch_iterator.h"
#include "tapeflow/nn/models/model.h"

namespace tapeflow::keras {

EvaluateResult::EvaluateResult(std::map<std::string, double> values, std::vector<std::string> order)
    : std::map<std::string, double>(std::move(values)), order_(std::move(order)) {}

double EvaluateResult::operator[](std::size_t position) const {
  TF_CHECK_ARG(position < order_.size(), "", "evaluate's results hold ", order_.size(), " values; position ", position,
               " is out of range");
  return at(order_[position]);
}

EvaluateResult Model::ordered_results() const {
  std::map<std::string, double> values;
  std::vector<std::string> order;
  for (const auto& [name, m] : named_metrics()) {
    values[name] = m->result().item<float>();
    order.push_back(name);
  }
  return EvaluateResult(std::move(values), std::move(order));
}

std::size_t Model::input_count() const {
  const std::size_t n = inputs().size();
  return n == 0 ? 1 : n;
}

std::vector<Tensor> Model::inputs_by_name(const std::map<std::string, Tensor>& x) const {
  const auto symbolic = inputs();
  TF_CHECK_ARG(!symbolic.empty(), "", "Model \"", name(), "\": inputs by name need a functional model");
  std::vector<Tensor> out;
  std::string names;
  for (const KerasTensor& in : symbolic) names += (names.empty() ? "" : ", ") + in.node()->layer->name();
  for (const KerasTensor& in : symbolic) {
    auto it = x.find(in.node()->layer->name());
    TF_CHECK_ARG(it != x.end(), "", "Model \"", name(), "\": no data for input '", in.node()->layer->name(),
                 "' (the model's inputs are: ", names, ")");
    out.push_back(it->second);
  }
  TF_CHECK_ARG(x.size() == symbolic.size(), "", "Model \"", name(), "\": ", x.size(),
               " named inputs given, but the model's inputs are: ", names);
  return out;
}

void Model::multi_input_step(const std::vector<Tensor>& x, const Tensor& y, const std::optional<Tensor>& sample_weight,
                             bool training) {
  Tensor y_pred, loss;
  if (training) {
    GradientTape tape;
    y_pred = (*this)(x, true);
    loss = compute_loss(x[0], y, y_pred, sample_weight);
    tape.stop();
    auto vars = trainable_variables();
    if (!vars.empty()) optimizer().apply_gradients(tape.gradient(loss, vars), vars);
  } else {
    y_pred = (*this)(x, false);
    loss = compute_loss(x[0], y, y_pred, sample_weight);
  }
  // As train_step/test_step: the running loss weighs each batch by its size (Keras 3).
  const auto tracked = Model::metrics();  // the loss tracker, then the compiled metrics (not an override's)
  auto loss_tracker = std::dynamic_pointer_cast<metrics::Mean>(tracked[0]);
  loss_tracker->update_state(loss, dim_size(x[0], 0, DType::kFloat32));
  update_compiled_metrics(y, y_pred, sample_weight);
}

namespace {
void check_finite(const data::Dataset& ds, const char* caller, const char* steps_name) {
  TF_CHECK_ARG(ds.cardinality() != -1, "", caller, ": the dataset is infinite (repeat() without a count): pass ",
               steps_name, ", or take() the batches of one epoch");
}

/// The rows of each tensor (all with the same first dimension: Keras's cardinality message).
void check_same_rows(const std::vector<Tensor>& tensors, const char* caller) {
  TF_CHECK_ARG(!tensors.empty(), "", caller, ": no inputs given");
  std::string sizes;
  bool same = true;
  for (const Tensor& t : tensors) {
    TF_CHECK_ARG(t.ndim() > 0, "", caller, ": every input must have a batch axis, got shape ", t.shape().to_string());
    sizes += (sizes.empty() ? "" : ", ") + std::to_string(t.shape()[0]);
    same = same && t.shape()[0] == tensors[0].shape()[0];
  }
  TF_CHECK_ARG(
      same, "",
      "Data cardinality is ambiguous. Make sure all arrays contain the same number of samples. sizes: ", sizes);
}
}  // namespace

ValidationData::ValidationData(std::pair<Tensor, Tensor> xy) : x_{std::move(xy.first)}, y_(std::move(xy.second)) {}
ValidationData::ValidationData(std::pair<std::vector<Tensor>, Tensor> xy)
    : x_(std::move(xy.first)), y_(std::move(xy.second)) {}
ValidationData::ValidationData(std::pair<NamedInputs, Tensor> xy)
    : named_x_(std::move(xy.first)), y_(std::move(xy.second)) {}
ValidationData::ValidationData(std::pair<std::map<std::string, Tensor>, Tensor> xy)
    : named_x_(NamedInputs(std::move(xy.first))), y_(std::move(xy.second)) {}
ValidationData::ValidationData(const data::Dataset& dataset) : dataset_(dataset) {}

data::Dataset Model::validation_batches(const ValidationData& validation, int64_t batch_size) const {
  if (validation.dataset_) return *validation.dataset_;
  std::vector<Tensor> columns = validation.named_x_ ? inputs_by_name(*validation.named_x_) : validation.x_;
  columns.push_back(validation.y_);
  check_same_rows(columns, "fit: validation_data");
  return data::Dataset::from_tensor_slices(std::move(columns)).batch(batch_size);
}

callbacks::History Model::fit(const data::Dataset& dataset, FitOptions options) {
  optimizer();  // checks compile()
  TF_CHECK_ARG(options.validation_split == 0, "",
               "`validation_split` is only supported for Tensors or NumPy arrays, found following types in the "
               "input: [tf::data::Dataset]");
  TF_CHECK_ARG(!options.sample_weight && options.class_weight.empty(), "",
               "fit: with a dataset, sample weights come as the third component of its elements (x, y, "
               "sample_weight); sample_weight and class_weight are not supported");
  if (!options.steps_per_epoch) check_finite(dataset, "fit", "steps_per_epoch");
  internal::DatasetBatches batches(dataset);
  return fit_epochs(batches, options);
}

callbacks::History Model::fit(const std::vector<Tensor>& x, const Tensor& y, FitOptions options) {
  optimizer();
  std::vector<Tensor> all = x;
  all.push_back(y);
  check_same_rows(all, "fit");
  TF_CHECK_ARG(options.batch_size > 0, "", "fit: batch_size must be positive, got ", options.batch_size);
  TF_CHECK_ARG(options.validation_split >= 0 && options.validation_split < 1, "",
               "fit: validation_split must be in [0, 1), got ", options.validation_split);
  TF_CHECK_TYPED(options.class_weight.empty(), UnimplementedError, "",
                 "fit: class_weight with several inputs is not supported yet; pass sample_weight");
  const int64_t n = y.shape()[0];
  if (options.sample_weight) {
    TF_CHECK_ARG(options.sample_weight->ndim() >= 1 && options.sample_weight->shape()[0] == n, "",
                 "fit: sample_weight must hold one weight per sample (", n, "), got shape ",
                 options.sample_weight->shape().to_string());
    TF_CHECK_TYPED(options.validation_split == 0, UnimplementedError, "",
                   "fit: validation_split with sample_weight (weighted validation) is not supported yet");
    all.push_back(*options.sample_weight);
  }
  // Keras's rule: the last fraction of the rows, before shuffling, is held out.
  std::vector<Tensor> train = all;
  if (!options.validation_data && options.validation_split > 0) {
    const auto split_at = static_cast<int64_t>(std::floor(double(n) * (1.0 - options.validation_split)));
    std::vector<Tensor> held_out;
    for (Tensor& t : train) {
      held_out.push_back(t[slice(split_at, n)]);
      t = t[slice(0, split_at)];
    }
    const Tensor y_val = held_out.back();
    held_out.pop_back();
    options.validation_data = std::pair{std::move(held_out), y_val};
  }
  internal::TensorBatches batches(std::move(train), options.batch_size, options.shuffle);
  return fit_epochs(batches, options);
}

callbacks::History Model::fit(const NamedInputs& x, const Tensor& y, FitOptions options) {
  return fit(inputs_by_name(x), y, std::move(options));
}

EvaluateResult Model::evaluate(const data::Dataset& dataset, EvaluateOptions options) {
  optimizer();
  if (!options.steps) check_finite(dataset, "evaluate", "steps");
  TF_CHECK_ARG(!options.sample_weight, "",
               "`sample_weight` argument is not supported when using a dataset as input; give the dataset "
               "(x, y, sample_weight) elements");
  internal::DatasetBatches batches(dataset);
  return evaluate_batches(batches, options);
}

EvaluateResult Model::evaluate(const std::vector<Tensor>& x, const Tensor& y, EvaluateOptions options) {
  std::vector<Tensor> all = x;
  all.push_back(y);
  if (options.sample_weight) all.push_back(*options.sample_weight);  // (x..., y, sample_weight) batches
  check_same_rows(all, "evaluate");
  TF_CHECK_ARG(options.batch_size > 0, "", "evaluate: batch_size must be positive, got ", options.batch_size);
  optimizer();
  internal::TensorBatches batches(std::move(all), options.batch_size, /*shuffle=*/false);
  return evaluate_batches(batches, options);
}

EvaluateResult Model::evaluate(const NamedInputs& x, const Tensor& y, EvaluateOptions options) {
  return evaluate(inputs_by_name(x), y, options);
}

Tensor Model::predict(const NamedInputs& x, PredictOptions options) { return predict(inputs_by_name(x), options); }

Tensor Model::predict(const data::Dataset& dataset, PredictOptions options) {
  check_finite(dataset, "predict", "steps");
  const std::size_t k = input_count();
  std::vector<Tensor> outs;
  for (const auto& e : dataset) {
    TF_CHECK_ARG(e.size() >= k, "", "predict: a dataset element must start with the model's ", k, " input(s); got ",
                 e.size(), " components");
    outs.push_back(predict_batch(std::vector<Tensor>(e.begin(), e.begin() + std::ptrdiff_t(k))));
  }
  (void)options;  // batch_size: the dataset's batches; verbose: predict prints nothing yet
  TF_CHECK_ARG(!outs.empty(), "", "predict: the dataset yielded no batches");
  return outs.size() == 1 ? outs[0] : concat(outs, 0);
}

}  // namespace tapeflow::keras
