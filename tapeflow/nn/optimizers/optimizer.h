// K::optimizers::Optimizer: the base of every optimizer (Keras 3's BaseOptimizer). One
// apply_gradients call: skip variables without a gradient, clip (clipnorm, clipvalue,
// global_clipnorm), then update every variable at the learning rate of the current step (one
// fused training op for the whole step where the optimizer has one, core/ops/training.h, else
// weight decay and update_step per variable), then count the step. State (iterations and per-variable
// slots) lives in non-trainable tf::Variables; optimizers are handles (copies share state).
#pragma once
#include <cmath>
#include <concepts>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tapeflow/core/variable.h"
#include "tapeflow/nn/object_config.h"
#include "tapeflow/nn/optimizers/schedules.h"
#include "tapeflow/trackable/trackable.h"

namespace tapeflow::keras::optimizers {

/// A fixed learning rate or a schedule: `.learning_rate = 1e-3` or
/// `.learning_rate = K::optimizers::schedules::ExponentialDecay(0.1, 1000, 0.96)`.
class LearningRate {
 public:
  LearningRate(double value) : value_(value) {}  // NOLINT
  template <std::derived_from<schedules::LearningRateSchedule> S>
  LearningRate(S schedule) : schedule_(std::make_shared<S>(std::move(schedule))) {}  // NOLINT
  double at(int64_t step) const { return schedule_ ? (*schedule_)(step) : value_; }
  /// The schedule as ops on a float64 scalar step (schedules only).
  Tensor at(const Tensor& step) const { return (*schedule_)(step); }
  bool is_schedule() const { return schedule_ != nullptr; }

 private:
  double value_ = 0.0;
  std::shared_ptr<const schedules::LearningRateSchedule> schedule_;
};

/// The options every optimizer takes (each optimizer's options struct repeats them).
struct CommonOptions {
  LearningRate learning_rate = 0.001;
  std::optional<double> weight_decay;
  std::optional<double> clipnorm;
  std::optional<double> clipvalue;
  std::optional<double> global_clipnorm;
  std::string name;
};

/// Note [Optimizers in tf::function]: the scalars of a step (the learning rate, the 1-based step
/// t) are host doubles in eager steps (a host mirror of iterations: no device read per step). A
/// step traced into a tf::function computes them instead as float64 scalar ops from the
/// `iterations` variable and a float64 learning-rate variable, as Keras 3 does, so that every
/// replay of the graph uses its own step; the fused ops take them as inputs (Note [Rates as
/// inputs]). The ops repeat the host formulas' operation order in double, so both paths give the
/// same rates. Once traced, the mirror is stale (replays advance iterations without the host):
/// iterations() reads the variable and later eager steps take the tensor path too.
struct StepRate {
  double lr = 0.0, t = 0.0;  // eager: the learning rate and the 1-based step
  Tensor lr_t, t_t;          // traced: the same as float64 scalars
  bool traced() const { return lr_t.defined(); }
  /// f(lr, t) with both doubles or both tensors: write a formula once for both paths.
  template <typename F> void visit(F&& f) const {
    if (traced())
      f(lr_t, t_t);
    else
      f(lr, t);
  }
};

/// Helpers for formulas over a step scalar S (double or float64 scalar Tensor).
namespace step_math {
inline double power(double base, double t) { return std::pow(base, t); }
Tensor power(double base, const Tensor& t);
inline double root(double x) { return std::sqrt(x); }
Tensor root(const Tensor& x);
/// S as a coefficient of a tensor of `dtype`: a double stays a double (the op rounds it to the
/// dtype), a float64 tensor is cast (the same rounding).
inline double coefficient(double x, DType) { return x; }
Tensor coefficient(const Tensor& x, DType dtype);
}  // namespace step_math

class Optimizer : public Trackable {
 public:
  Optimizer(const std::string& default_name, CommonOptions options);
  virtual ~Optimizer() = default;

  /// Updates vars[i] with grads[i]; a std::nullopt gradient skips its variable (the seed's
  /// `zip(grads, vars)` with `tape.gradient(loss, vars)`).
  void apply_gradients(const std::vector<std::optional<Tensor>>& grads, const std::vector<Variable>& vars);
  void apply_gradients(const std::vector<std::pair<Tensor, Variable>>& grads_and_vars);
  /// One step on the loss `loss()` computes: records it on a GradientTape, takes the gradients
  /// of var_list and applies them (TF's `optimizer.minimize(loss_fn, var_list)`).
  /// `opt.minimize([&] { return tf::reduce_mean(tf::square(x * w - y)); }, {w});`
  void minimize(const std::function<Tensor()>& loss, const std::vector<Variable>& var_list);

  /// Creates the slots of the variables it has not seen yet (Keras's optimizer.build(var_list)),
  /// as fit does before it traces its train step, so that the trace creates no variable.
  void build(const std::vector<Variable>& var_list);
  /// The number of apply_gradients calls so far (steps run by tf::function replays included).
  int64_t iterations() const;
  /// The learning rate of the next step (the schedule's value at iterations()).
  double learning_rate() const;
  /// Replaces the learning rate (a schedule stops applying), as `optimizer.learning_rate = x`.
  void set_learning_rate(double learning_rate);
  const std::string& name() const;
  /// Keras's class name and get_config() (name, learning_rate, weight_decay, clipping, ...), what
  /// a model's compile_config saves. Optimizers without a Keras config give an empty class name.
  virtual ObjectConfig get_config() const { return common_config(""); }
  /// The optimizer's state variables: iterations, then each variable's slots in creation order.
  std::vector<Variable> variables() const;
  /// The named slot of `var` ("momentum", "velocity", ...), undefined when none exists yet.
  Variable slot(const Variable& var, const std::string& slot_name) const;

  /// Trackable, as Keras 3 optimizers appear in checkpoints: `_iterations`, `_learning_rate`
  /// (a float32 variable; absent with a schedule), `_variables/<i>` (iterations, learning rate,
  /// then the slots in creation order) and `_trainable_variables/<i>` (the variables it updates).
  /// Slots restored before they exist are applied when created, so a restored run continues
  /// bit for bit.
  const void* trackable_id() const override { return state_.get(); }
  std::vector<TrackableReference> trackable_children() const override;
  void restored() override;

 protected:
  /// Creates the slots of a variable it sees for the first time.
  virtual void build(const Variable& var) {}
  /// The update of one variable with its (clipped) gradient at `learning_rate`: the composite
  /// reference of the fused update, used for dtypes the fused ops do not take.
  virtual void update_step(const Tensor& gradient, Variable& variable, const StepRate& rate) = 0;
  /// Updates every variable of a step (gradients clipped and cast to the variables' dtypes,
  /// slots built). The default applies weight decay and update_step per variable; optimizers
  /// with a fused training op override it to update all variables in one kernel.
  virtual void update_steps(std::span<const Tensor> gradients, std::span<Variable> variables, const StepRate& rate);
  /// True when one fused training op can update all of `variables` (float32/float64).
  static bool can_fuse(std::span<const Variable> variables);
  /// Keras's base optimizer config under `class_name`; subclasses append their own fields.
  ObjectConfig common_config(const std::string& class_name) const;
  /// The weight_decay option (0 when unset).
  double weight_decay() const;
  /// The named slot of each of `vars`.
  std::vector<Variable> slots(std::span<const Variable> vars, const std::string& slot_name) const;
  /// A slot variable shaped like `var`, filled with `initial_value`, tracked by the optimizer.
  Variable add_slot(const Variable& var, const std::string& slot_name, double initial_value = 0.0);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// An optimizer given by Keras name ("adam", "sgd", "rmsprop", "adagrad", "adamw", "nadam", "adamax") or as any
/// Optimizer (sharing the caller's handle): the type of `compile({.optimizer = ...})`.
class AnyOptimizer {
 public:
  AnyOptimizer() = default;
  AnyOptimizer(const char* name);         // NOLINT
  AnyOptimizer(const std::string& name);  // NOLINT
  template <std::derived_from<Optimizer> O>
  AnyOptimizer(O optimizer) : optimizer_(std::make_shared<O>(std::move(optimizer))) {}  // NOLINT
  explicit operator bool() const { return optimizer_ != nullptr; }
  Optimizer& operator*() const { return *optimizer_; }
  Optimizer* operator->() const { return optimizer_.get(); }

 private:
  std::shared_ptr<Optimizer> optimizer_;
};

}  // namespace tapeflow::keras::optimizers
