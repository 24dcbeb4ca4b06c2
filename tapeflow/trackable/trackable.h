// The trackable interface (TF's Trackable): what a checkpoint walks. An object names its
// children (objects or variables); a variable child is saved as the VARIABLE_VALUE attribute
// of its node. tf::Module, Keras layers, models and optimizers implement it, so that
// serialization/ reaches them without knowing Keras.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tapeflow/core/variable.h"

namespace tapeflow {

class Trackable;
class Function;  // graph/function.h: held by pointer, so this layer needs no graph

/// A tf::Function an object tracks by name (`self.__call__ = tf.function(...)`): what a
/// SavedModel saves as a function with its concrete functions. Checkpoints ignore it.
struct TrackableFunction {
  std::string name;
  std::shared_ptr<const Function> function;
};

/// One named edge of the object graph (TF's ObjectReference): to an object or to a variable.
struct TrackableReference {
  std::string name;
  std::shared_ptr<Trackable> object;  // set for an object child
  Variable variable;                  // set for a variable child
};

/// Applies a restored value to a variable created after the restore (deferred restoration).
using DeferredRestore = std::function<void(Variable&)>;

/// Trackables are handles held by std::shared_ptr where shared (a model's optimizer, a
/// checkpoint's objects): shared_from_this lets a reference to one (`model.optimizer()`, an
/// abstract `Optimizer&`) be kept alive by whoever stores it.
class Trackable : public std::enable_shared_from_this<Trackable> {
 public:
  virtual ~Trackable() = default;
  /// The identity of the object behind this handle: handles sharing state share it, so an
  /// object reached twice is one node. nullptr: a node made for the walk (a list), never shared.
  virtual const void* trackable_id() const = 0;
  /// The named children, in a stable order (TF's _trackable_children).
  virtual std::vector<TrackableReference> trackable_children() const = 0;
  /// The tracked tf::Functions by name (SavedModel export), in tracking order.
  virtual std::vector<TrackableFunction> trackable_functions() const { return {}; }
  /// Asks the object to apply `restore` to the variable it will track as child `name` once it
  /// creates it (a Keras layer builds its weights on its first call). False: it cannot defer.
  virtual bool defer_variable_restore(const std::string& name, DeferredRestore restore) { return false; }
  /// Called after a restore assigned this object's variables, so host-side mirrors of saved
  /// state (an optimizer's step count) follow.
  virtual void restored() {}
};

/// A node made for the walk (Keras's `_operations` list, an optimizer's `_variables`): fixed
/// children, and an optional deferral hook.
class TrackableNode : public Trackable {
 public:
  explicit TrackableNode(std::vector<TrackableReference> children = {},
                         std::function<bool(const std::string&, DeferredRestore)> defer = {})
      : children_(std::move(children)), defer_(std::move(defer)) {}
  const void* trackable_id() const override { return nullptr; }
  std::vector<TrackableReference> trackable_children() const override { return children_; }
  bool defer_variable_restore(const std::string& name, DeferredRestore restore) override {
    return defer_ && defer_(name, std::move(restore));
  }

 private:
  std::vector<TrackableReference> children_;
  std::function<bool(const std::string&, DeferredRestore)> defer_;
};

}  // namespace tapeflow
