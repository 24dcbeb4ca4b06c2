#include "tapeflow/nn/layers/layer.h"

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/math.h"

namespace tapeflow::keras::layers {

struct Layer::State {
  bool built = false;
  std::vector<Tensor> call_losses;
  std::vector<std::pair<Variable, regularizers::Regularizer>> regularized;
  std::optional<Shape> output_shape;
};

namespace {
// The training flag of the enclosing call (Keras propagates it to nested layers) and the call
// depth (losses from add_loss are cleared when an outermost call starts).
thread_local std::optional<bool> t_training;
thread_local int t_depth = 0;

// Keras's "Exception encountered when calling layer ..." context, added once (by the innermost
// layer) to an error from build or call, keeping the error's type.
[[noreturn]] void rethrow_in_layer(const errors::OpError& e, const Layer& layer) {
  const std::string prefix = "Exception encountered when calling layer \"" + layer.name() + "\"";
  if (e.message().rfind(prefix.substr(0, 40), 0) == 0 || e.message().find("layer \"" + layer.name() + "\"") != std::string::npos)
    throw;
  std::string msg = prefix + " (type " + layer.class_name() + "): " + e.message();
  switch (e.error_code()) {
    case errors::Code::kInvalidArgument: throw errors::InvalidArgumentError(msg, e.op());
    case errors::Code::kNotFound: throw errors::NotFoundError(msg, e.op());
    case errors::Code::kFailedPrecondition: throw errors::FailedPreconditionError(msg, e.op());
    case errors::Code::kOutOfRange: throw errors::OutOfRangeError(msg, e.op());
    case errors::Code::kUnimplemented: throw errors::UnimplementedError(msg, e.op());
    case errors::Code::kResourceExhausted: throw errors::ResourceExhaustedError(msg, e.op());
    default: throw;
  }
}
}  // namespace

Layer::Layer(const std::string& default_name, LayerOptions options)
    : Module(options.name.empty() ? default_name : options.name, {.unique = options.name.empty()}) {
  extension() = std::make_shared<State>();
  set_trainable(options.trainable);
}

Layer::State& Layer::state() const { return *static_cast<State*>(extension().get()); }

bool Layer::built() const { return state().built; }
void Layer::set_built(bool built) { state().built = built; }

Tensor Layer::call(const Tensor& inputs) {
  TF_THROW(UnimplementedError, "", "Layer '", name(), "' (", class_name(), ") does not implement call()");
}

Tensor Layer::operator()(const Tensor& inputs, std::optional<bool> training) {
  State& s = state();
  struct Restore {
    std::optional<bool> training;
    ~Restore() { t_training = training; --t_depth; }
  } restore{t_training};
  if (t_depth++ == 0) {
    s.call_losses.clear();
    for (const Module& m : submodules())
      if (State* sub = static_cast<State*>(extension_of(m).get())) sub->call_losses.clear();
  }
  if (training) t_training = training;
  Tensor out;
  try {
    if (!s.built) {
      build(inputs.shape());
      s.built = true;
    }
    out = call(inputs, t_training.value_or(false));
  } catch (const errors::OpError& e) {
    rethrow_in_layer(e, *this);
  }
  Shape shown = out.shape();
  if (shown.rank() > 0) shown[0] = -1;
  s.output_shape = shown;
  return out;
}

std::vector<Tensor> Layer::losses() const {
  std::vector<Tensor> out;
  auto add_from = [&](const State& s) {
    out.insert(out.end(), s.call_losses.begin(), s.call_losses.end());
    for (const auto& [v, reg] : s.regularized) out.push_back(reg(v));
  };
  add_from(state());
  for (const Module& m : submodules())
    if (const State* sub = static_cast<const State*>(extension_of(m).get())) add_from(*sub);
  return out;
}

void Layer::add_loss(const Tensor& loss) { state().call_losses.push_back(loss); }

Variable Layer::add_weight(const std::string& name, const Shape& shape, WeightOptions options) {
  Tensor init = options.initializer(shape, options.dtype);
  Variable v = track(name, Variable(init, {.name = name, .trainable = options.trainable}));
  if (options.regularizer) state().regularized.emplace_back(v, options.regularizer);
  return v;
}

std::optional<Shape> Layer::output_shape() const { return state().output_shape; }

int64_t Layer::count_params() const {
  int64_t n = 0;
  for (const Variable& v : variables()) n += v.shape().num_elements();
  return n;
}

void Layer::check_input_rank(const Tensor& inputs, std::optional<int> ndim, std::optional<int> min_ndim) const {
  if (ndim && inputs.ndim() != *ndim)
    TF_THROW(InvalidArgumentError, "", "Input 0 of layer \"", name(), "\" is incompatible with the layer: expected ndim=",
             *ndim, ", found ndim=", inputs.ndim(), ". Full shape received: ", inputs.shape().to_string());
  if (min_ndim && inputs.ndim() < *min_ndim)
    TF_THROW(InvalidArgumentError, "", "Input 0 of layer \"", name(),
             "\" is incompatible with the layer: expected min_ndim=", *min_ndim, ", found ndim=", inputs.ndim(),
             ". Full shape received: ", inputs.shape().to_string());
}

void Layer::check_input_last_dim(const Tensor& inputs, int64_t expected) const {
  if (inputs.ndim() == 0 || inputs.shape().dim(-1) != expected)
    TF_THROW(InvalidArgumentError, "", "Input 0 of layer \"", name(),
             "\" is incompatible with the layer: expected axis -1 of input shape to have value ", expected,
             ", but received input with shape ", inputs.shape().to_string());
}

}  // namespace tapeflow::keras::layers
