// GradientTape (tf.GradientTape): records the ops run on this thread from construction until
// stop() or destruction, and differentiates them in reverse. Semantics are TF2's: trainable
// variables are watched when an op reads them, tensors only after watch(); a non-persistent tape
// computes gradients once; unconnected sources give std::nullopt (or zeros); nested tapes record
// each other's gradient computations, which gives higher-order gradients.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/variable.h"

namespace tapeflow {

/// tf.UnconnectedGradients: what gradient() returns for a source the target does not depend on.
enum class UnconnectedGradients { None, Zero };

struct GradientTapeOptions {
  bool persistent = false;
  bool watch_accessed_variables = true;
};

struct GradientOptions {
  /// Gradients of the targets (one per target; default ones_like(target)).
  std::vector<Tensor> output_gradients = {};
  UnconnectedGradients unconnected_gradients = UnconnectedGradients::None;
};

/// A differentiation source: a Tensor (watched with tape.watch) or a Variable.
class Source {
 public:
  Source(const Tensor& t) : tensor_(t) {}       // NOLINT
  Source(const Variable& v) : variable_(v) {}   // NOLINT
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
  void watch(const std::vector<Tensor>& ts) { for (const auto& t : ts) watch(t); }
  void watch(const std::vector<Variable>& vs) { for (const auto& v : vs) watch(v); }
  /// The variables this tape watches, in first-watch order.
  std::vector<Variable> watched_variables() const;

  /// d(sum of targets)/d(source).
  std::optional<Tensor> gradient(const Tensor& target, const Source& source, const GradientOptions& options = {});
  std::optional<Tensor> gradient(const std::vector<Tensor>& targets, const Source& source,
                                 const GradientOptions& options = {});
  std::vector<std::optional<Tensor>> gradient(const Tensor& target, const std::vector<Variable>& sources,
                                              const GradientOptions& options = {});
  std::vector<std::optional<Tensor>> gradient(const Tensor& target, const std::vector<Tensor>& sources,
                                              const GradientOptions& options = {});
  std::vector<std::optional<Tensor>> gradient(const std::vector<Tensor>& targets, const std::vector<Source>& sources,
                                              const GradientOptions& options = {});
  /// Named sources give a map with the same keys.
  std::map<std::string, std::optional<Tensor>> gradient(const Tensor& target,
                                                        const std::map<std::string, Variable>& sources,
                                                        const GradientOptions& options = {});
  std::map<std::string, std::optional<Tensor>> gradient(const Tensor& target,
                                                        const std::map<std::string, Tensor>& sources,
                                                        const GradientOptions& options = {});

  /// d(target[i...])/d(source[j...]): shape target.shape + source.shape.
  std::optional<Tensor> jacobian(const Tensor& target, const Source& source,
                                 UnconnectedGradients unconnected = UnconnectedGradients::None);
  /// For target (B, ...) and source (B, ...) whose rows are independent: (B, target[1:], source[1:]).
  std::optional<Tensor> batch_jacobian(const Tensor& target, const Source& source,
                                       UnconnectedGradients unconnected = UnconnectedGradients::None);

  /// Called by the op door for every executed op while this tape records (internal).
  void record(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs, std::span<const Tensor> outputs);

  struct Entry;

 private:
  bool is_tracked(const Tensor& t) const;
  std::vector<std::optional<Tensor>> compute(const std::vector<Tensor>& targets, const std::vector<Source>& sources,
                                             const std::vector<Tensor>& output_gradients,
                                             UnconnectedGradients unconnected);
  void check_usable(const char* what);

  GradientTapeOptions options_;
  bool recording_ = false;
  bool used_ = false;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::unordered_set<uint64_t> tracked_;                      // tensor ids that depend on watched things
  std::unordered_map<uint64_t, Variable> watched_vars_;       // variable id -> variable
  std::vector<uint64_t> watch_order_;
  std::unordered_map<uint64_t, std::vector<Tensor>> var_reads_;  // variable id -> its recorded reads
};

/// tf.stop_gradient: the value of x, through which no gradient flows.
Tensor stop_gradient(const Tensor& x);

namespace autograd {
/// Registers the tape hook with core's op door and every built-in gradient rule.
void register_autograd();
}  // namespace autograd

}  // namespace tapeflow
