#include "tapeflow/nn/losses.h"

#include "tapeflow/core/dim_unify.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/softmax.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::keras::losses {

namespace {
constexpr double kEpsilon = 1e-7;  // Keras's backend.epsilon()

Tensor as_dtype(const Tensor& t, DType dt) { return t.dtype() == dt ? t : cast(t, dt); }

std::string or_default(const std::string& name, const char* fallback) { return name.empty() ? fallback : name; }
}  // namespace

Loss::Loss(std::string name, LossOptions options) : name_(std::move(name)), reduction_(std::move(options.reduction)) {
  TF_CHECK_ARG(
      reduction_ == "sum_over_batch_size" || reduction_ == "sum" || reduction_ == "mean" || reduction_ == "none", "",
      "Invalid value for argument `reduction`. Expected one of {'sum_over_batch_size', 'sum', 'mean', "
      "'none'}. Received: reduction=",
      reduction_);
}

void Loss::check_batch(const Tensor& y_true, const Tensor& y_pred) const {
  if (y_true.ndim() > 0 && y_pred.ndim() > 0 && !dims_match(y_true.shape()[0], y_pred.shape()[0]))
    TF_THROW(InvalidArgumentError, "", "Loss \"", name_,
             "\": y_true and y_pred must hold the same number of samples. "
             "Received: y_true.shape=",
             y_true.shape().to_string(), ", y_pred.shape=", y_pred.shape().to_string());
}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const std::optional<Tensor>& sample_weight) const {
  check_batch(y_true, y_pred);
  Tensor values = call(y_true, y_pred);
  Tensor weights;
  if (sample_weight) {
    Tensor sw = as_dtype(*sample_weight, values.dtype());
    // A (B, 1) weight against (B,) losses: Keras squeezes or expands to the same rank.
    if (sw.ndim() == values.ndim() + 1 && sw.shape().dim(-1) == 1) sw = squeeze(sw, {-1});
    values = values * sw;
    weights = broadcast_to(sw, values.shape());
  }
  if (reduction_ == "none") return values;
  Tensor total = reduce_sum(values);
  if (reduction_ == "sum") return total;
  if (reduction_ == "mean" && weights.defined()) return total / reduce_sum(weights);
  if (!values.shape().is_fully_defined())  // a None batch while tracing: counted at each call
    return total / maximum(element_count(values, total.dtype()), scalar_tensor(1, total.dtype()));
  return total / static_cast<double>(std::max<int64_t>(values.size(), 1));
}

namespace {
void check_same_shape(const char* loss, const Tensor& t, const Tensor& y_pred) {
  TF_CHECK_ARG(shapes_match(t.shape(), y_pred.shape()), "", "Loss \"", loss,
               "\": Arguments `target` and `output` must have the "
               "same shape. Received: target.shape=",
               t.shape().to_string(), ", output.shape=", y_pred.shape().to_string());
}
}  // namespace

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred) {
  return reduce_mean(squared_difference(as_dtype(y_true, y_pred.dtype()), y_pred), -1);
}

Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred) {
  return reduce_mean(abs(y_pred - as_dtype(y_true, y_pred.dtype())), -1);
}

Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta) {
  TF_CHECK_ARG(delta > 0, "", "Loss \"huber_loss\": delta must be positive, got ", delta);
  Tensor error = y_pred - as_dtype(y_true, y_pred.dtype());
  Tensor abs_error = abs(error);
  Tensor quadratic = square(error) * 0.5;
  Tensor linear = abs_error * delta - 0.5 * delta * delta;
  return reduce_mean(where(less_equal(abs_error, delta), quadratic, linear), -1);
}

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits) {
  Tensor t = as_dtype(y_true, y_pred.dtype());
  check_same_shape("binary_crossentropy", t, y_pred);
  Tensor bce;
  if (from_logits) {
    bce = nn::sigmoid_cross_entropy_with_logits(t, y_pred);
  } else {
    Tensor p = clip_by_value(y_pred, kEpsilon, 1.0 - kEpsilon);
    bce = -(t * log(p) + (1.0 - t) * log(1.0 - p));
  }
  return reduce_mean(bce, -1);
}

Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits) {
  Tensor t = as_dtype(y_true, y_pred.dtype());
  check_same_shape("categorical_crossentropy", t, y_pred);
  if (from_logits) return nn::softmax_cross_entropy_with_logits(t, y_pred);
  Tensor p = y_pred / reduce_sum(y_pred, -1, true);
  p = clip_by_value(p, kEpsilon, 1.0 - kEpsilon);
  return -reduce_sum(t * log(p), -1);
}

Tensor sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits) {
  Tensor labels = y_true;
  if (labels.ndim() == y_pred.ndim() && labels.ndim() > 0 && labels.shape().dim(-1) == 1)
    labels = squeeze(labels, {-1});
  if (labels.dtype() != DType::kInt32 && labels.dtype() != DType::kInt64) labels = cast(labels, DType::kInt32);
  const bool shapes_ok =
      y_pred.ndim() >= 1 && labels.ndim() == y_pred.ndim() - 1 &&
      shapes_match(labels.shape(),
                   Shape(std::vector<int64_t>(y_pred.shape().dims().begin(), y_pred.shape().dims().end() - 1)));
  TF_CHECK_ARG(shapes_ok, "",
               "Loss \"sparse_categorical_crossentropy\": `labels.shape` must equal `logits.shape` except for "
               "the last dimension. Received: labels.shape=",
               y_true.shape().to_string(), " and logits.shape=", y_pred.shape().to_string());
  Tensor logits = y_pred;
  if (!from_logits) logits = log(clip_by_value(y_pred, kEpsilon, 1.0 - kEpsilon));
  try {
    return nn::sparse_softmax_cross_entropy_with_logits(labels, logits);
  } catch (const errors::InvalidArgumentError& e) {
    throw errors::InvalidArgumentError("Loss \"sparse_categorical_crossentropy\": " + e.message(), e.op());
  }
}

MeanSquaredError::MeanSquaredError(MeanSquaredErrorOptions o) : Loss(o.name, {.reduction = o.reduction, .name = {}}) {}

Tensor MeanSquaredError::call(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_squared_error(y_true, y_pred);
}

MeanAbsoluteError::MeanAbsoluteError(MeanAbsoluteErrorOptions o)
    : Loss(o.name, {.reduction = o.reduction, .name = {}}) {}

Tensor MeanAbsoluteError::call(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_absolute_error(y_true, y_pred);
}

Huber::Huber(HuberOptions o) : Loss(o.name, {.reduction = o.reduction, .name = {}}), delta_(o.delta) {
  TF_CHECK_ARG(delta_ > 0, "", "Loss \"", name(), "\": delta must be positive, got ", delta_);
}

Tensor Huber::call(const Tensor& y_true, const Tensor& y_pred) const { return huber(y_true, y_pred, delta_); }

BinaryCrossentropy::BinaryCrossentropy(CrossentropyOptions o)
    : Loss(or_default(o.name, "binary_crossentropy"), {.reduction = o.reduction, .name = {}}),
      from_logits_(o.from_logits) {}

// The class forms name themselves in errors (a custom name included): the function's message
// is rethrown under the loss's name.
namespace {
template <typename F> Tensor renamed(const std::string& name, const char* fn_name, F&& f) {
  try {
    return f();
  } catch (const errors::InvalidArgumentError& e) {
    std::string msg = e.message();
    const std::string from = std::string("Loss \"") + fn_name + "\"";
    if (name != fn_name && msg.rfind(from, 0) == 0) msg = "Loss \"" + name + "\"" + msg.substr(from.size());
    throw errors::InvalidArgumentError(msg, e.op());
  }
}
}  // namespace

Tensor BinaryCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  return renamed(name(), "binary_crossentropy", [&] { return binary_crossentropy(y_true, y_pred, from_logits_); });
}

CategoricalCrossentropy::CategoricalCrossentropy(CrossentropyOptions o)
    : Loss(or_default(o.name, "categorical_crossentropy"), {.reduction = o.reduction, .name = {}}),
      from_logits_(o.from_logits) {}

Tensor CategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  return renamed(name(), "categorical_crossentropy",
                 [&] { return categorical_crossentropy(y_true, y_pred, from_logits_); });
}

SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(CrossentropyOptions o)
    : Loss(or_default(o.name, "sparse_categorical_crossentropy"), {.reduction = o.reduction, .name = {}}),
      from_logits_(o.from_logits) {}

Tensor SparseCategoricalCrossentropy::call(const Tensor& y_true, const Tensor& y_pred) const {
  return renamed(name(), "sparse_categorical_crossentropy",
                 [&] { return sparse_categorical_crossentropy(y_true, y_pred, from_logits_); });
}

// The configs Keras 3 writes for these classes (the crossentropies' extra fields at their defaults).
ObjectConfig Huber::get_config() const {
  ObjectConfig c{"Huber", base_config()};
  c.config.emplace_back("delta", delta_);
  return c;
}
ObjectConfig BinaryCrossentropy::get_config() const {
  ObjectConfig c{"BinaryCrossentropy", base_config()};
  c.config.insert(c.config.end(), {{"from_logits", from_logits_}, {"label_smoothing", 0.0}, {"axis", int64_t{-1}}});
  return c;
}
ObjectConfig CategoricalCrossentropy::get_config() const {
  ObjectConfig c{"CategoricalCrossentropy", base_config()};
  c.config.insert(c.config.end(), {{"from_logits", from_logits_}, {"label_smoothing", 0.0}, {"axis", int64_t{-1}}});
  return c;
}
ObjectConfig SparseCategoricalCrossentropy::get_config() const {
  ObjectConfig c{"SparseCategoricalCrossentropy", base_config()};
  c.config.insert(c.config.end(), {{"from_logits", from_logits_}, {"ignore_class", std::monostate{}}});
  return c;
}

AnyLoss::AnyLoss(const char* name) : AnyLoss(std::string(name)) {}

AnyLoss::AnyLoss(const std::string& name) {
  if (name == "mse" || name == "mean_squared_error")
    loss_ = std::make_shared<MeanSquaredError>();
  else if (name == "mae" || name == "mean_absolute_error")
    loss_ = std::make_shared<MeanAbsoluteError>();
  else if (name == "huber" || name == "huber_loss")
    loss_ = std::make_shared<Huber>();
  else if (name == "binary_crossentropy")
    loss_ = std::make_shared<BinaryCrossentropy>();
  else if (name == "categorical_crossentropy")
    loss_ = std::make_shared<CategoricalCrossentropy>();
  else if (name == "sparse_categorical_crossentropy")
    loss_ = std::make_shared<SparseCategoricalCrossentropy>();
  else
    TF_THROW(InvalidArgumentError, "", "Could not interpret loss identifier: '", name, "'");
}

}  // namespace tapeflow::keras::losses
