#include "tapeflow/nn/optimizers/optimizer.h"

#include <cmath>
#include <unordered_map>

#include "tapeflow/autograd/tape.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/training.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/graph/tracer.h"
#include "tapeflow/nn/optimizers/adagrad.h"
#include "tapeflow/nn/optimizers/adam.h"
#include "tapeflow/nn/optimizers/adamax.h"
#include "tapeflow/nn/optimizers/nadam.h"
#include "tapeflow/nn/optimizers/rmsprop.h"
#include "tapeflow/nn/optimizers/sgd.h"

namespace tapeflow::keras::optimizers {

struct Optimizer::State {
  std::string name;
  CommonOptions options;
  LearningRate learning_rate = 0.0;
  Variable iterations;
  int64_t step = 0;            // a host mirror of iterations, so schedules need no device read
  bool mirror_stale = false;   // traced: Function replays advance iterations (Note [Optimizers in tf::function])
  Variable learning_rate_f64;  // the fixed rate as traced steps read it (the host's double, not float32)
  std::unordered_map<uint64_t, std::vector<std::pair<std::string, Variable>>> slots;  // by variable id
  std::vector<Variable> slot_order;
  std::unordered_map<uint64_t, bool> built;
  std::vector<Variable> built_vars;                           // in build order (Keras's _trainable_variables)
  Variable learning_rate_var;                                 // float32, what checkpoints save (Keras's _learning_rate)
  std::unordered_map<std::size_t, DeferredRestore> deferred;  // by _variables index
};

Optimizer::Optimizer(const std::string& default_name, CommonOptions options) : state_(std::make_shared<State>()) {
  state_->name = options.name.empty() ? default_name : options.name;
  state_->learning_rate = options.learning_rate;
  state_->iterations = Variable(constant(int64_t{0}), {.name = "iteration", .trainable = false});
  state_->learning_rate_var = Variable(constant(static_cast<float>(options.learning_rate.at(0))),
                                       {.name = "learning_rate", .trainable = false});
  state_->learning_rate_f64 =
      Variable(constant(options.learning_rate.is_schedule() ? 0.0 : options.learning_rate.at(0), DType::kFloat64),
               {.name = "learning_rate_f64", .trainable = false});
  TF_CHECK_ARG(!(options.clipnorm && options.global_clipnorm), "",
               "Only one of `clipnorm`, `clipvalue` and "
               "`global_clipnorm` can be set. Received: clipnorm=",
               *options.clipnorm, ", global_clipnorm=", *options.global_clipnorm);
  state_->options = std::move(options);
}

ObjectConfig Optimizer::common_config(const std::string& class_name) const {
  const CommonOptions& o = state_->options;
  TF_CHECK_TYPED(!state_->learning_rate.is_schedule(), UnimplementedError, "", "optimizer \"", state_->name,
                 "\": a learning-rate schedule cannot be saved in a Keras config yet");
  return {class_name,
          {{"name", state_->name},
           // Keras reads its float32 learning-rate variable: 1e-3 is saved as 0.0010000000474974513.
           {"learning_rate", static_cast<double>(static_cast<float>(learning_rate()))},
           {"weight_decay", config_value(o.weight_decay)},
           {"clipnorm", config_value(o.clipnorm)},
           {"global_clipnorm", config_value(o.global_clipnorm)},
           {"clipvalue", config_value(o.clipvalue)},
           {"use_ema", false},
           {"ema_momentum", 0.99},
           {"ema_overwrite_frequency", std::monostate{}},
           {"loss_scale_factor", std::monostate{}},
           {"gradient_accumulation_steps", std::monostate{}}}};
}

int64_t Optimizer::iterations() const {
  return state_->mirror_stale ? state_->iterations.item<int64_t>() : state_->step;
}
double Optimizer::learning_rate() const { return state_->learning_rate.at(iterations()); }
void Optimizer::set_learning_rate(double learning_rate) {
  state_->learning_rate = learning_rate;
  state_->learning_rate_var.assign(constant(static_cast<float>(learning_rate)));
  state_->learning_rate_f64.assign(constant(learning_rate, DType::kFloat64));
}

std::vector<TrackableReference> Optimizer::trackable_children() const {
  const bool fixed_rate = !state_->learning_rate.is_schedule();
  std::vector<TrackableReference> vars{{"0", nullptr, state_->iterations}};
  if (fixed_rate) vars.push_back({"1", nullptr, state_->learning_rate_var});
  for (const Variable& v : state_->slot_order) vars.push_back({std::to_string(vars.size()), nullptr, v});
  std::vector<TrackableReference> trainable;
  for (const Variable& v : state_->built_vars) trainable.push_back({std::to_string(trainable.size()), nullptr, v});
  // A slot restored before apply_gradients creates it waits under its _variables index.
  auto state = state_;
  auto defer = [state](const std::string& name, DeferredRestore restore) {
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos || name.size() > 9) return false;
    state->deferred[std::stoul(name)] = std::move(restore);
    return true;
  };
  std::vector<TrackableReference> out{
      {"_variables", std::make_shared<TrackableNode>(std::move(vars), defer), Variable()},
      {"_trainable_variables", std::make_shared<TrackableNode>(std::move(trainable)), Variable()},
      {"_iterations", nullptr, state_->iterations}};
  if (fixed_rate) out.push_back({"_learning_rate", nullptr, state_->learning_rate_var});
  return out;
}

void Optimizer::restored() {
  state_->step = state_->iterations.item<int64_t>();
  if (state_->learning_rate.is_schedule()) return;
  // The host keeps the rate in double; the checkpoint in float32. Only a different float32
  // value replaces it, so a run restored from its own checkpoint keeps its exact rate.
  const float saved = state_->learning_rate_var.item<float>();
  if (static_cast<float>(state_->learning_rate.at(0)) != saved) {
    state_->learning_rate = static_cast<double>(saved);
    state_->learning_rate_f64.assign(constant(static_cast<double>(saved), DType::kFloat64));
  }
}
const std::string& Optimizer::name() const { return state_->name; }

std::vector<Variable> Optimizer::variables() const {
  std::vector<Variable> out{state_->iterations};
  out.insert(out.end(), state_->slot_order.begin(), state_->slot_order.end());
  return out;
}

Variable Optimizer::slot(const Variable& var, const std::string& slot_name) const {
  auto it = state_->slots.find(var.id());
  if (it == state_->slots.end()) return Variable();
  for (const auto& [n, v] : it->second)
    if (n == slot_name) return v;
  return Variable();
}

std::vector<Variable> Optimizer::slots(std::span<const Variable> vars, const std::string& slot_name) const {
  std::vector<Variable> out;
  out.reserve(vars.size());
  for (const Variable& v : vars) out.push_back(slot(v, slot_name));
  return out;
}

Variable Optimizer::add_slot(const Variable& var, const std::string& slot_name, double initial_value) {
  Variable v(fill(var.shape(), initial_value, var.dtype()), {.name = slot_name, .trainable = false});
  state_->slots[var.id()].emplace_back(slot_name, v);
  const std::size_t index = state_->slot_order.size() + (state_->learning_rate.is_schedule() ? 1 : 2);
  state_->slot_order.push_back(v);
  if (auto it = state_->deferred.find(index); it != state_->deferred.end()) {
    DeferredRestore restore = std::move(it->second);
    state_->deferred.erase(it);
    // Once, now: a slot built while a step is traced must not be reset by every replay.
    InterceptorPause eager;
    restore(v);
  }
  return v;
}

namespace step_math {
Tensor power(double base, const Tensor& t) { return pow(constant(base, DType::kFloat64), t); }
Tensor root(const Tensor& x) { return sqrt(x); }
Tensor coefficient(const Tensor& x, DType dtype) { return cast(x, dtype); }
}  // namespace step_math

namespace {
// Keras's clip_by_norm: g * clip / max(||g||, clip) (a zero gradient stays zero).
Tensor clip_by_norm(const Tensor& g, double clip) {
  Tensor norm = sqrt(reduce_sum(square(g)));
  return g * clip / maximum(norm, clip);
}
}  // namespace

void Optimizer::apply_gradients(const std::vector<std::optional<Tensor>>& grads, const std::vector<Variable>& vars) {
  TF_CHECK_ARG(grads.size() == vars.size(), "", "Optimizer \"", state_->name, "\": got ", grads.size(),
               " gradients for ", vars.size(), " variables");
  std::vector<Tensor> g;
  std::vector<Variable> v;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (!grads[i]) continue;
    TF_CHECK_ARG(grads[i]->shape() == vars[i].shape(), "", "Optimizer \"", state_->name,
                 "\": the gradient of variable '", vars[i].name(), "' has shape ", grads[i]->shape().to_string(),
                 " but the variable has shape ", vars[i].shape().to_string());
    g.push_back(*grads[i]);
    v.push_back(vars[i]);
  }
  // Keras raises rather than step nothing: no gradient at all means the loss does not depend on
  // the variables (untracked layers, a tape that recorded nothing), a bug to report, not skip.
  if (g.empty()) {
    std::string names;
    for (const Variable& var : vars) {
      if (!names.empty()) names += ", ";
      names += var.name();
    }
    TF_THROW(InvalidArgumentError, "", "No gradients provided for any variable. Variables: [", names,
             "]. Check that the loss is computed from the variables inside the GradientTape.");
  }
  const CommonOptions& o = state_->options;
  if (o.clipnorm)
    for (Tensor& t : g) t = clip_by_norm(t, *o.clipnorm);
  if (o.clipvalue)
    for (Tensor& t : g) t = clip_by_value(t, -*o.clipvalue, *o.clipvalue);
  if (o.global_clipnorm) {
    // Keras's clip_by_global_norm, on the device: scale = clip * min(1 / norm, 1 / clip).
    Tensor sum = zeros({}, g[0].dtype());
    for (const Tensor& t : g) sum = sum + reduce_sum(square(cast(t, g[0].dtype())));
    const double clip = *o.global_clipnorm;
    Tensor scale = clip * minimum(1.0 / sqrt(sum), 1.0 / clip);
    for (Tensor& t : g) t = t * cast(scale, t.dtype());
  }
  build(v);
  for (std::size_t i = 0; i < v.size(); ++i)
    if (g[i].dtype() != v[i].dtype()) g[i] = cast(g[i], v[i].dtype());
  // Note [Optimizers in tf::function].
  if (Tracer::current() != nullptr) state_->mirror_stale = true;
  StepRate rate;
  if (state_->mirror_stale) {
    Tensor done = cast(state_->iterations.read_value(), DType::kFloat64);
    rate.t_t = done + 1.0;
    rate.lr_t =
        state_->learning_rate.is_schedule() ? state_->learning_rate.at(done) : state_->learning_rate_f64.read_value();
  } else {
    rate.t = double(state_->step + 1);
    rate.lr = learning_rate();
  }
  update_steps(g, v, rate);
  state_->iterations.assign_add(constant(int64_t{1}));
  ++state_->step;
}

void Optimizer::build(const std::vector<Variable>& var_list) {
  for (const Variable& var : var_list) {
    if (state_->built[var.id()]) continue;
    state_->built_vars.push_back(var);
    build(var);
    state_->built[var.id()] = true;
  }
}

void Optimizer::update_steps(std::span<const Tensor> g, std::span<Variable> v, const StepRate& rate) {
  const double decay = weight_decay();
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (decay != 0.0)
      rate.visit([&](const auto& lr, const auto&) {
        v[i].assign(v[i] - v[i] * step_math::coefficient(decay * lr, v[i].dtype()));
      });
    update_step(g[i], v[i], rate);
  }
}

bool Optimizer::can_fuse(std::span<const Variable> variables) {
  for (const Variable& v : variables)
    if (!training::supports_fused_apply(v.dtype())) return false;
  return true;
}

double Optimizer::weight_decay() const { return state_->options.weight_decay.value_or(0.0); }

void Optimizer::apply_gradients(const std::vector<std::pair<Tensor, Variable>>& grads_and_vars) {
  std::vector<std::optional<Tensor>> g;
  std::vector<Variable> v;
  for (const auto& [grad, var] : grads_and_vars) {
    g.emplace_back(grad);
    v.push_back(var);
  }
  apply_gradients(g, v);
}

void Optimizer::minimize(const std::function<Tensor()>& loss, const std::vector<Variable>& var_list) {
  TF_CHECK_ARG(static_cast<bool>(loss), "", "Optimizer \"", state_->name, "\": minimize() needs a loss function");
  GradientTape tape;
  for (const Variable& v : var_list) tape.watch(v);  // var_list may hold non-trainable variables
  Tensor value = loss();
  tape.stop();
  apply_gradients(tape.gradient(value, var_list), var_list);
}

AnyOptimizer::AnyOptimizer(const char* name) : AnyOptimizer(std::string(name)) {}

AnyOptimizer::AnyOptimizer(const std::string& name) {
  if (name == "adam")
    optimizer_ = std::make_shared<Adam>();
  else if (name == "adamw")
    optimizer_ = std::make_shared<AdamW>();
  else if (name == "sgd")
    optimizer_ = std::make_shared<SGD>();
  else if (name == "rmsprop")
    optimizer_ = std::make_shared<RMSprop>();
  else if (name == "adagrad")
    optimizer_ = std::make_shared<Adagrad>();
  else if (name == "nadam")
    optimizer_ = std::make_shared<Nadam>();
  else if (name == "adamax")
    optimizer_ = std::make_shared<Adamax>();
  else
    TF_THROW(InvalidArgumentError, "", "Could not interpret optimizer identifier: '", name, "'");
}

}  // namespace tapeflow::keras::optimizers
