// GradientTape (tf.GradientTape): records the ops run on this thread from construction until
// stop() or destruction, and differentiates them in reverse. Semantics are TF2's: trainable
// variables are watched when an op reads them, tensors only after watch(); a non-persistent tape
// computes gradients once; unconnected sources give std::nullopt (or zeros); nested tapes record
// each other's gradient computations, which gives higher-order gradients.
#pragma once
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "tapeflow/autograd/id_map.h"
#include "tapeflow/autograd/optional_gradient.h"
#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/variable.h"

namespace tapeflow {

/// tf.UnconnectedGradients: what gradient() returns for a source the target does not depend on.
enum class UnconnectedGradients { None, Zero };

struct GradientTapeOptions {
  bool persistent = false;
  bool watch_accessed_variables = true;
};

/// tape.jacobian / batch_jacobian's options. forward_mode replays the tape forwards once per
/// source element (JVPs) instead of backwards once per target element: faster when the target
/// has more elements than the source.
struct JacobianOptions {
  UnconnectedGradients unconnected_gradients = UnconnectedGradients::None;
  bool forward_mode = false;
};

struct GradientOptions {
  /// Gradients of the targets (one per target; default ones_like(target)).
  std::vector<Tensor> output_gradients = {};
  UnconnectedGradients unconnected_gradients = UnconnectedGradients::None;
};

/// A differentiation source: a Tensor (watched with tape.watch) or a Variable.
class Source {
 public:
  Source(const Tensor& t) : tensor_(t) {}      // NOLINT
  Source(const Variable& v) : variable_(v) {}  // NOLINT
  bool is_variable() const { return variable_.defined(); }
  const Tensor& tensor() const { return tensor_; }
  const Variable& variable() const { return variable_; }
  Shape shape() const { return is_variable() ? variable_.shape() : tensor_.shape(); }
  DType dtype() const { return is_variable() ? variable_.dtype() : tensor_.dtype(); }
  Device device() const { return is_variable() ? variable_.device() : tensor_.device(); }

 private:
  Tensor tensor_;
  Variable variable_;
};

class GradientTape {
 public:
  explicit GradientTape(GradientTapeOptions options = {});
  ~GradientTape();
  GradientTape(const GradientTape&) = delete;
  GradientTape& operator=(const GradientTape&) = delete;

  /// Ends recording (the end of Python's `with` block). Idempotent.
  void stop();
  /// Resumes recording after stop() (tape.stop_recording()'s counterpart).
  void resume();
  bool recording() const { return recording_; }

  /// Watches a tensor (or a variable regardless of its trainable flag).
  void watch(const Tensor& t);
  void watch(const Variable& v);
  void watch(const std::vector<Tensor>& ts) {
    for (const auto& t : ts) watch(t);
  }
  void watch(const std::vector<Variable>& vs) {
    for (const auto& v : vs) watch(v);
  }
  /// The variables this tape watches, in first-watch order.
  std::vector<Variable> watched_variables() const;

  /// d(sum of targets)/d(source): `tape.gradient(y, x)`. A variable target differentiates to ones
  /// with respect to itself, as in TF. No gradient (TF's None: the target does not depend on the
  /// source, the source is a tensor never watched, or an integer) is an empty OptionalGradient,
  /// which converts to std::optional<Tensor> and whose `*`/`->` raise saying why.
  OptionalGradient gradient(const Tensor& target, const Source& source, const GradientOptions& options = {});
  OptionalGradient gradient(const std::vector<Tensor>& targets, const Source& source,
                            const GradientOptions& options = {});
  /// One gradient per source: `tape.gradient(loss, model.trainable_variables())`, or a braced list
  /// mixing variables and tensors: `tape.gradient(y, {x0, x1, t})`.
  template <typename S, typename = std::enable_if_t<std::is_same_v<S, Tensor> || std::is_same_v<S, Variable>>>
  GradientList gradient(const Tensor& target, const std::vector<S>& sources, const GradientOptions& options = {}) {
    return gradient(std::vector<Tensor>{target}, std::vector<Source>(sources.begin(), sources.end()), options);
  }
  GradientList gradient(const Tensor& target, const std::vector<Source>& sources, const GradientOptions& options = {}) {
    return gradient(std::vector<Tensor>{target}, sources, options);
  }
  GradientList gradient(const std::vector<Tensor>& targets, const std::vector<Source>& sources,
                        const GradientOptions& options = {});
  /// Named sources give a map with the same keys: `tape.gradient(loss, {{"w", w}, {"b", b}})`.
  template <typename S, typename = std::enable_if_t<std::is_same_v<S, Tensor> || std::is_same_v<S, Variable> ||
                                                    std::is_same_v<S, Source>>>
  std::map<std::string, OptionalGradient> gradient(const Tensor& target, const std::map<std::string, S>& sources,
                                                   const GradientOptions& options = {}) {
    return gradient_named(target, std::vector<std::pair<std::string, Source>>(sources.begin(), sources.end()), options);
  }
  std::map<std::string, OptionalGradient> gradient(const Tensor& target,
                                                   std::initializer_list<std::pair<const std::string, Source>> sources,
                                                   const GradientOptions& options = {}) {
    return gradient_named(target, std::vector<std::pair<std::string, Source>>(sources.begin(), sources.end()), options);
  }

  /// d(target[i...])/d(source[j...]): shape target.shape + source.shape.
  OptionalGradient jacobian(const Tensor& target, const Source& source,
                            UnconnectedGradients unconnected = UnconnectedGradients::None);
  /// `tape.jacobian(y, x, {.forward_mode = true})`: the same Jacobian from forward-mode passes.
  OptionalGradient jacobian(const Tensor& target, const Source& source, const JacobianOptions& options);
  /// For target (B, ...) and source (B, ...) whose rows are independent: (B, target[1:], source[1:]).
  OptionalGradient batch_jacobian(const Tensor& target, const Source& source,
                                  UnconnectedGradients unconnected = UnconnectedGradients::None);
  OptionalGradient batch_jacobian(const Tensor& target, const Source& source, const JacobianOptions& options);

  /// Called by the op door for every executed op while this tape records (internal).
  void record(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs, std::span<const Tensor> outputs);

  /// When the tape was created, on the tensor-id clock (Note [Nesting tapes and accumulators]).
  uint64_t nesting_id() const { return first_id_; }

  struct Entry;
  class EntryLog;

 private:
  std::map<std::string, OptionalGradient> gradient_named(const Tensor& target,
                                                         const std::vector<std::pair<std::string, Source>>& sources,
                                                         const GradientOptions& options);
  bool is_tracked(const Tensor& t) const;
  /// The tangent of `target` when the recorded ops are replayed forwards from `tangent` at
  /// `source` (std::nullopt: unconnected).
  std::optional<Tensor> forward_pass(const Tensor& target, const Source& source, const Tensor& tangent);
  /// The ids that stand for `source` on this tape (a watched tensor, a variable's reads).
  util::SmallVector<uint64_t, 2> ids_of(const Source& source) const;
  /// The reverse pass. `release` frees the recording afterwards (a non-persistent tape's last use).
  GradientList compute(const std::vector<Tensor>& targets, const std::vector<Source>& sources,
                       const std::vector<Tensor>& output_gradients, UnconnectedGradients unconnected);
  /// Ends a use begun by begin_use() when it leaves scope, even when the pass throws.
  class [[nodiscard]] Use {
   public:
    explicit Use(GradientTape* tape) : tape_(tape) {}
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    ~Use() { tape_->end_use(); }

   private:
    GradientTape* tape_;
  };
  /// Checks that a non-persistent tape is still usable, and stops its recording for good: TF pops
  /// a non-persistent tape when gradient() is called inside its `with` block.
  Use begin_use(const char* what);
  void end_use();
  void release();

  GradientTapeOptions options_;
  /// Tensor ids are increasing: a variable read with an id below this was taken before the tape
  /// existed and is a plain tensor to it (TF's ReadVariableOp ran outside the tape).
  uint64_t first_id_ = 0;
  bool recording_ = false;
  bool used_ = false;
  std::unique_ptr<EntryLog> entries_;                          // the recorded ops, in execution order
  autograd::IdSet tracked_;                                    // tensor ids that depend on watched things
  std::vector<Variable> watched_vars_;                         // in first-watch order
  autograd::IdMap<uint32_t> watched_index_;                    // variable id -> its index in watched_vars_
  autograd::IdMap<util::SmallVector<uint64_t, 2>> var_reads_;  // variable id -> ids of its recorded reads
};

/// tf.stop_gradient: the value of x, through which no gradient flows.
Tensor stop_gradient(const Tensor& x);

namespace autograd {
/// Pauses every tape recording on this thread for its lifetime (TF's stop_recording on all
/// tapes); custom_gradient runs the forward function under it. With `created_from`, only the
/// tapes whose nesting_id() is at least that (a ForwardAccumulator computing its JVPs).
class PauseAllTapes {
 public:
  explicit PauseAllTapes(uint64_t created_from = 0);
  ~PauseAllTapes();
  PauseAllTapes(const PauseAllTapes&) = delete;
  PauseAllTapes& operator=(const PauseAllTapes&) = delete;

 private:
  std::vector<GradientTape*> paused_;
};

namespace detail {
/// Sets the op door's hook depth from the recording tapes and accumulators of this thread.
void sync_hook_depth();
}  // namespace detail

/// Registers the tape hook with core's op door and every built-in gradient rule.
void register_autograd();
}  // namespace autograd

}  // namespace tapeflow
