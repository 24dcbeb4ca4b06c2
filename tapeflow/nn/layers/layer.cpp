#include "tapeflow/nn/layers/layer.h"

#include <mutex>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/graph/function.h"
#include "tapeflow/nn/layers/naming.h"

namespace tapeflow::keras::layers {

struct Layer::State {
  bool built = false;
  bool name_from_class = false;  // named after the class at the first name() (no default given)
  std::once_flag name_once;      // that naming, once even if threads ask at the same time
  std::vector<Tensor> call_losses;
  std::vector<std::pair<Variable, regularizers::Regularizer>> regularized;
  std::optional<Shape> output_shape;
  std::optional<Shape> build_output_shape;
  std::optional<Shape> build_input_shape;
  std::vector<std::weak_ptr<Node>> nodes;              // functional calls, by node index
  std::vector<std::shared_ptr<Layer>> tracked_layers;  // track_layer, in order
};

namespace {
// The training flag of the enclosing call (Keras propagates it to nested layers) and the call
// depth (losses from add_loss are cleared when an outermost call starts).
thread_local std::optional<bool> t_training;
thread_local int t_depth = 0;
// The layer whose call is running on this thread: a layer called inside it must be tracked by it.
thread_local const Layer* t_caller = nullptr;

// Set while layers run only to infer shapes or build (Layer::ProbeScope).
thread_local bool t_probing = false;
// A Function called inside a layer's call traces its nested layers with this training flag, so
// the flag belongs to the Function's cache key.
std::string training_trace_context() { return t_training ? (*t_training ? "training" : "inference") : ""; }

// Keras tracks a layer assigned to a model's attribute automatically; C++ cannot see a plain
// member, so an untracked layer with weights would silently stay out of trainable_variables()
// (training does nothing) and out of checkpoints. Say so instead. Weightless layers (an
// Activation made inside call) lose nothing and pass.
void check_tracked_by(const Layer& caller, const Layer& callee) {
  if (&caller == &callee) return;
  for (const Module& m : caller.submodules())
    if (m == callee) return;
  if (callee.variables().empty()) return;
  TF_THROW(InvalidArgumentError, "", "Layer \"", callee.name(), "\" (", callee.class_name(), ") is called by \"",
           caller.name(), "\" but is not tracked by it, so its weights are not in \"", caller.name(),
           "\".trainable_variables(): training would not update them and checkpoints would miss them. Track it "
           "where the member is initialized: `dense = track_layer(K::layers::Dense(...));`");
}

// Keras's "Exception encountered when calling layer ..." context, added once (by the innermost
// layer) to an error from build or call, keeping the error's type.
[[noreturn]] void rethrow_in_layer(const errors::OpError& e, const Layer& layer) {
  const std::string prefix = "Exception encountered when calling layer \"" + layer.name() + "\"";
  if (e.message().rfind(prefix.substr(0, 40), 0) == 0 ||
      e.message().find("layer \"" + layer.name() + "\"") != std::string::npos)
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

bool Layer::probing() { return t_probing; }
Layer::ProbeScope::ProbeScope() : previous_(std::exchange(t_probing, true)) {}
Layer::ProbeScope::~ProbeScope() { t_probing = previous_; }

Layer::Layer(const std::string& default_name, LayerOptions options)
    : Module(options.name.empty() ? (default_name.empty() ? "layer" : default_name) : options.name,
             {.unique = options.name.empty() && !default_name.empty()}) {
  extension() = std::make_shared<State>();
  state().name_from_class = options.name.empty() && default_name.empty();
  static const bool context_registered = (register_trace_context(&training_trace_context), true);
  (void)context_registered;
  set_trainable(options.trainable);
}

Layer::State& Layer::state() const { return *static_cast<State*>(extension().get()); }

// The class is known only once the object is fully constructed, so a class-derived name is fixed
// at the first name() call after it: every use of a layer (calls, tracking, summaries) asks for it.
const std::string& Layer::name() const {
  State& s = state();
  if (s.name_from_class)
    std::call_once(s.name_once, [&] {
      set_name(detail::unique_name(internal::to_snake_case(internal::unqualified_class_name(typeid(*this)))));
    });
  return Module::name();
}

std::string Layer::class_name() const { return internal::unqualified_class_name(typeid(*this)); }

bool Layer::built() const { return state().built; }
void Layer::set_built(bool built) { state().built = built; }

Tensor Layer::call(const Tensor& inputs) {
  TF_THROW(UnimplementedError, "", "Layer '", name(), "' (", class_name(), ") does not implement call()");
}

Tensor Layer::run_call(std::optional<bool> training, const std::function<Tensor(bool)>& body) {
  name();  // fixes a class-derived name before anything records it
  State& s = state();
  struct Restore {
    std::optional<bool> training;
    const Layer* caller;
    ~Restore() {
      t_training = training;
      --t_depth;
      t_caller = caller;
    }
  } restore{t_training, t_caller};
  const Layer* caller = std::exchange(t_caller, this);
  if (t_depth++ == 0) {
    s.call_losses.clear();
    for (const Module& m : submodules())
      if (State* sub = static_cast<State*>(extension_of(m).get())) sub->call_losses.clear();
  }
  if (training) t_training = training;
  Tensor out;
  try {
    out = body(t_training.value_or(false));
  } catch (const errors::OpError& e) { rethrow_in_layer(e, *this); }
  if (caller) check_tracked_by(*caller, *this);  // after the call: a lazily built layer has its weights now
  if (!s.build_output_shape) s.build_output_shape = out.shape();
  Shape shown = out.shape();
  if (shown.rank() > 0) shown[0] = -1;
  s.output_shape = shown;
  return out;
}

Tensor Layer::operator()(const Tensor& inputs, std::optional<bool> training) {
  return call_one(inputs, std::nullopt, training);
}

// Note [Masks]
// Keras marks the padded timesteps of a sequence with a (B, T) bool mask that travels with the
// tensors: Masking and Embedding(mask_zero) make one (compute_mask), the layers that support
// masking pass it on (Dense, Dropout, ... : the input's; an RNN: the input's with
// return_sequences, else none), the recurrent layers skip the masked steps (call_masked), and a
// layer that does not support masking drops it; the merging layers combine their inputs' masks
// (compute_list_mask) and a model nested in another takes the incoming mask and gives its
// output's. Tapeflow has no tensor attribute for it: a Sequential model threads it from layer to
// layer through call_with_mask, a functional model along its graph.
Layer::MaskedOutput Layer::call_with_mask(const Tensor& inputs, const std::optional<Tensor>& mask,
                                          std::optional<bool> training) {
  Tensor out = call_one(inputs, mask, training);
  if (!supports_masking()) return {out, std::nullopt};
  return {out, compute_mask(inputs, mask)};
}

Tensor Layer::call_one(const Tensor& inputs, const std::optional<Tensor>& mask, std::optional<bool> training) {
  return run_call(training, [&](bool train) {
    if (!built()) {
      build(inputs.shape());
      state().build_input_shape = inputs.shape();
      set_built(true);
    }
    return call_masked(inputs, train, mask);
  });
}

Tensor Layer::operator()(const std::vector<Tensor>& inputs, std::optional<bool> training) {
  return run_call(training, [&](bool train) {
    if (!built()) {
      std::vector<Shape> shapes;
      for (const Tensor& t : inputs) shapes.push_back(t.shape());
      build(shapes);
      set_built(true);
    }
    return call(inputs, train);
  });
}

Layer::MaskedOutput Layer::call_list_with_masks(const std::vector<Tensor>& inputs,
                                                const std::vector<std::optional<Tensor>>& masks,
                                                std::optional<bool> training) {
  Tensor out = run_call(training, [&](bool train) {
    if (!built()) {
      std::vector<Shape> shapes;
      for (const Tensor& t : inputs) shapes.push_back(t.shape());
      build(shapes);
      set_built(true);
    }
    return call_list_masked(inputs, train, masks);
  });
  return {out, compute_list_mask(inputs, masks)};
}

namespace {
[[noreturn]] void expects_one_input(const Layer& layer, std::size_t received) {
  TF_THROW(InvalidArgumentError, "", "Layer \"", layer.name(), "\" expects 1 input(s), but it received ", received,
           " input tensors.");
}
}  // namespace

void Layer::build(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() != 1) expects_one_input(*this, input_shapes.size());
  build(input_shapes[0]);
}

Tensor Layer::call(const std::vector<Tensor>& inputs, bool training) {
  if (inputs.size() != 1) expects_one_input(*this, inputs.size());
  return call(inputs[0], training);
}

std::shared_ptr<Layer> Layer::clone() const {
  TF_THROW(UnimplementedError, "", "Layer \"", name(), "\" (", class_name(),
           ") cannot be called on a KerasTensor: its class does not override clone() "
           "(`std::shared_ptr<Layer> clone() const override { return std::make_shared<",
           class_name(), ">(*this); }`)");
}

KerasTensor Layer::operator()(const KerasTensor& inputs) { return symbolic_call({inputs}, false); }
KerasTensor Layer::operator()(const std::vector<KerasTensor>& inputs) { return symbolic_call(inputs, true); }

// Note [Output shapes by probing]: the output's shape and dtype come from two runs of the layer
// on zeros, the unknown dimensions (batch included) set to 1, then to 2: a dimension that
// follows them is unknown (None) in the output. Any layer, custom ones included, gets exact
// inference without writing a compute_output_shape, at the price of two tiny forward passes
// per node when the model is defined. Weights are built first from the symbolic shape (batch
// None), as Keras builds them. The probes run under a ProbeScope: a stateful layer keeps its state.
KerasTensor Layer::symbolic_call(const std::vector<KerasTensor>& inputs, bool list_call) {
  name();  // fixes a class-derived name before the node copies the layer
  std::vector<Shape> shapes;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    TF_CHECK_ARG(inputs[i].defined(), "", "Layer \"", name(), "\" was called on an undefined KerasTensor (input ", i,
                 ")");
    shapes.push_back(inputs[i].shape());
  }
  State& s = state();
  std::shared_ptr<Layer> self;
  try {
    if (!s.built) {
      if (list_call)
        build(shapes);
      else
        build(shapes[0]);
      if (!list_call) s.build_input_shape = shapes[0];
      s.built = true;
    }
    // Cloned once built: members a subclass sets in build() (not in the shared State) must
    // reach the node's copy too.
    self = clone();
  } catch (const errors::OpError& e) { rethrow_in_layer(e, *this); }
  auto probe = [&](int64_t unknown) {
    ProbeScope probing;
    std::vector<Tensor> xs;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      Shape d = shapes[i];
      for (int k = 0; k < d.rank(); ++k)
        if (d[k] < 0) d[k] = unknown;
      xs.push_back(zeros(d, inputs[i].dtype()));
    }
    return list_call ? (*this)(xs, false) : (*this)(xs[0], false);
  };
  const Tensor one = probe(1), two = probe(2);
  Shape out_shape = one.shape();
  if (two.ndim() == one.ndim())
    for (int k = 0; k < out_shape.rank(); ++k)
      if (two.shape()[k] != one.shape()[k]) out_shape[k] = -1;
  s.output_shape = out_shape;
  auto node = std::make_shared<Node>(Node{.layer = std::move(self),
                                          .inputs = inputs,
                                          .list_call = list_call,
                                          .output_shapes = {out_shape},
                                          .output_dtypes = {one.dtype()},
                                          .index = static_cast<int>(s.nodes.size()),
                                          .kwargs = {}});
  s.nodes.push_back(node);
  return KerasTensor(out_shape, one.dtype(), node, 0);
}

std::vector<KerasTensor> Layer::symbolic_call_with(const KerasTensor& inputs, std::vector<NodeKwarg> kwargs,
                                                   const NodeRun& run) {
  name();
  TF_CHECK_ARG(inputs.defined(), "", "Layer \"", name(), "\" was called on an undefined KerasTensor");
  for (const NodeKwarg& k : kwargs)
    for (const KerasTensor& t : k.tensors)
      TF_CHECK_ARG(t.defined(), "", "Layer \"", name(), "\": argument `", k.name, "` holds an undefined KerasTensor");
  State& s = state();
  std::shared_ptr<Layer> self;
  try {
    if (!s.built) {
      build(inputs.shape());
      s.build_input_shape = inputs.shape();
      s.built = true;
    }
    self = clone();
  } catch (const errors::OpError& e) { rethrow_in_layer(e, *this); }
  // Note [Output shapes by probing], for the input and every keyword tensor at once.
  const auto zeros_for = [](const KerasTensor& t, int64_t unknown) {
    Shape d = t.shape();
    for (int k = 0; k < d.rank(); ++k)
      if (d[k] < 0) d[k] = unknown;
    return zeros(d, t.dtype());
  };
  const auto probe = [&](int64_t unknown) {
    ProbeScope probing;
    std::map<std::string, std::vector<Tensor>> values;
    for (const NodeKwarg& k : kwargs)
      for (const KerasTensor& t : k.tensors) values[k.name].push_back(zeros_for(t, unknown));
    return run(zeros_for(inputs, unknown), values);
  };
  const std::vector<Tensor> one = probe(1), two = probe(2);
  std::vector<Shape> shapes;
  std::vector<DType> dtypes;
  for (std::size_t i = 0; i < one.size(); ++i) {
    Shape shape = one[i].shape();
    if (two[i].ndim() == one[i].ndim())
      for (int k = 0; k < shape.rank(); ++k)
        if (two[i].shape()[k] != one[i].shape()[k]) shape[k] = -1;
    shapes.push_back(shape);
    dtypes.push_back(one[i].dtype());
  }
  s.output_shape = shapes.at(0);
  auto node = std::make_shared<Node>(Node{.layer = std::move(self),
                                          .inputs = {inputs},
                                          .list_call = false,
                                          .output_shapes = shapes,
                                          .output_dtypes = dtypes,
                                          .index = static_cast<int>(s.nodes.size()),
                                          .kwargs = std::move(kwargs)});
  s.nodes.push_back(node);
  std::vector<KerasTensor> out;
  for (std::size_t i = 0; i < shapes.size(); ++i) out.emplace_back(shapes[i], dtypes[i], node, int(i));
  return out;
}

std::vector<Layer::MaskedOutput> Layer::call_node(const Tensor& inputs, const std::optional<Tensor>& mask,
                                                  const std::map<std::string, std::vector<Tensor>>& kwargs,
                                                  std::optional<bool> training) {
  TF_CHECK_TYPED(kwargs.empty(), UnimplementedError, "", "Layer \"", name(), "\" (", class_name(),
                 ") takes no tensor keyword arguments (got `", kwargs.begin()->first, "`)");
  return {call_with_mask(inputs, mask, training)};
}

std::vector<std::shared_ptr<Node>> Layer::inbound_nodes() const {
  std::vector<std::shared_ptr<Node>> out;
  for (const auto& n : state().nodes) out.push_back(n.lock());
  return out;
}

std::vector<std::weak_ptr<Node>>& Layer::node_list() const { return state().nodes; }
void Layer::set_output_shape(const Shape& shape) { state().output_shape = shape; }

void Layer::add_tracked_layer(std::shared_ptr<Layer> layer) { state().tracked_layers.push_back(std::move(layer)); }

std::vector<std::shared_ptr<Layer>> Layer::tracked_layers() const { return state().tracked_layers; }

namespace {
// Keras 3 keeps these weights behind properties (LoRA, quantization), so their attributes, and
// so their checkpoint names, carry a leading underscore.
const char* keras_private_weight(const std::string& class_name, const std::string& weight) {
  const bool kernel_class = class_name == "Dense" || class_name == "Conv1D" || class_name == "Conv2D" ||
                            class_name == "Conv3D" || class_name == "EinsumDense";
  if (kernel_class && weight == "kernel") return "_kernel";
  if (class_name == "Embedding" && weight == "embeddings") return "_embeddings";
  return nullptr;
}
}  // namespace

std::vector<TrackableReference> Layer::trackable_children() const {
  std::vector<TrackableReference> out = Module::trackable_children();
  const std::string cls = class_name();
  for (auto& ref : out)
    if (ref.variable.defined())
      if (const char* n = keras_private_weight(cls, ref.name)) ref.name = n;
  return out;
}

bool Layer::defer_variable_restore(const std::string& name, DeferredRestore restore) {
  std::string weight = name;
  if (!name.empty() && name[0] == '_') {
    const char* n = keras_private_weight(class_name(), name.substr(1));
    if (n && name == n) weight = name.substr(1);
  }
  return Module::defer_variable_restore(weight, std::move(restore));
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

Variable Layer::add_weight(const NamedWeightOptions& options) {
  const std::string n = options.name.empty() ? detail::unique_name("variable") : options.name;
  return add_weight(n, options.shape,
                    {.initializer = options.initializer,
                     .trainable = options.trainable,
                     .regularizer = options.regularizer,
                     .dtype = options.dtype});
}

std::optional<Shape> Layer::output_shape() const { return state().output_shape; }
std::optional<Shape> Layer::build_output_shape() const { return state().build_output_shape; }
std::optional<Shape> Layer::build_input_shape() const { return state().build_input_shape; }

void Layer::build_from_config(const Shape& input_shape) {
  try {
    build(input_shape);
  } catch (const errors::OpError& e) { rethrow_in_layer(e, *this); }
  state().build_input_shape = input_shape;
  set_built(true);
}

int64_t Layer::count_params() const {
  int64_t n = 0;
  for (const Variable& v : variables()) n += v.shape().num_elements();
  return n;
}

std::vector<Tensor> Layer::get_weights() const {
  std::vector<Tensor> out;
  for (const Variable& v : variables()) out.push_back(v.read_value());
  return out;
}

void Layer::set_weights(const std::vector<Tensor>& weights) {
  auto vars = variables();
  TF_CHECK_ARG(weights.size() == vars.size(), "", "You called `set_weights(weights)` on layer \"", name(),
               "\" with a weight list of length ", weights.size(), ", but the layer was expecting ", vars.size(),
               " weights.");
  for (std::size_t i = 0; i < vars.size(); ++i)
    TF_CHECK_ARG(weights[i].shape() == vars[i].shape(), "", "Layer ", name(), " weight shape ",
                 vars[i].shape().to_string(), " is not compatible with provided weight shape ",
                 weights[i].shape().to_string(), ".");
  for (std::size_t i = 0; i < vars.size(); ++i)
    vars[i].assign(weights[i].dtype() == vars[i].dtype() ? weights[i] : cast(weights[i], vars[i].dtype()));
}

void Layer::check_input_rank(const Tensor& inputs, std::optional<int> ndim, std::optional<int> min_ndim) const {
  if (ndim && inputs.ndim() != *ndim)
    TF_THROW(InvalidArgumentError, "", "Input 0 of layer \"", name(),
             "\" is incompatible with the layer: expected ndim=", *ndim, ", found ndim=", inputs.ndim(),
             ". Full shape received: ", inputs.shape().to_string());
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
