// K::Model: a layer with training attached (compile, fit, evaluate, predict, summary), as
// Keras's Model. Functional models are built from KerasTensors (K::Model(inputs, outputs));
// subclassed models override call() and track their layers; K::Sequential chains layers.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tapeflow/graph/function.h"
#include "tapeflow/nn/data/dataset.h"
#include "tapeflow/nn/layers/layer.h"
#include "tapeflow/nn/losses.h"
#include "tapeflow/nn/metrics.h"
#include "tapeflow/nn/models/callbacks.h"
#include "tapeflow/nn/optimizers/optimizer.h"

namespace tapeflow::keras {

namespace internal {  // not keras::detail: keras.h calls tapeflow::detail unqualified
class FunctionalGraph;
class BatchSource;
}  // namespace internal

struct ModelOptions {
  std::string name;  // empty: "functional", "functional_1", ...
  bool trainable = true;
};

// Option structs list Keras's keyword arguments in the order of Keras's signature (those not
// supported yet are left out, the others keep their relative order), so the keywords of a Keras
// call, copied in order, compile as designated initializers; FitOptions's first fields keep
// API.md's order instead (see there):
// `model.fit(x, y, {.epochs = 5, .batch_size = 32, .validation_split = 0.1, .verbose = 0})`.

/// Keras: compile(optimizer, loss, loss_weights, metrics, ...).
struct CompileOptions {
  optimizers::AnyOptimizer optimizer = "rmsprop";
  /// May be left out when train_step/test_step are overridden and compute their own loss.
  losses::AnyLoss loss;
  std::vector<metrics::AnyMetric> metrics;
  /// Metrics weighted by fit's / evaluate's sample_weight (class_weight's weights in fit;
  /// unweighted without either), as Keras's weighted_metrics: logged after `metrics`, named
  /// "weighted_<name>" where an earlier metric has the name already ({"accuracy"} in both:
  /// "accuracy" and "weighted_accuracy").
  std::vector<metrics::AnyMetric> weighted_metrics;
  /// false (Keras's default): fit, evaluate and predict run train_step/test_step/predict_step as
  /// tf::Functions (traced once per compile, reduce_retracing: the last partial batch retraces at
  /// most once). true: every step runs eagerly, for debugging (host reads, prints, breakpoints).
  /// tf::config::run_functions_eagerly(true) also makes them eager.
  bool run_eagerly = false;
};

/// Inputs by name, Keras's dict form: `{{"image", x1}, {"meta", x2}}` or a std::map. (A type of
/// its own: a std::map parameter would also take `{x1, x2}`, as an iterator range.)
class NamedInputs : public std::map<std::string, Tensor> {
 public:
  NamedInputs(std::initializer_list<value_type> inputs) : std::map<std::string, Tensor>(inputs) {}         // NOLINT
  NamedInputs(std::map<std::string, Tensor> inputs) : std::map<std::string, Tensor>(std::move(inputs)) {}  // NOLINT
};

/// fit's validation_data in Keras's forms: (x_val, y_val), `std::pair{x_val, y_val}`; with several
/// inputs, `std::pair{std::vector{xa, xb}, y_val}` or by input name
/// `std::pair{K::NamedInputs{{"image", xa}, {"meta", xb}}, y_val}`; or a batched
/// tf::data::Dataset of (x..., y) elements, `.validation_data = val_ds` (batch_size ignored).
class ValidationData {
 public:
  ValidationData(std::pair<Tensor, Tensor> xy);                         // NOLINT
  ValidationData(std::pair<std::vector<Tensor>, Tensor> xy);            // NOLINT
  ValidationData(std::pair<NamedInputs, Tensor> xy);                    // NOLINT
  ValidationData(std::pair<std::map<std::string, Tensor>, Tensor> xy);  // NOLINT
  ValidationData(const data::Dataset& dataset);                         // NOLINT

 private:
  friend class Model;
  std::vector<Tensor> x_;
  std::optional<NamedInputs> named_x_;
  Tensor y_;
  std::optional<data::Dataset> dataset_;
};

/// fit's options. The order is API.md's, the contract programs are written against
/// (`{.epochs = 5, .batch_size = 32, .validation_split = 0.1, .verbose = 1}`), which puts epochs
/// before batch_size and validation_split before verbose, where Keras's fit(x, y, batch_size,
/// epochs, verbose, callbacks, validation_split, validation_data, shuffle, class_weight,
/// sample_weight, initial_epoch, steps_per_epoch, validation_steps, validation_batch_size,
/// validation_freq) has them the other way round;
/// C++ designated initializers must follow one declaration order, so the contract's is kept. The
/// fields after verbose follow Keras's order (docs/keras_training.md).
struct FitOptions {
  int epochs = 1;
  int batch_size = 32;
  /// The last fraction of (x, y), before shuffling, held out for validation (Keras's rule).
  double validation_split = 0.0;
  /// Evaluated after each epoch (val_ logs): see ValidationData for the forms it takes.
  std::optional<ValidationData> validation_data;
  bool shuffle = true;
  /// 0 silent; 1 a progress bar on a terminal, else one plain line per epoch; 2 one line per epoch.
  int verbose = 1;
  std::vector<callbacks::AnyCallback> callbacks;
  /// Class index -> weight: each training sample's loss is weighted by its class's (integer
  /// labels, or the argmax of one-hot labels; a class left out weighs 1). Not with sample_weight.
  std::map<int64_t, double> class_weight = {};
  /// Per-sample weights (N,) of the training loss. As in Keras 3, the compiled metrics stay
  /// unweighted and the reported loss is the batch-size-weighted mean of the weighted batch losses.
  std::optional<Tensor> sample_weight = std::nullopt;
  int initial_epoch = 0;
  /// Steps (batches) per epoch; unset: one pass over the data. As in Keras, the data carry on
  /// across epochs (a `.repeat()`ed dataset is the usual case); data of known length that run
  /// out mid-epoch end that epoch early with Keras's warning ("Your input ran out of data; ...")
  /// and the next epoch starts a new pass.
  std::optional<int64_t> steps_per_epoch = std::nullopt;
  /// Validation batches per epoch (from the start of validation_data each time); unset: all.
  std::optional<int64_t> validation_steps = std::nullopt;
  /// Samples per validation batch (validation_data or validation_split's); unset: batch_size.
  /// As in Keras, a Dataset's own batches are used as they are.
  std::optional<int> validation_batch_size = std::nullopt;
  /// Keras 3's int validation_freq: validates after every N-th epoch (epochs N, 2N, ... counted
  /// from 1, initial_epoch included); the others have no val_ logs.
  int validation_freq = 1;
};

/// Keras: evaluate(x, y, batch_size, verbose, sample_weight, steps, callbacks, ...).
struct EvaluateOptions {
  int batch_size = 32;
  int verbose = 1;
  /// Per-sample weights (N,) of the loss, as Keras 3: the reported loss is the batch-size-
  /// weighted mean of the weighted batch losses; the compiled metrics stay unweighted.
  std::optional<Tensor> sample_weight = std::nullopt;
  /// Batches to evaluate; unset: all (an infinite dataset needs it).
  std::optional<int64_t> steps = std::nullopt;
};

/// Keras: predict(x, batch_size, verbose, steps, callbacks).
struct PredictOptions {
  int batch_size = 32;
  int verbose = 0;
};

/// Keras: export(filepath, format="tf_saved_model", verbose=None, input_signature=None).
struct ExportOptions {
  std::string format = "tf_saved_model";  // the only format Tapeflow writes
  bool verbose = true;                    // prints the endpoints, as Keras does
  /// The inputs' specs (batch -1 = None); empty: the model's K::Input tensors.
  std::optional<std::vector<TensorSpec>> input_signature = std::nullopt;
};

/// evaluate's results: by name, `r.at("loss")`, and by position in Keras's list order (the loss,
/// then the compiled metrics): `r[0]`, `r[1]`.
class EvaluateResult : public std::map<std::string, double> {
 public:
  EvaluateResult() = default;
  EvaluateResult(std::map<std::string, double> values, std::vector<std::string> order);
  using std::map<std::string, double>::operator[];
  /// The value at that position (InvalidArgumentError past the end).
  double operator[](std::size_t position) const;
  double operator[](std::size_t position) { return std::as_const(*this)[position]; }
  /// The names in Keras's order.
  const std::vector<std::string>& names() const { return order_; }

 private:
  std::vector<std::string> order_;
};

class Model : public layers::Layer {
 public:
  /// A subclassed model: `struct MyModel : K::Model { MyModel() {} ... };` is named "my_model"
  /// after its class (as in Keras), or `K::Model("name")`.
  explicit Model(const std::string& default_name = "", layers::LayerOptions options = {});
  /// A functional model from K::Input tensors to the tensors computed from them:
  /// `auto x = K::Input({784}); K::Model model(x, K::layers::Dense(10)(x));` (one or several of each).
  Model(KerasTensors inputs, KerasTensors outputs, ModelOptions options = {});

  using Layer::call;
  /// A functional model runs its graph; a subclassed one must override call.
  Tensor call(const Tensor& inputs, bool training) override;
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;
  /// A functional or Sequential model used as a layer passes masks on as Keras's do: the
  /// incoming mask enters its (first) input, and its output's mask leaves it (Note [Masks]).
  bool supports_masking() const override { return graph_ != nullptr; }
  Tensor call_masked(const Tensor& inputs, bool training, const std::optional<Tensor>& mask) override;
  std::optional<Tensor> compute_mask(const Tensor& inputs, const std::optional<Tensor>& mask) const override;
  /// Every output of a functional model (model(x) gives the only one).
  std::vector<Tensor> call_all(const std::vector<Tensor>& inputs, std::optional<bool> training = std::nullopt);
  std::shared_ptr<layers::Layer> clone() const override { return std::make_shared<Model>(*this); }
  /// The symbolic inputs and outputs of a functional model (empty for others).
  std::vector<KerasTensor> inputs() const;
  std::vector<KerasTensor> outputs() const;

  /// Sets the optimizer, loss and metrics fit/evaluate use. "accuracy" resolves from the loss.
  void compile(CompileOptions options);
  /// Trains on (x, y) (first axes = samples) and returns the per-epoch logs.
  callbacks::History fit(const Tensor& x, const Tensor& y, FitOptions options = {});
  /// Trains on a batched tf::data::Dataset, as Keras does: its elements are (x, y) or (x, y,
  /// sample_weight), a model with k inputs taking the first k components as its inputs; each
  /// epoch is one pass (a shuffle in the pipeline reshuffles), or steps_per_epoch steps. batch_size
  /// and shuffle are ignored; validation_split is an InvalidArgumentError (Keras's rule for
  /// datasets); an infinite dataset needs steps_per_epoch. (model_data.cpp)
  callbacks::History fit(const data::Dataset& dataset, FitOptions options = {});
  /// A model with several inputs: `model.fit({x1, x2}, y, {...})`, or by input name
  /// `model.fit({{"image", x1}, {"meta", x2}}, y, {...})` (Keras's list and dict forms).
  callbacks::History fit(const std::vector<Tensor>& x, const Tensor& y, FitOptions options = {});
  callbacks::History fit(const NamedInputs& x, const Tensor& y, FitOptions options = {});
  /// {"loss": .., "accuracy": ..} over (x, y); also by position, r[0] the loss.
  EvaluateResult evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options = {});
  /// evaluate over a batched Dataset ((x, y) elements; batch_size ignored) or several inputs.
  EvaluateResult evaluate(const data::Dataset& dataset, EvaluateOptions options = {});
  EvaluateResult evaluate(const std::vector<Tensor>& x, const Tensor& y, EvaluateOptions options = {});
  EvaluateResult evaluate(const NamedInputs& x, const Tensor& y, EvaluateOptions options = {});
  /// The outputs for x, batch by batch, concatenated.
  Tensor predict(const Tensor& x, PredictOptions options = {});
  /// predict for a model with several inputs: `model.predict({a, b})`.
  Tensor predict(const std::vector<Tensor>& x, PredictOptions options = {});
  /// predict by input name, or over a batched Dataset (a model with k inputs reads the first k
  /// components of each element; batch_size ignored).
  Tensor predict(const NamedInputs& x, PredictOptions options = {});
  Tensor predict(const data::Dataset& dataset, PredictOptions options = {});

  /// One optimization step on a batch (override to customize fit, as Keras's train_step).
  virtual void train_step(const Tensor& x, const Tensor& y);
  /// The step fit takes when given sample_weight or class_weight: the loss weighs each sample.
  /// (A custom train_step(x, y) alone is used for unweighted fits; override this one as well to
  /// see the weights, which Keras passes inside train_step's data.)
  virtual void train_step(const Tensor& x, const Tensor& y, const Tensor& sample_weight);
  /// One evaluation step on a batch.
  virtual void test_step(const Tensor& x, const Tensor& y);
  /// The outputs of one batch of inputs (one tensor per model input), what predict concatenates.
  virtual Tensor predict_step(const std::vector<Tensor>& x);
  /// The compiled loss of a batch plus the layers' losses (regularization, add_loss): what
  /// train_step minimizes; a custom train_step calls it (Keras's compute_loss).
  Tensor compute_loss(const Tensor& x, const Tensor& y, const Tensor& y_pred,
                      const std::optional<Tensor>& sample_weight = std::nullopt) const;
  /// The (B, T) mask Keras attaches to `output` when it is an output of this model's last call
  /// (Sequential and functional models pass masks on, Note [Masks]); compute_loss and the
  /// compiled mean metrics weigh the timesteps by it, as Keras 3 does. (model_masks.cpp)
  virtual std::optional<Tensor> output_mask(const Tensor& output) const;
  /// The metrics fit reports: the loss tracker ("loss") and the compiled metrics. Override to
  /// report metrics of one's own (Keras's `metrics` property).
  virtual std::vector<std::shared_ptr<metrics::Metric>> metrics() const;
  /// The current value of every metric, by the name it logs as (Keras's rule: a repeated name
  /// gets "_1", "_2", ...; a weighted metric's "weighted_" first).
  std::map<std::string, double> metrics_result() const;
  void reset_metrics();

  /// Prints the layer table as Keras 3 does (Model: "name", boxes, Total/Trainable params).
  void summary(std::ostream& os) const;
  void summary() const;
  /// The layers in order: a functional model's (InputLayers first, as Keras lists them),
  /// Sequential's, a subclassed model's (tracked with track_layer).
  virtual std::vector<std::shared_ptr<layers::Layer>> layers() const;
  std::string class_name() const override { return "Functional"; }
  /// The layer of that name among layers(), as Keras's get_layer(name): an InvalidArgumentError
  /// listing the names when there is none.
  std::shared_ptr<layers::Layer> get_layer(const std::string& name) const;
  /// The layer at that index of layers() (Keras's get_layer(index=i)).
  std::shared_ptr<layers::Layer> get_layer(int index) const;

  /// Trackable: a functional model's layers as Keras 3 checkpoints list them
  /// (`_operations/<i>`, InputLayers included); a subclassed model's tracked attributes.
  std::vector<TrackableReference> trackable_children() const override;
  /// A path ending in ".weights.h5" is written in Keras 3's HDF5 layout (layers and optimizer
  /// variables; keras.Model.load_weights reads it). Any other path gets the model's weights as
  /// a TensorFlow checkpoint (`<filepath>.index` + data), the model itself the root (Keras 2's
  /// TF-format save_weights). Both are atomic (temporary files renamed into place).
  void save_weights(const std::string& filepath) const;
  /// Restores save_weights' file (or Keras's .weights.h5). TF format: weights not built yet are
  /// restored when they are (deferred restoration). Mismatched shapes raise InvalidArgumentError
  /// naming the key or the HDF5 dataset; a damaged file DataLossError naming the file.
  void load_weights(const std::string& filepath);
  /// Keras 3's `.keras` zip, written atomically: metadata.json, config.json (the model's config
  /// with its compile_config) and model.weights.h5; keras.models.load_model reads it, and so does
  /// K::models::load_model (nn/models/keras_archive.h). Sequential and functional models whose
  /// layers have a Keras config (model_config.h); others raise UnimplementedError naming the layer.
  void save(const std::string& filepath) const;
  /// compile()'s options as given (what save() writes as compile_config); nullptr before compile().
  const CompileOptions* compile_options() const;

  /// Keras's model.export(filepath): a SavedModel for inference (TF Serving, tf.saved_model.load,
  /// TF1 loaders) whose endpoint `serve` runs the model in inference mode, also exported as the
  /// signatures "serve" and "serving_default" (inputs keyed by the K::Input names, outputs
  /// "output_0", ...). Named `export_` because `export` is a C++ keyword (protobuf's rule for
  /// keyword names). InvalidArgumentError when the input signature is unknown (a model built
  /// without K::Input: give options.input_signature). (model_export.cpp)
  void export_(const std::string& filepath, ExportOptions options = {}) const;

  optimizers::Optimizer& optimizer() const;
  bool compiled() const;
  /// Set by a callback (EarlyStopping) to end fit after the current epoch.
  bool stop_training = false;
  /// Set by a callback's on_train_begin (BackupAndRestore) to make fit start at this epoch
  /// (Keras's model._initial_epoch); fit consumes it.
  std::optional<int> resume_epoch;

 private:
  /// The number of inputs fit/evaluate/predict read from a Dataset element (1 unless functional).
  std::size_t input_count() const;
  /// x given by input name, in the order of the model's inputs.
  std::vector<Tensor> inputs_by_name(const std::map<std::string, Tensor>& x) const;
  /// One step on a multi-input batch (train_step/test_step take one input tensor).
  void multi_input_step(const std::vector<Tensor>& x, const Tensor& y, const std::optional<Tensor>& sample_weight,
                        bool training);
  EvaluateResult ordered_results() const;
  /// One step on a Dataset element: (inputs..., y[, sample_weight]), through the compiled
  /// train/test Function unless run eagerly (model_fit.cpp).
  void dataset_step(const data::Element& element, bool training, const char* caller);
  /// dataset_step's body: the overridable steps, called eagerly or while a Function traces.
  void run_step(const std::vector<Tensor>& element, bool training);
  /// predict_step on a batch, through the predict Function unless run eagerly.
  Tensor predict_batch(const std::vector<Tensor>& x);
  /// Whether fit/evaluate/predict steps run as Functions now.
  bool steps_traced() const;
  /// The predict Function (predict needs no compile); rebuilt for a copy of the model.
  struct PredictFunction;
  std::shared_ptr<PredictFunction> predict_function_;
  /// The epochs of every fit (tensors, several inputs, Datasets): callbacks and History, Keras's
  /// steps (steps_per_epoch), the progress bar, validation. (model_fit.cpp)
  callbacks::History fit_epochs(internal::BatchSource& train, const FitOptions& options);
  /// Evaluates the batches of `source` (steps: Keras's evaluate(steps=...)). (model_fit.cpp)
  EvaluateResult evaluate_batches(internal::BatchSource& source, const EvaluateOptions& options);
  /// validation_data as batches of (inputs..., y).
  data::Dataset validation_batches(const ValidationData& validation, int64_t batch_size) const;
  void weighted_train_step(const Tensor& x, const Tensor& y, const std::optional<Tensor>& sample_weight);
  /// evaluate's step on a (x, y, sample_weight) batch (evaluate with sample_weight).
  void weighted_test_step(const Tensor& x, const Tensor& y, const Tensor& sample_weight);
  /// Keras's apply_mask: the loss's sample weights with y_pred's output mask applied (the mask
  /// scaled by size / valid steps, so the mean runs over the kept steps). (model_masks.cpp)
  std::optional<Tensor> masked_loss_weight(const Tensor& y_pred, const std::optional<Tensor>& sample_weight) const;
  /// The compiled metrics' update (the weighted metrics' by sample_weight); a mean metric
  /// (accuracy, mse, ...) also weighs by y_pred's mask. (model_masks.cpp)
  void update_compiled_metrics(const Tensor& y, const Tensor& y_pred, const std::optional<Tensor>& sample_weight) const;
  /// metrics() with the names they log as (metrics_result's, evaluate's order).
  std::vector<std::pair<std::string, std::shared_ptr<metrics::Metric>>> named_metrics() const;
  struct Compiled;
  std::shared_ptr<Compiled> compiled_;
  std::shared_ptr<const internal::FunctionalGraph> graph_;  // functional models only
};

}  // namespace tapeflow::keras
