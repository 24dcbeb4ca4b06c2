// tf::Module: named tracking of variables and submodules (tf.Module). A Module is a handle: its
// name and tracked contents live in shared state, so a copy (e.g. one put in a model's layer
// list) tracks the same things. Variable paths ("model/dense_1/w") are what checkpoints use.
#pragma once
#include <concepts>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tapeflow/core/variable.h"
#include "tapeflow/trackable/trackable.h"

namespace tapeflow {

namespace detail {
struct ModuleState;
/// Keras's auto-naming: the first "dense" is "dense", then "dense_1", "dense_2", ...
std::string unique_name(const std::string& prefix);
/// Forgets every name handed out (K::backend::clear_session()).
void reset_unique_names();
}  // namespace detail

struct ModuleOptions {
  /// Uniquify the name per process (dense, dense_1, ...) as Keras does for default names.
  bool unique = true;
};

class Module : public Trackable {
 public:
  /// `tf::Module("dense")`: the name becomes "dense", "dense_1", ... unless {.unique = false}.
  explicit Module(const std::string& name = "module", ModuleOptions options = {});
  virtual ~Module() = default;
  Module(const Module&) = default;
  Module& operator=(const Module&) = default;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;

  const std::string& name() const;
  /// Every tracked variable of this module and its submodules, depth first in tracking order,
  /// each once.
  std::vector<Variable> variables() const;
  /// The variables that are trainable and belong to trainable modules (Keras's `trainable`).
  std::vector<Variable> trainable_variables() const;
  std::vector<Variable> non_trainable_variables() const;
  /// Every tracked submodule (not this one), depth first in tracking order, each once.
  std::vector<Module> submodules() const;
  /// (path, variable) pairs, paths as "model/dense_1/w": this module's name, then tracked names.
  std::vector<std::pair<std::string, Variable>> named_variables() const;

  /// Keras's `layer.trainable = false` freezes the module and everything under it.
  bool trainable() const;
  void set_trainable(bool trainable);

  /// Trackable: the tracked variables and submodules by their tracked names. Submodules keep
  /// their class (a Keras layer tracked here still names its own children the Keras way).
  const void* trackable_id() const override { return state_.get(); }
  std::vector<TrackableReference> trackable_children() const override;
  std::vector<TrackableFunction> trackable_functions() const override;
  /// Restores into a variable tracked later under `name` (when track(name, v) runs).
  bool defer_variable_restore(const std::string& name, DeferredRestore restore) override;

  /// Whether two handles refer to the same module.
  friend bool operator==(const Module& a, const Module& b) noexcept { return a.state_ == b.state_; }

 protected:
  /// Tracks `v` under `name` and returns it: `w(track("w", tf::Variable(...)))`.
  Variable track(const std::string& name, Variable v);
  /// Tracks a submodule under `name` and returns it.
  template <std::derived_from<Module> M> M track(const std::string& name, M module) {
    track_module(name, std::make_shared<M>(module));
    return module;
  }
  /// Tracks a submodule under its own name.
  template <std::derived_from<Module> M> M track(M module) {
    track_module(module.name(), std::make_shared<M>(module));
    return module;
  }
  /// Tracks a tf::Function under `name` (tf.saved_model.save exports its concrete functions):
  /// `call(track("__call__", tf::function([this](const tf::Tensor& x) { ... })))`.
  template <typename F>
  requires std::same_as<F, Function> F track(const std::string& name, F function) {
    track_function(name, std::make_shared<const F>(function));
    return function;
  }
  void track_function(const std::string& name, std::shared_ptr<const Function> function);
  /// Tracks a submodule held by a typed handle (keeps its class for trackable_children).
  void track_module(const std::string& name, std::shared_ptr<Module> module);
  /// Stops tracking the most recently tracked entry holding `module` (Sequential::pop).
  void untrack_module(const Module& module);
  /// The tracked variable named `name` directly in this module (undefined Variable when none).
  Variable tracked_variable(const std::string& name) const;
  /// Renames this module (and its copies): a Keras layer named after its class once it is known.
  void set_name(const std::string& name) const;

 protected:
  /// Per-module data of a subclass family (Keras layers keep their losses here), shared by copies.
  std::shared_ptr<void>& extension() const;
  static std::shared_ptr<void>& extension_of(const Module& m) { return m.extension(); }

 private:
  explicit Module(std::shared_ptr<detail::ModuleState> state) : state_(std::move(state)) {}

  std::shared_ptr<detail::ModuleState> state_;
};

}  // namespace tapeflow
