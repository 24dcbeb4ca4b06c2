#include "tapeflow/nn/models/model.h"

#include <algorithm>
#include <iostream>
#include <numeric>
#include <random>
#include <sstream>

#include "tapeflow/autograd/tape.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/random.h"
#include "tapeflow/nn/models/progbar.h"

namespace tapeflow::keras {

struct Model::Compiled {
  optimizers::AnyOptimizer optimizer;
  losses::AnyLoss loss;
  metrics::Mean loss_tracker{metrics::MetricOptions{.name = "loss"}};
  std::vector<std::shared_ptr<metrics::Metric>> metrics;
};

Model::Model(const std::string& default_name, layers::LayerOptions options) : Layer(default_name, std::move(options)) {}

void Model::compile(CompileOptions options) {
  TF_CHECK_ARG(static_cast<bool>(options.loss), "", "Model \"", name(), "\": compile() needs a loss");
  auto c = std::make_shared<Compiled>();
  c->optimizer = std::move(options.optimizer);
  c->loss = std::move(options.loss);
  for (const auto& m : options.metrics) c->metrics.push_back(m.resolve(c->loss->name()));
  compiled_ = std::move(c);
}

bool Model::compiled() const { return compiled_ != nullptr; }

optimizers::Optimizer& Model::optimizer() const {
  TF_CHECK_TYPED(compiled_, FailedPreconditionError, "", "You must call `compile()` before using model \"", name(), "\"");
  return *compiled_->optimizer;
}

void Model::train_step(const Tensor& x, const Tensor& y) {
  GradientTape tape;
  Tensor y_pred = (*this)(x, true);
  Tensor loss = (*compiled_->loss)(y, y_pred);
  for (const Tensor& l : losses()) loss = loss + l;
  tape.stop();
  auto vars = trainable_variables();
  compiled_->optimizer->apply_gradients(tape.gradient(loss, vars), vars);
  // Keras 3 weights the running loss by the batch size.
  compiled_->loss_tracker.update_state(loss, scalar_tensor(static_cast<double>(x.shape()[0]), DType::kFloat32));
  for (auto& m : compiled_->metrics) m->update_state(y, y_pred);
}

void Model::test_step(const Tensor& x, const Tensor& y) {
  Tensor y_pred = (*this)(x, false);
  Tensor loss = (*compiled_->loss)(y, y_pred);
  for (const Tensor& l : losses()) loss = loss + l;
  compiled_->loss_tracker.update_state(loss, scalar_tensor(static_cast<double>(x.shape()[0]), DType::kFloat32));
  for (auto& m : compiled_->metrics) m->update_state(y, y_pred);
}

std::map<std::string, double> Model::metrics_result() const {
  std::map<std::string, double> out;
  if (!compiled_) return out;
  out["loss"] = compiled_->loss_tracker.result().item<float>();
  for (const auto& m : compiled_->metrics) out[m->name()] = m->result().item<float>();
  return out;
}

void Model::reset_metrics() {
  if (!compiled_) return;
  compiled_->loss_tracker.reset_state();
  for (auto& m : compiled_->metrics) m->reset_state();
}

namespace {
void check_cardinality(const Tensor& x, const Tensor& y) {
  if (x.ndim() == 0 || y.ndim() == 0 || x.shape()[0] != y.shape()[0])
    TF_THROW(InvalidArgumentError, "", "Data cardinality is ambiguous. Make sure all arrays contain the same number "
             "of samples. 'x' sizes: ", x.ndim() ? x.shape()[0] : 0, " 'y' sizes: ", y.ndim() ? y.shape()[0] : 0);
}

Tensor rows(const Tensor& t, int64_t begin, int64_t end) { return t[slice(begin, end)]; }

Tensor take(const Tensor& t, const std::vector<int64_t>& order, int64_t begin, int64_t end) {
  std::vector<int64_t> idx(order.begin() + begin, order.begin() + end);
  return gather(t, constant(idx, Shape{end - begin}, DType::kInt64));
}

// Shuffles follow tf.random's global seed when one is set, so a seeded program repeats.
std::mt19937_64 make_shuffle_rng() {
  auto seeds = random::get_seed(std::nullopt);
  return seeds ? std::mt19937_64(uint64_t(seeds->first) * 0x9E3779B97F4A7C15ull ^ uint64_t(seeds->second))
               : std::mt19937_64(std::random_device{}());
}
}  // namespace

callbacks::History Model::fit(const Tensor& x, const Tensor& y, FitOptions options) {
  optimizer();  // checks compile()
  check_cardinality(x, y);
  TF_CHECK_ARG(options.batch_size > 0, "", "fit: batch_size must be positive, got ", options.batch_size);
  TF_CHECK_ARG(options.validation_split >= 0 && options.validation_split < 1, "",
               "fit: validation_split must be in [0, 1), got ", options.validation_split);
  const int64_t n = x.shape()[0];
  Tensor x_train = x, y_train = y;
  std::optional<std::pair<Tensor, Tensor>> val = options.validation_data;
  if (!val && options.validation_split > 0) {
    const auto split_at = static_cast<int64_t>(std::floor(double(n) * (1.0 - options.validation_split)));
    x_train = rows(x, 0, split_at);
    y_train = rows(y, 0, split_at);
    val = std::make_pair(rows(x, split_at, n), rows(y, split_at, n));
  }
  if (val) check_cardinality(val->first, val->second);
  const int64_t n_train = x_train.shape()[0];
  const int64_t steps = (n_train + options.batch_size - 1) / options.batch_size;

  auto history = std::make_shared<callbacks::History>();
  std::vector<callbacks::Callback*> cbs;
  for (auto& c : options.callbacks) cbs.push_back(c.operator->());
  cbs.push_back(history.get());
  for (auto* c : cbs) c->set_model(this);
  stop_training = false;
  for (auto* c : cbs) c->on_train_begin({});

  std::mt19937_64 rng = make_shuffle_rng();
  std::vector<int64_t> order(static_cast<std::size_t>(n_train));
  callbacks::Logs logs;
  for (int epoch = options.initial_epoch; epoch < options.epochs && !stop_training; ++epoch) {
    for (auto* c : cbs) c->on_epoch_begin(epoch, {});
    if (options.verbose) std::printf("Epoch %d/%d\n", epoch + 1, options.epochs);
    std::iota(order.begin(), order.end(), 0);
    if (options.shuffle) std::shuffle(order.begin(), order.end(), rng);
    reset_metrics();
    detail::Progbar bar(steps, options.verbose);
    for (int64_t step = 0; step < steps; ++step) {
      const int64_t b = step * options.batch_size, e = std::min(n_train, b + options.batch_size);
      for (auto* c : cbs) c->on_train_batch_begin(int(step), {});
      if (options.shuffle) train_step(take(x_train, order, b, e), take(y_train, order, b, e));
      else train_step(rows(x_train, b, e), rows(y_train, b, e));
      bar.update(step + 1, [&] { return metrics_result(); });
      if (cbs.size() > 1)
        for (auto* c : cbs) c->on_train_batch_end(int(step), {});
    }
    logs = metrics_result();
    if (val) {
      for (const auto& [k, v] : evaluate(val->first, val->second, {.batch_size = options.batch_size, .verbose = 0}))
        logs["val_" + k] = v;
    }
    bar.finish(logs);
    for (auto* c : cbs) c->on_epoch_end(epoch, logs);
  }
  for (auto* c : cbs) c->on_train_end(logs);
  return *history;
}

std::map<std::string, double> Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions options) {
  optimizer();
  check_cardinality(x, y);
  TF_CHECK_ARG(options.batch_size > 0, "", "evaluate: batch_size must be positive, got ", options.batch_size);
  const int64_t n = x.shape()[0];
  const int64_t steps = (n + options.batch_size - 1) / options.batch_size;
  reset_metrics();
  detail::Progbar bar(steps, options.verbose);
  for (int64_t step = 0; step < steps; ++step) {
    const int64_t b = step * options.batch_size, e = std::min(n, b + options.batch_size);
    test_step(rows(x, b, e), rows(y, b, e));
    bar.update(step + 1, [&] { return metrics_result(); });
  }
  auto result = metrics_result();
  bar.finish(result);
  return result;
}

Tensor Model::predict(const Tensor& x, PredictOptions options) {
  TF_CHECK_ARG(x.ndim() > 0, "", "predict: x must have a batch axis, got shape ", x.shape().to_string());
  TF_CHECK_ARG(options.batch_size > 0, "", "predict: batch_size must be positive, got ", options.batch_size);
  const int64_t n = x.shape()[0];
  std::vector<Tensor> outs;
  for (int64_t b = 0; b < n; b += options.batch_size) outs.push_back((*this)(rows(x, b, std::min(n, b + options.batch_size)), false));
  return outs.size() == 1 ? outs[0] : concat(outs, 0);
}

std::vector<Tensor> Model::get_weights() const {
  std::vector<Tensor> out;
  for (const Variable& v : variables()) out.push_back(v.read_value());
  return out;
}

void Model::set_weights(const std::vector<Tensor>& weights) {
  auto vars = variables();
  TF_CHECK_ARG(weights.size() == vars.size(), "", "Model \"", name(), "\": set_weights got ", weights.size(),
               " arrays for ", vars.size(), " weights");
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i].assign(weights[i]);
}

namespace {
std::string with_commas(int64_t n) {
  std::string s = std::to_string(n);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
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

std::string shape_text(const std::optional<Shape>& s) {
  if (!s) return "?";
  std::string out = "(";
  for (int i = 0; i < s->rank(); ++i) out += (i ? ", " : "") + ((*s)[i] < 0 ? std::string("None") : std::to_string((*s)[i]));
  return out + (s->rank() == 1 ? ",)" : ")");
}

std::string repeat(const char* s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// A cell padded to `width` characters, left or right aligned (text is ASCII).
std::string cell(const std::string& text, int width, bool right) {
  std::string t = text.size() > std::size_t(width) ? text.substr(0, std::size_t(width) - 1) + "…" : text;
  std::string pad(std::size_t(width) - std::min<std::size_t>(std::size_t(width), text.size()), ' ');
  return right ? pad + t : t + pad;
}
// The lines of a table cell as rich (which Keras's summary uses) wraps them: words packed
// greedily, a word wider than the cell folded at its width.
std::vector<std::string> wrap(const std::string& text, int width) {
  const auto w = static_cast<std::size_t>(width);
  std::vector<std::string> lines;
  std::string line;
  std::istringstream words(text);
  for (std::string word; words >> word;) {
    if (!line.empty() && line.size() + 1 + word.size() <= w) {
      line += " " + word;
      continue;
    }
    if (!line.empty()) lines.push_back(line);
    for (; word.size() > w; word = word.substr(w)) lines.push_back(word.substr(0, w));
    line = word;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}
}  // namespace

void Model::summary(std::ostream& os) const {
  // Keras 3's table: columns of 31, 22 and 13 characters between one-space margins.
  const int w[3] = {31, 22, 13};
  auto rule = [&](const char* l, const char* fill, const char* mid, const char* r) {
    os << l << repeat(fill, w[0] + 2) << mid << repeat(fill, w[1] + 2) << mid << repeat(fill, w[2] + 2) << r << "\n";
  };
  os << "Model: \"" << name() << "\"\n";
  rule("┏", "━", "┳", "┓");
  os << "┃ " << cell("Layer (type)", w[0], false) << " ┃ " << cell("Output Shape", w[1], false) << " ┃ "
     << cell("Param #", w[2], true) << " ┃\n";
  rule("┡", "━", "╇", "┩");
  auto ls = layers();
  for (std::size_t i = 0; i < ls.size(); ++i) {
    const auto& l = *ls[i];
    const std::vector<std::string> text[3] = {wrap(l.name() + " (" + l.class_name() + ")", w[0]),
                                              wrap(shape_text(l.output_shape()), w[1]),
                                              wrap(l.built() ? with_commas(l.count_params()) : "0 (unbuilt)", w[2])};
    const std::size_t lines = std::max({text[0].size(), text[1].size(), text[2].size()});
    for (std::size_t j = 0; j < lines; ++j) {
      auto part = [&](int c) { return j < text[c].size() ? text[c][j] : std::string(); };
      os << "│ " << cell(part(0), w[0], false) << " │ " << cell(part(1), w[1], false) << " │ "
         << cell(part(2), w[2], true) << " │\n";
    }
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
