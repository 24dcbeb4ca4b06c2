#include "tapeflow/nn/models/model.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iostream>
#include <sstream>

#include "tapeflow/autograd/tape.h"
#include "tapeflow/core/dim_unify.h"
#include "tapeflow/core/logging.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/nn/layers/input_layer.h"
#include "tapeflow/nn/models/epoch_iterator.h"
#include "tapeflow/nn/models/functional.h"
#include "tapeflow/nn/models/keras_weights_h5.h"
#include "tapeflow/nn/models/sequential.h"
#include "tapeflow/serialization/object_graph.h"

namespace tapeflow::keras {

struct Model::Compiled {
  optimizers::AnyOptimizer optimizer;
  losses::AnyLoss loss;
  std::shared_ptr<metrics::Mean> loss_tracker = std::make_shared<metrics::Mean>(metrics::MetricOptions{.name = "loss"});
  std::vector<std::shared_ptr<metrics::Metric>> metrics, weighted_metrics;
  CompileOptions options;  // as given, for compile_config
  // Keras's train_function/test_function: made on first use, for the model that made them (a
  // copy of the model shares compiled_ but needs Functions of its own).
  const Model* owner = nullptr;
  std::optional<Function> train_function, test_function;
  bool optimizer_built = false;
};

struct Model::PredictFunction {
  const Model* owner = nullptr;
  Function function;
};

Model::Model(const std::string& default_name, layers::LayerOptions options) : Layer(default_name, std::move(options)) {}

Model::Model(KerasTensors inputs, KerasTensors outputs, ModelOptions options)
    : Layer("functional", {.name = options.name, .trainable = options.trainable}) {
  graph_ = std::make_shared<const internal::FunctionalGraph>(std::move(inputs), std::move(outputs), name());
  for (const auto& l : graph_->layers())
    if (!dynamic_cast<const layers::InputLayer*>(l.get())) track_module(l->name(), l);
  set_built(true);
}

Tensor Model::call(const Tensor& inputs, bool training) {
  if (!graph_) return Layer::call(inputs, training);
  auto out = graph_->run({inputs}, training);
  TF_CHECK_ARG(out.size() == 1, "", "Model \"", name(), "\" has ", out.size(), " outputs: use call_all()");
  return out[0];
}

Tensor Model::call(const std::vector<Tensor>& inputs, bool training) {
  if (!graph_) return Layer::call(inputs, training);
  auto out = graph_->run(inputs, training);
  TF_CHECK_ARG(out.size() == 1, "", "Model \"", name(), "\" has ", out.size(), " outputs: use call_all()");
  return out[0];
}

Tensor Model::call_masked(const Tensor& inputs, bool training, const std::optional<Tensor>& mask) {
  if (!graph_) return call(inputs, training);
  auto out = graph_->run({inputs}, training, {mask});
  TF_CHECK_ARG(out.size() == 1, "", "Model \"", name(), "\" has ", out.size(), " outputs: use call_all()");
  return out[0];
}

std::optional<Tensor> Model::compute_mask(const Tensor&, const std::optional<Tensor>&) const {
  return graph_ ? graph_->last_output_mask() : std::nullopt;
}

std::vector<Tensor> Model::call_all(const std::vector<Tensor>& inputs, std::optional<bool> training) {
  TF_CHECK_ARG(graph_ != nullptr, "", "Model \"", name(), "\": call_all() is for functional models");
  std::vector<Tensor> all;
  run_call(training, [&](bool train) {
    all = graph_->run(inputs, train);
    return all[0];
  });
  return all;
}

std::vector<TrackableReference> Model::trackable_children() const {
  if (!graph_) return Layer::trackable_children();
  std::vector<TrackableReference> ops;
  const auto& ls = graph_->layers();
  for (std::size_t i = 0; i < ls.size(); ++i) ops.push_back({std::to_string(i), ls[i], Variable()});
  return {{"_operations", std::make_shared<TrackableNode>(std::move(ops)), Variable()}};
}

void Model::save_weights(const std::string& filepath) const {
  if (internal::is_keras_weights_h5(filepath)) return internal::save_weights_h5(*this, filepath);
  serialization::write_object_graph_checkpoint(std::static_pointer_cast<Trackable>(clone()), filepath);
}

void Model::load_weights(const std::string& filepath) {
  if (internal::is_keras_weights_h5(filepath)) return internal::load_weights_h5(*this, filepath);
  serialization::restore_object_graph_checkpoint(std::static_pointer_cast<Trackable>(clone()), filepath);
}

std::vector<KerasTensor> Model::inputs() const { return graph_ ? graph_->inputs() : std::vector<KerasTensor>{}; }
std::vector<KerasTensor> Model::outputs() const { return graph_ ? graph_->outputs() : std::vector<KerasTensor>{}; }

std::vector<std::shared_ptr<layers::Layer>> Model::layers() const {
  return graph_ ? graph_->layers() : tracked_layers();
}

std::shared_ptr<layers::Layer> Model::get_layer(const std::string& layer_name) const {
  std::string names;
  for (const auto& l : layers()) {
    if (l->name() == layer_name) return l;
    names += (names.empty() ? "" : ", ") + l->name();
  }
  TF_THROW(InvalidArgumentError, "", "No such layer: ", layer_name, ". Existing layers are: [", names, "].");
}

std::shared_ptr<layers::Layer> Model::get_layer(int index) const {
  auto ls = layers();
  TF_CHECK_ARG(index >= 0 && std::size_t(index) < ls.size(), "", "Was asked to retrieve layer at index ", index,
               " but model only has ", ls.size(), " layers.");
  return ls[std::size_t(index)];
}

void Model::compile(CompileOptions options) {
  auto c = std::make_shared<Compiled>();
  c->optimizer = std::move(options.optimizer);
  c->loss = std::move(options.loss);
  const std::string loss_name = c->loss ? c->loss->name() : "";
  for (const auto& m : options.metrics) c->metrics.push_back(m.resolve(loss_name));
  for (const auto& m : options.weighted_metrics) c->weighted_metrics.push_back(m.resolve(loss_name));
  c->options = std::move(options);
  c->options.optimizer = c->optimizer;  // moved from above: the same handles
  c->options.loss = c->loss;
  compiled_ = std::move(c);
}

Tensor Model::compute_loss(const Tensor& x, const Tensor& y, const Tensor& y_pred,
                           const std::optional<Tensor>& sample_weight) const {
  optimizer();  // checks compile()
  TF_CHECK_ARG(static_cast<bool>(compiled_->loss), "", "Model \"", name(),
               "\": compile() was given no loss, so train_step/test_step must be overridden to compute one");
  Tensor loss = (*compiled_->loss)(y, y_pred, masked_loss_weight(y_pred, sample_weight));
  for (const Tensor& l : losses()) loss = loss + l;
  return loss;
}

std::vector<std::shared_ptr<metrics::Metric>> Model::metrics() const {
  if (!compiled_) return {};
  std::vector<std::shared_ptr<metrics::Metric>> out{compiled_->loss_tracker};
  out.insert(out.end(), compiled_->metrics.begin(), compiled_->metrics.end());
  out.insert(out.end(), compiled_->weighted_metrics.begin(), compiled_->weighted_metrics.end());
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<metrics::Metric>>> Model::named_metrics() const {
  // Keras 3's CompileMetrics.result(): a repeated name gets _1, _2, ...; a weighted metric whose
  // name is taken becomes weighted_<name> (then _1, ...).
  std::map<std::string, int> seen;
  std::vector<std::pair<std::string, std::shared_ptr<metrics::Metric>>> out;
  for (const auto& m : metrics()) {
    const bool weighted = compiled_ && std::find(compiled_->weighted_metrics.begin(), compiled_->weighted_metrics.end(),
                                                 m) != compiled_->weighted_metrics.end();
    std::string name = m->name();
    if (seen.count(name) && weighted) name = "weighted_" + name;
    if (int& n = seen[name]; n++ > 0) name += "_" + std::to_string(n - 1);
    out.emplace_back(name, m);
  }
  return out;
}

bool Model::compiled() const { return compiled_ != nullptr; }
const CompileOptions* Model::compile_options() const { return compiled_ ? &compiled_->options : nullptr; }

optimizers::Optimizer& Model::optimizer() const {
  TF_CHECK_TYPED(compiled_, FailedPreconditionError, "", "You must call `compile()` before using model \"", name(),
                 "\"");
  return *compiled_->optimizer;
}

void Model::train_step(const Tensor& x, const Tensor& y) { weighted_train_step(x, y, std::nullopt); }

void Model::train_step(const Tensor& x, const Tensor& y, const Tensor& sample_weight) {
  weighted_train_step(x, y, sample_weight);
}

void Model::weighted_train_step(const Tensor& x, const Tensor& y, const std::optional<Tensor>& sample_weight) {
  GradientTape tape;
  Tensor y_pred = (*this)(x, true);
  Tensor loss = compute_loss(x, y, y_pred, sample_weight);
  tape.stop();
  auto vars = trainable_variables();
  // A frozen model still reports its loss and metrics, as Keras's train_step does (with a warning).
  if (vars.empty()) {
    static std::atomic<bool> warned{false};  // Python shows a warning once
    if (!warned.exchange(true)) logging::warning("The model does not have any trainable weights.");
  } else {
    compiled_->optimizer->apply_gradients(tape.gradient(loss, vars), vars);
  }
  // Keras 3 weights the running loss by the batch size.
  compiled_->loss_tracker->update_state(loss, dim_size(x, 0, DType::kFloat32));
  update_compiled_metrics(y, y_pred, sample_weight);
}

void Model::test_step(const Tensor& x, const Tensor& y) {
  Tensor y_pred = (*this)(x, false);
  Tensor loss = compute_loss(x, y, y_pred);
  compiled_->loss_tracker->update_state(loss, dim_size(x, 0, DType::kFloat32));
  update_compiled_metrics(y, y_pred, std::nullopt);
}

void Model::weighted_test_step(const Tensor& x, const Tensor& y, const Tensor& sample_weight) {
  Tensor y_pred = (*this)(x, false);
  Tensor loss = compute_loss(x, y, y_pred, sample_weight);
  compiled_->loss_tracker->update_state(loss, dim_size(x, 0, DType::kFloat32));
  update_compiled_metrics(y, y_pred, sample_weight);  // `metrics` unweighted, as Keras 3's
}

Tensor Model::predict_step(const std::vector<Tensor>& x) {
  return x.size() == 1 ? (*this)(x[0], false) : (*this)(x, false);
}

// Note [Steps as Functions]: Keras 3 runs fit's, evaluate's and predict's steps as tf.functions
// unless compile(run_eagerly=True). Here each is a tf::Function made once per compile (predict's
// once per model), whose body is the overridable step itself, so an overridden train_step is
// traced too; optimizer and metric state are variables, updated in the graph (Note [Optimizers
// in tf::function]). They are traced with reduce_retracing, as Keras's: full batches trace once
// with exact shapes, and the first batch of another size traces once more with the batch as
// None, which every later size reuses (a last partial batch of each epoch, another batch_size).
// So nothing in a step may need the batch size at trace time: the loss tracker counts it with
// dim_size, losses and metrics with element_count, BatchNormalization its n likewise, and
// Dropout draws the call's mask (Note [Random ops in graphs]). A step that reads a value on the
// host cannot be traced: its error says to compile with run_eagerly.
bool Model::steps_traced() const {
  return !(compiled_ && compiled_->options.run_eagerly) && !config::functions_run_eagerly();
}

namespace {
template <typename F> auto with_eager_hint(const Model& model, const char* step, F&& run) {
  try {
    return run();
  } catch (const errors::FailedPreconditionError& e) {
    if (e.message().find("while it is being traced") == std::string::npos) throw;
    TF_THROW(FailedPreconditionError, "", e.message(), "\n(model \"", model.name(), "\" runs ", step,
             " as a tf.function; compile it with {.run_eagerly = true} to run it eagerly)");
  }
}
}  // namespace

void Model::dataset_step(const data::Element& e, bool training, const char* caller) {
  const std::size_t k = input_count();
  TF_CHECK_ARG(e.size() == k + 1 || e.size() == k + 2, "", caller,
               ": a dataset element must be (x, y) or (x, y, sample_weight) with x made of the model's ", k,
               " input(s); got ", e.size(), " components");
  std::vector<Tensor> element(e.begin(), e.end());
  // As Keras's symbolic build before the first step, in both modes: the model's weights, then the
  // optimizer's slots, so that a traced step creates no variable (it would be traced twice).
  if (!built()) {
    ProbeScope building;  // a build, not a step: stateful layers keep their state
    Model::predict_step(std::vector<Tensor>(element.begin(), element.begin() + std::ptrdiff_t(k)));
  }
  if (training && !compiled_->optimizer_built) {
    compiled_->optimizer->build(trainable_variables());
    compiled_->optimizer_built = true;
  }
  if (!steps_traced()) return run_step(element, training);
  if (compiled_->owner != this) {
    compiled_->train_function.reset();
    compiled_->test_function.reset();
    compiled_->owner = this;
  }
  std::optional<Function>& f = training ? compiled_->train_function : compiled_->test_function;
  if (!f)
    f = function([this, training](const std::vector<Tensor>& parts) { run_step(parts, training); },
                 {.reduce_retracing = true, .name = training ? "train_function" : "test_function"});
  with_eager_hint(*this, training ? "train_step" : "test_step", [&] { (*f)(element); });
}

void Model::run_step(const std::vector<Tensor>& e, bool training) {
  const std::size_t k = input_count();
  const bool weighted = e.size() == k + 2;
  const Tensor& y = e[k];
  if (k == 1) {  // the overridable steps
    if (!training && weighted)
      weighted_test_step(e[0], y, e[k + 1]);
    else if (!training)
      test_step(e[0], y);
    else if (weighted)
      train_step(e[0], y, e[k + 1]);
    else
      train_step(e[0], y);
    return;
  }
  multi_input_step(std::vector<Tensor>(e.begin(), e.begin() + std::ptrdiff_t(k)), y,
                   weighted ? std::optional<Tensor>(e[k + 1]) : std::nullopt, training);
}

Tensor Model::predict_batch(const std::vector<Tensor>& x) {
  if (!steps_traced()) return predict_step(x);
  if (!built()) {  // builds the weights outside the trace (a build, not a step: stateful layers keep their state)
    ProbeScope building;
    Model::predict_step(x);
  }
  if (!predict_function_ || predict_function_->owner != this)
    predict_function_ = std::make_shared<PredictFunction>(
        PredictFunction{this, function([this](const std::vector<Tensor>& batch) { return predict_step(batch); },
                                       {.reduce_retracing = true, .name = "predict_function"})});
  return with_eager_hint(*this, "predict_step", [&] { return predict_function_->function(x).tensor(); });
}

std::map<std::string, double> Model::metrics_result() const {
  std::map<std::string, double> out;
  for (const auto& [name, m] : named_metrics()) out[name] = m->result().item<float>();
  return out;
}

void Model::reset_metrics() {
  for (auto& m : metrics()) m->reset_state();
}

namespace {
void check_cardinality(const Tensor& x, const Tensor& y) {
  if (x.ndim() == 0 || y.ndim() == 0 || x.shape()[0] != y.shape()[0])
    TF_THROW(InvalidArgumentError, "",
             "Data cardinality is ambiguous. Make sure all arrays contain the same number "
             "of samples. 'x' sizes: ",
             x.ndim() ? x.shape()[0] : 0, " 'y' sizes: ", y.ndim() ? y.shape()[0] : 0);
}

Tensor rows(const Tensor& t, int64_t begin, int64_t end) { return t[slice(begin, end)]; }

// evaluate's sample_weight: one weight per sample.
const Tensor& checked_sample_weight(const Tensor& w, int64_t n, const char* caller) {
  TF_CHECK_ARG(w.ndim() >= 1 && w.shape()[0] == n, "", caller, ": sample_weight must hold one weight per sample (", n,
               "), got shape ", w.shape().to_string());
  return w;
}

// Keras's class_weight: each sample weighs its class's weight (labels (N,)/(N, 1) as integers,
// one-hot (N, C) by argmax; a class left out of the map weighs 1, one above its largest key
// is an error, as Keras's lookup table).
Tensor class_weights_to_sample_weights(const std::map<int64_t, double>& class_weight, const Tensor& y) {
  Tensor classes =
      y.ndim() > 1 && y.shape().dim(-1) != 1 ? argmax(y, -1) : cast(round(cast(y, DType::kFloat64)), DType::kInt64);
  const std::vector<int64_t> ids = reshape(classes, Shape{classes.size()}).to_vector<int64_t>();
  const int64_t max_key = class_weight.rbegin()->first;
  std::vector<float> w;
  w.reserve(ids.size());
  for (int64_t c : ids) {
    TF_CHECK_ARG(c >= 0 && c <= max_key, "", "fit: class_weight has no entry for class ", c, " (its largest class is ",
                 max_key, ")");
    auto it = class_weight.find(c);
    w.push_back(it == class_weight.end() ? 1.0f : static_cast<float>(it->second));
  }
  return constant(w, Shape{int64_t(w.size())}, DType::kFloat32);
}

}  // namespace

callbacks::History Model::fit(const Tensor& x, const Tensor& y, FitOptions options) {
  optimizer();  // checks compile()
  check_cardinality(x, y);
  TF_CHECK_ARG(options.batch_size > 0, "", "fit: batch_size must be positive, got ", options.batch_size);
  TF_CHECK_ARG(options.validation_split >= 0 && options.validation_split < 1, "",
               "fit: validation_split must be in [0, 1), got ", options.validation_split);
  TF_CHECK_ARG(!(options.sample_weight && !options.class_weight.empty()), "",
               "You cannot `class_weight` and `sample_weight` at the same time.");
  const int64_t n = x.shape()[0];
  if (options.sample_weight) {
    TF_CHECK_ARG(options.sample_weight->ndim() >= 1 && options.sample_weight->shape()[0] == n, "",
                 "fit: sample_weight must hold one weight per sample (", n, "), got shape ",
                 options.sample_weight->shape().to_string());
    TF_CHECK_TYPED(options.validation_split == 0, UnimplementedError, "",
                   "fit: validation_split with sample_weight (weighted validation) is not supported yet; pass "
                   "validation_data");
  }
  Tensor x_train = x, y_train = y;
  if (!options.validation_data && options.validation_split > 0) {
    const auto split_at = static_cast<int64_t>(std::floor(double(n) * (1.0 - options.validation_split)));
    x_train = rows(x, 0, split_at);
    y_train = rows(y, 0, split_at);
    options.validation_data = std::pair{rows(x, split_at, n), rows(y, split_at, n)};
  }
  std::optional<Tensor> weights = options.sample_weight;
  if (!options.class_weight.empty()) weights = class_weights_to_sample_weights(options.class_weight, y_train);
  std::vector<Tensor> columns{x_train, y_train};
  if (weights) columns.push_back(*weights);
  internal::TensorBatches batches(std::move(columns), options.batch_size, options.shuffle);
  return fit_epochs(batches, options);
}

EvaluateResult Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options) {
  optimizer();
  check_cardinality(x, y);
  TF_CHECK_ARG(options.batch_size > 0, "", "evaluate: batch_size must be positive, got ", options.batch_size);
  std::vector<Tensor> columns{x, y};
  if (options.sample_weight) columns.push_back(checked_sample_weight(*options.sample_weight, x.shape()[0], "evaluate"));
  internal::TensorBatches batches(std::move(columns), options.batch_size, /*shuffle=*/false);
  return evaluate_batches(batches, options);
}

Tensor Model::predict(const Tensor& x, PredictOptions options) {
  TF_CHECK_ARG(x.ndim() > 0, "", "predict: x must have a batch axis, got shape ", x.shape().to_string());
  TF_CHECK_ARG(options.batch_size > 0, "", "predict: batch_size must be positive, got ", options.batch_size);
  const int64_t n = x.shape()[0];
  std::vector<Tensor> outs;
  for (int64_t b = 0; b < n; b += options.batch_size)
    outs.push_back(predict_batch({rows(x, b, std::min(n, b + options.batch_size))}));
  return outs.size() == 1 ? outs[0] : concat(outs, 0);
}

Tensor Model::predict(const std::vector<Tensor>& x, PredictOptions options) {
  TF_CHECK_ARG(!x.empty(), "", "predict: no inputs given");
  TF_CHECK_ARG(options.batch_size > 0, "", "predict: batch_size must be positive, got ", options.batch_size);
  for (const Tensor& t : x) {
    TF_CHECK_ARG(t.ndim() > 0, "", "predict: every input must have a batch axis, got shape ", t.shape().to_string());
    TF_CHECK_ARG(t.shape()[0] == x[0].shape()[0], "",
                 "Data cardinality is ambiguous. Make sure all arrays contain the "
                 "same number of samples. 'x' sizes: ",
                 x[0].shape()[0], ", ", t.shape()[0]);
  }
  const int64_t n = x[0].shape()[0];
  std::vector<Tensor> outs;
  for (int64_t b = 0; b < n; b += options.batch_size) {
    std::vector<Tensor> batch;
    for (const Tensor& t : x) batch.push_back(rows(t, b, std::min(n, b + options.batch_size)));
    outs.push_back(predict_batch(batch));
  }
  return outs.size() == 1 ? outs[0] : concat(outs, 0);
}

namespace {
std::string with_commas(int64_t n) {
  // Built front to back (no insert into the middle: GCC 12 warns falsely, -Wrestrict, there).
  const std::string digits = std::to_string(n);
  const std::size_t first = digits[0] == '-' ? 1 : 0;
  std::string s = digits.substr(0, first);
  for (std::size_t i = first; i < digits.size(); ++i) {
    if (i > first && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

// Keras's readable_memory_size: 1024-based units with two decimals.
std::string memory_size(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %s", bytes, units[u]);
  return buf;
}

std::string shape_text(const std::optional<Shape>& s) { return s ? s->to_string() : "?"; }

// What Keras shows as a layer's output shape: its last functional node's (a list of them for a
// layer with several outputs: "[(None, 4), (None, 4)]"); else, in a subclassed model, the shape
// of the call that built it (batch included); else (Sequential, whose layers Keras calls
// symbolically) the last call's with batch None.
std::string shown_output_shape(const layers::Layer& layer, bool subclassed) {
  auto nodes = layer.inbound_nodes();
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it)
    if (*it) {
      const std::vector<Shape>& shapes = (*it)->output_shapes;
      if (shapes.size() == 1) return shapes[0].to_string();
      std::string out = "[";
      for (std::size_t i = 0; i < shapes.size(); ++i) out += (i ? ", " : "") + shapes[i].to_string();
      return out + "]";
    }
  return shape_text(subclassed ? layer.build_output_shape() : layer.output_shape());
}

std::string repeat(const char* s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string rstrip(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// rich's word wrap (Keras renders the summary with rich): words keep their trailing spaces, a
// word that does not fit goes to the next line, and a word longer than the column is cropped
// with an ellipsis. Each line is padded to `width` (text is ASCII).
std::vector<std::string> wrap_cell(const std::string& text, int width, bool right) {
  std::vector<std::string> words;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t j = text.find_first_not_of(' ', i);
    j = j == std::string::npos ? text.size() : text.find(' ', j);
    j = j == std::string::npos ? text.size() : text.find_first_not_of(' ', j);
    if (j == std::string::npos) j = text.size();
    words.push_back(text.substr(i, j - i));
    i = j;
  }
  std::vector<std::string> lines{""};
  for (std::size_t w = 0; w < words.size(); ++w) {
    const int word_len = int(rstrip(words[w]).size()), offset = int(lines.back().size());
    if (width - offset < word_len && w > 0 && (word_len > width || offset > 0)) lines.emplace_back();
    lines.back() += words[w];
  }
  for (std::string& line : lines) {
    line = rstrip(line);
    int cells = int(line.size());
    if (cells > width) {
      line = line.substr(0, std::size_t(width - 1)) + "…";
      cells = width;
    }
    const std::string pad(std::size_t(width - cells), ' ');
    line = right ? pad + line : line + pad;
  }
  return lines;
}
}  // namespace

void Model::summary(std::ostream& os) const {
  // Keras 3 prints with rich at 76 characters (its default 88 or 108, capped by the 80-column
  // terminal rich assumes when printing to a file, minus 4): Keras's column positions, shrunk
  // equally by rich to make room for borders and padding.
  const bool connected = graph_ && !graph_->sequential_like();
  const bool subclassed = !graph_ && !dynamic_cast<const Sequential*>(this);
  struct Column {
    const char* header;
    int width;
    bool right;
  };
  const std::vector<Column> cols =
      connected ? std::vector<Column>{{"Layer (type)", 19, false},
                                      {"Output Shape", 17, false},
                                      {"Param #", 10, true},
                                      {"Connected to", 17, false}}
                : std::vector<Column>{{"Layer (type)", 31, false}, {"Output Shape", 22, false}, {"Param #", 13, true}};
  auto rule = [&](const char* l, const char* fill, const char* mid, const char* r) {
    os << l;
    for (std::size_t c = 0; c < cols.size(); ++c) os << (c ? mid : "") << repeat(fill, cols[c].width + 2);
    os << r << "\n";
  };
  auto row = [&](const std::vector<std::string>& cells, const char* bar) {
    std::vector<std::vector<std::string>> wrapped;
    std::size_t height = 0;
    for (std::size_t c = 0; c < cols.size(); ++c) {
      wrapped.push_back(wrap_cell(cells[c], cols[c].width, cols[c].right));
      height = std::max(height, wrapped.back().size());
    }
    for (std::size_t line = 0; line < height; ++line) {
      for (std::size_t c = 0; c < cols.size(); ++c)
        os << bar << " " << (line < wrapped[c].size() ? wrapped[c][line] : std::string(std::size_t(cols[c].width), ' '))
           << " ";
      os << bar << "\n";
    }
  };
  os << "Model: \"" << name() << "\"\n";
  rule("┏", "━", "┳", "┓");
  std::vector<std::string> header;
  for (const auto& c : cols) header.push_back(c.header);
  row(header, "┃");
  rule("┡", "━", "╇", "┩");
  auto ls = layers();
  for (std::size_t i = 0; i < ls.size(); ++i) {
    const auto& l = *ls[i];
    std::vector<std::string> cells{l.name() + " (" + l.class_name() + ")",
                                   shown_output_shape(l, subclassed),
                                   l.built() ? with_commas(l.count_params()) : "0 (unbuilt)"};
    if (connected) cells.push_back(graph_->connections(l));
    row(cells, "│");
    if (i + 1 < ls.size()) rule("├", "─", "┼", "┤");
  }
  rule("└", "─", "┴", "┘");
  auto bytes = [](const std::vector<Variable>& vs) {
    int64_t n = 0;
    double b = 0;
    for (const Variable& v : vs) {
      n += v.shape().num_elements();
      b += double(v.shape().num_elements()) * double(dtype_size(v.dtype()));
    }
    return std::make_pair(n, b);
  };
  auto [total, total_b] = bytes(variables());
  auto [trainable, trainable_b] = bytes(trainable_variables());
  auto [frozen, frozen_b] = bytes(non_trainable_variables());
  os << " Total params: " << with_commas(total) << " (" << memory_size(total_b) << ")\n";
  os << " Trainable params: " << with_commas(trainable) << " (" << memory_size(trainable_b) << ")\n";
  os << " Non-trainable params: " << with_commas(frozen) << " (" << memory_size(frozen_b) << ")\n";
}

void Model::summary() const { summary(std::cout); }

}  // namespace tapeflow::keras
