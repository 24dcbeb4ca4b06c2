// fit's epoch loop and evaluate's, shared by every form of the data (tensors, several inputs,
// tf::data::Dataset): callbacks and History, Keras's steps per epoch (EpochIterator), the
// progress bar, validation after each epoch.
#include <cstdio>

#include "tapeflow/nn/models/epoch_iterator.h"
#include "tapeflow/nn/models/model.h"
#include "tapeflow/nn/models/progbar.h"

namespace tapeflow::keras {

callbacks::History Model::fit_epochs(internal::BatchSource& train, const FitOptions& options) {
  TF_CHECK_ARG(!options.validation_steps || *options.validation_steps > 0, "",
               "fit: validation_steps must be a positive integer, got ", options.validation_steps.value_or(0));
  TF_CHECK_ARG(options.validation_freq > 0, "", "fit: validation_freq must be a positive integer, got ",
               options.validation_freq);
  TF_CHECK_ARG(!options.validation_batch_size || *options.validation_batch_size > 0, "",
               "fit: validation_batch_size must be a positive integer, got ",
               options.validation_batch_size.value_or(0));
  internal::EpochIterator steps(train, options.steps_per_epoch, "fit");
  std::optional<data::Dataset> validation;
  if (options.validation_data) {
    validation =
        validation_batches(*options.validation_data, options.validation_batch_size.value_or(options.batch_size));
    TF_CHECK_ARG(validation->cardinality() != -1 || options.validation_steps, "", "fit: validation_data is infinite ",
                 "(repeat() without a count): pass validation_steps, or take() the validation batches");
  }

  auto history = std::make_shared<callbacks::History>();
  std::vector<callbacks::Callback*> cbs;
  for (auto& c : options.callbacks) cbs.push_back(c.operator->());
  cbs.push_back(history.get());
  for (auto* c : cbs) c->set_model(this);
  stop_training = false;
  resume_epoch.reset();
  for (auto* c : cbs) c->on_train_begin({});
  const int first_epoch = resume_epoch.value_or(options.initial_epoch);
  resume_epoch.reset();
  // Epochs are passes unless steps_per_epoch cuts them otherwise: then there is nothing to skip.
  if (!options.steps_per_epoch) train.skip_passes(first_epoch);

  // Keras's ProgbarLogger: the target is the epoch's steps, or (unknown) the first epoch's count.
  std::optional<int64_t> target = steps.num_batches();
  callbacks::Logs logs;
  for (int epoch = first_epoch; epoch < options.epochs && !stop_training; ++epoch) {
    for (auto* c : cbs) c->on_epoch_begin(epoch, {});
    // Keras's ProgbarLogger names the epoch only when there are several.
    if (options.verbose && options.epochs > 1) std::printf("Epoch %d/%d\n", epoch + 1, options.epochs);
    reset_metrics();
    detail::Progbar bar(target.value_or(0), options.verbose);
    steps.begin_epoch();
    int64_t step = 0;
    while (auto batch = steps.next()) {
      for (auto* c : cbs) c->on_train_batch_begin(int(step), {});
      dataset_step(*batch, /*training=*/true, "fit");
      ++step;
      bar.update(step, [&] { return metrics_result(); });
      if (cbs.size() > 1) {  // Keras passes the running metrics (TensorBoard's batch_<metric>)
        const callbacks::Logs batch_logs = metrics_result();
        for (auto* c : cbs) c->on_train_batch_end(int(step - 1), batch_logs);
      }
      if (stop_training) break;  // a callback ended training mid-epoch (TerminateOnNaN)
    }
    TF_CHECK_ARG(step > 0, "", "fit: the data yielded no batches");
    if (!target) {
      target = step;
      bar.set_target(step);
    }
    logs = metrics_result();
    if (validation && (epoch + 1) % options.validation_freq == 0) {  // Keras's _should_eval
      internal::DatasetBatches batches(*validation);
      for (const auto& [k, v] : evaluate_batches(batches, {.verbose = 0, .steps = options.validation_steps}))
        logs["val_" + k] = v;
    }
    bar.finish(logs);
    for (auto* c : cbs) {
      c->epoch_logs_ = &logs;
      c->on_epoch_end(epoch, logs);
      c->epoch_logs_ = nullptr;
    }
  }
  for (auto* c : cbs) c->on_train_end(logs);
  return *history;
}

EvaluateResult Model::evaluate_batches(internal::BatchSource& source, const EvaluateOptions& options) {
  internal::EpochIterator steps(source, options.steps, "evaluate");
  reset_metrics();
  const std::optional<int64_t> target = steps.num_batches();
  detail::Progbar bar(target.value_or(0), options.verbose);
  steps.begin_epoch();
  int64_t step = 0;
  while (auto batch = steps.next()) {
    dataset_step(*batch, /*training=*/false, "evaluate");
    bar.update(++step, [&] { return metrics_result(); });
  }
  if (!target) bar.set_target(step);
  auto result = ordered_results();
  bar.finish(result);
  return result;
}

}  // namespace tapeflow::keras
