// Tracer: the door's interceptor while a tf::function traces (Note [Tracing at the door]). Every
// op appends a node to the Graph and returns symbolic tensors; eager tensors used inside become
// captures (or constants when created inside the trace); variables become reads and writes of
// their handle, run in program order.
#pragma once
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tapeflow/core/dim_unify.h"
#include "tapeflow/graph/graph.h"

namespace tapeflow {

/// Shared by the symbolic tensors of one trace: tells a tensor used after its trace ended (or in
/// another Function's trace) which Function it came from.
struct TraceState {
  std::string function_name;
  std::atomic<bool> active{true};
};

/// What a symbolic tensor's TensorImpl::symbolic points to.
struct SymbolicValue {
  std::shared_ptr<TraceState> trace;
  Endpoint endpoint;
  std::string name;  // "AddV2:0"
};

namespace detail {
[[noreturn]] void throw_symbolic_tensor_use(const TensorImpl& t);
}

class Tracer final : public OpInterceptor {
 public:
  /// Installs itself on this thread (and pauses the thread's tapes: ops traced for the Function
  /// are not recorded by a tape outside it); uninstall() or the destructor restores both.
  Tracer(std::shared_ptr<Graph> graph, std::string function_name, bool allow_variable_creation);
  ~Tracer() override;
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  /// A Placeholder for a Tensor argument; `shape` may hold -1 (None).
  Tensor add_argument(const std::string& name, const Shape& shape, DType dtype);
  /// Values of the arguments of the call being traced, so that a variable initializer depending
  /// on them can be evaluated (empty for get_concrete_function).
  void set_argument_values(std::vector<Tensor> values) { argument_values_ = std::move(values); }
  /// The graph endpoint of `t`: its node when symbolic, else a capture or constant.
  Endpoint endpoint_of(const Tensor& t);
  /// Appends a PrintV2 node, ordered after every earlier side effect.
  void add_print(std::vector<PrintPiece> pieces, const std::vector<Tensor>& tensors);
  /// Ends the trace: uninstalls, and makes its symbolic tensors unusable.
  void uninstall();

  const std::vector<Tensor>& capture_values() const { return capture_values_; }
  bool created_variables() const { return created_variables_; }
  const std::shared_ptr<TraceState>& state() const { return state_; }
  Graph& graph() { return *graph_; }
  /// The tracer installed on this thread, or nullptr.
  static Tracer* current();

  TensorList intercept(const OpDef& op, std::span<const Tensor> inputs, const OpAttrs* attrs,
                       std::span<const OutputSpec> specs, Device device) override;
  Tensor read_variable(const Variable& v) override;
  void write_variable(const Variable& v, const char* op, const Tensor& value) override;
  Tensor lift_variable_initializer(const Tensor& initial_value) override;

 private:
  Tensor make_symbolic(int node, int index);
  int handle_of(const std::shared_ptr<VariableImpl>& var);
  /// Orders a new side effect after the previous one (TF's automatic control dependencies).
  void chain_side_effect(Node& n);

  std::shared_ptr<Graph> graph_;
  std::shared_ptr<TraceState> state_;
  bool allow_variable_creation_;
  bool created_variables_ = false;
  bool installed_ = false;
  OpInterceptor* previous_ = nullptr;
  int saved_tape_depth_ = 0;
  uint64_t first_id_;  // tensors with ids from here on were made inside the trace
  std::vector<Tensor> argument_values_;
  std::vector<Tensor> capture_values_;
  std::vector<Tensor> kept_alive_;  // eager tensors whose impl pointers key `eager_`
  std::unordered_map<const TensorImpl*, Endpoint> eager_;
  std::unordered_map<const VariableImpl*, int> handles_;
  struct VarState {
    int last_write = -1;
    std::vector<int> reads_since_write;
  };
  std::unordered_map<const VariableImpl*, VarState> vars_;
  int last_side_effect_ = -1;
  int next_unknown_dim_ = 0;
  /// The classes of unknown dimensions the ops' checks equated (Note [Unifying unknown
  /// dimensions]): a union-find whose representative is the class's earliest placeholder.
  struct DimClasses final : DimUnifier {
    std::unordered_map<int64_t, int64_t> parent;
    std::unordered_map<int64_t, int64_t> size;  // representative -> the known size it is bound to
    int64_t find(int64_t d);
    int64_t unify(int64_t a, int64_t b) override;
    bool bind(int64_t d, int64_t known) override;
  } dims_;
  DimUnifier* previous_unifier_ = nullptr;
  /// Rewrites every unknown dimension of the graph's specs to its class's representative, or to
  /// the known size the class is bound to.
  void canonicalize_dims();
  Tracer* prev_tracer_ = nullptr;
};

}  // namespace tapeflow
