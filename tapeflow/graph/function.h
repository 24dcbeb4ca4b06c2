// tf::function: traces a C++ callable into a Graph per signature (a ConcreteFunction) and runs
// the graph on later calls. See API.md "Functions". C++ side effects in the callable happen at
// trace time only; tf::print is the graph-side print.
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "tapeflow/graph/executor.h"
#include "tapeflow/graph/graph.h"
#include "tapeflow/graph/optimizer.h"
#include "tapeflow/graph/value.h"

namespace tapeflow {

/// tf.TensorSpec: the dtype and shape of a Tensor argument; -1 in the shape is None.
struct TensorSpec {
  TensorSpec(std::initializer_list<int64_t> shape, DType dtype = DType::kFloat32, std::string name = {})
      : shape(shape), dtype(dtype), name(std::move(name)) {}
  TensorSpec(Shape shape, DType dtype = DType::kFloat32, std::string name = {})
      : shape(std::move(shape)), dtype(dtype), name(std::move(name)) {}
  Shape shape;
  DType dtype;
  std::string name;
  /// Whether a tensor of this dtype and shape fits (None matches any size).
  bool is_compatible_with(const Tensor& t) const;
  /// "TensorSpec(shape=(None, 3), dtype=tf.float32, name=None)".
  std::string to_string() const;
  friend bool operator==(const TensorSpec& a, const TensorSpec& b) {
    return a.shape == b.shape && a.dtype == b.dtype && a.name == b.name;
  }
};
std::ostream& operator<<(std::ostream& os, const TensorSpec& s);

struct FunctionOptions {
  /// Fixes the signature: one concrete function; other arguments are rejected with TF's error.
  std::optional<std::vector<TensorSpec>> input_signature = std::nullopt;
  /// When a dimension changes between calls, retrace once with it as None (TF's reduce_retracing).
  bool reduce_retracing = false;
  /// The Python function's name (printed signatures, errors) and its parameter names; C++
  /// lambdas have neither, so they default to "<lambda>" and "args_0", "args_1", ... as in TF.
  std::string name = "<lambda>";
  std::vector<std::string> arg_names = {};
  /// The graph passes its concrete functions run with; unset: those of
  /// tf::config::optimizer::set_experimental_options when the Function is created.
  std::optional<GraphOptimizerOptions> optimizer = std::nullopt;
};

/// One argument of a concrete function's structured input signature: a TensorSpec for a Tensor
/// argument, the value itself for any other.
struct ArgSpec {
  std::optional<TensorSpec> spec;
  Value value;
};

struct FunctionState;
struct ConcreteFunctionImpl;
struct CallableGraph;

/// A Graph traced for one signature, and its plan. Callable with Tensors of that signature.
class ConcreteFunction {
 public:
  ConcreteFunction() = default;
  explicit ConcreteFunction(std::shared_ptr<ConcreteFunctionImpl> impl) : impl_(std::move(impl)) {}
  /// Runs the graph: `cf(x, y)` with the Tensor arguments of its signature, in order.
  template <typename... A> Value operator()(const A&... args) const { return call_flat({Tensor(args)...}); }
  Value call_flat(const std::vector<Tensor>& tensors) const;

  const Graph& graph() const;
  /// "((TensorSpec(shape=(), dtype=tf.float32, name='x'),), {})" as TF prints it.
  std::vector<ArgSpec> structured_input_signature() const;
  std::string structured_input_signature_string() const;
  /// The outputs' specs, flattened; and TF's repr of the structure ("<tf.Tensor 'Maximum:0' shape=() ...>").
  std::vector<TensorSpec> structured_outputs() const;
  std::string structured_outputs_string() const;
  /// The returned structure; its Tensor leaves are the graph's (symbolic) outputs.
  const Value& output_structure() const;
  /// The signature as pretty_printed_concrete_signatures prints it.
  std::string pretty_printed_signature() const;
  const std::shared_ptr<ConcreteFunctionImpl>& impl() const { return impl_; }
  /// The graph that runs: graph() after the optimizer's passes (TF's Grappler output).
  const Graph& optimized_graph() const;
  /// The graph, plan, captures and variables a call needs (graph/call_op.h).
  std::shared_ptr<CallableGraph> callable() const;

 private:
  std::shared_ptr<ConcreteFunctionImpl> impl_;
};

/// tf.function's result (a polymorphic function): a cache of concrete functions keyed by the
/// call's signature. A handle: copies share the cache. Safe to call from several threads.
class Function {
 public:
  using Body = std::function<Value(const std::vector<Value>&)>;
  Function() = default;
  Function(Body body, int arity, FunctionOptions options);

  template <typename... A> Value operator()(A&&... args) const {
    return call(std::vector<Value>{Value(std::forward<A>(args))...});
  }
  Value call(const std::vector<Value>& args) const;

  /// The number of times the callable was traced (TF's experimental_get_tracing_count()).
  int experimental_get_tracing_count() const;
  /// The concrete function for these arguments (traced if new): a TensorSpec for each Tensor
  /// argument (-1 in its shape is None), the value for any other.
  template <typename... S> ConcreteFunction get_concrete_function(const S&... specs) const {
    std::vector<std::optional<TensorSpec>> s;
    std::vector<Value> v;
    (add_spec(specs, s, v), ...);
    return get_concrete_function_for(std::move(v), std::move(s));
  }
  ConcreteFunction get_concrete_function_for(std::vector<Value> values,
                                             std::vector<std::optional<TensorSpec>> specs) const;
  /// Every concrete function's signature, TF's text, separated by blank lines.
  std::string pretty_printed_concrete_signatures() const;
  std::vector<ConcreteFunction> concrete_functions() const;
  const std::string& name() const;
  /// The fixed signature it was created with (FunctionOptions::input_signature), if any.
  const std::optional<std::vector<TensorSpec>>& input_signature() const;

 private:
  template <typename S>
  static void add_spec(const S& x, std::vector<std::optional<TensorSpec>>& s, std::vector<Value>& v) {
    if constexpr (std::is_same_v<S, TensorSpec>) {
      s.push_back(x);
      v.push_back(Value());
    } else {
      s.push_back(std::nullopt);
      v.push_back(Value(x));
    }
  }

  std::shared_ptr<FunctionState> state_;
};

namespace detail {
template <typename F> struct callable_traits : callable_traits<decltype(&std::remove_cvref_t<F>::operator())> {};
template <typename C, typename R, typename... A> struct callable_traits<R (C::*)(A...) const> {
  using result = R;
  using args = std::tuple<A...>;
  static constexpr int arity = sizeof...(A);
};
template <typename C, typename R, typename... A>
struct callable_traits<R (C::*)(A...)> : callable_traits<R (C::*)(A...) const> {};
template <typename R, typename... A> struct callable_traits<R (*)(A...)> {
  using result = R;
  using args = std::tuple<A...>;
  static constexpr int arity = sizeof...(A);
};

template <typename F, typename Args, std::size_t... I>
Value invoke_with_values(F& fn, const std::vector<Value>& v, std::index_sequence<I...>) {
  using R = typename callable_traits<F>::result;
  if constexpr (std::is_void_v<R>) {
    fn(from_value<std::tuple_element_t<I, Args>>(v[I])...);
    return Value();
  } else {
    return to_value(fn(from_value<std::tuple_element_t<I, Args>>(v[I])...));
  }
}
}  // namespace detail

/// tf.function: `auto f = tf::function([](const tf::Tensor& x) { return x * x; });`
template <typename F> Function function(F fn, FunctionOptions options = {}) {
  using Traits = detail::callable_traits<F>;
  using Args = typename Traits::args;
  Function::Body body = [fn = std::move(fn)](const std::vector<Value>& args) mutable -> Value {
    return detail::invoke_with_values<F, Args>(fn, args, std::make_index_sequence<Traits::arity>{});
  };
  return Function(std::move(body), Traits::arity, std::move(options));
}

/// tf.print: prints its arguments separated by spaces. Eagerly it prints now; inside a Function
/// it becomes a PrintV2 node that prints on every call, in program order.
struct PrintArg {
  PrintArg(const Tensor& t) : tensor(t) {}                 // NOLINT
  PrintArg(const Variable& v) : tensor(v.read_value()) {}  // NOLINT
  PrintArg(const char* s) : text(s) {}                     // NOLINT
  PrintArg(std::string s) : text(std::move(s)) {}          // NOLINT
  template <typename N, std::enable_if_t<std::is_arithmetic_v<N>, int> = 0>
  PrintArg(N n) : text(Value(n).repr()) {}  // NOLINT
  Tensor tensor;
  std::string text;
};
void print(const std::vector<PrintArg>& args);
template <typename... A> void print(const A&... args) { print(std::vector<PrintArg>{PrintArg(args)...}); }

namespace detail {
/// Called with the concrete function of every Function call (tf::summary::trace_on records
/// their graphs); nullptr (the default) costs one relaxed atomic load per call.
using FunctionCallObserver = void (*)(const ConcreteFunction& function);
void set_function_call_observer(FunctionCallObserver observer) noexcept;

/// Traces `body` on `args` (Tensor leaves become placeholders of `specs`) into a concrete
/// function that may not create variables: the branches of tf::cond.
ConcreteFunction trace_graph(const std::string& name, const Function::Body& body, const std::vector<Value>& args,
                             const std::vector<TensorSpec>& specs);
}  // namespace detail

/// Adds to a call's signature key what ambient state (beyond device scope, soft placement and
/// TF32) changes a trace, e.g. Keras's training flag; upper layers register it at start-up.
void register_trace_context(std::string (*context)());

namespace config {
/// tf.config.run_functions_eagerly: when true, Functions run their callable eagerly (no tracing).
void run_functions_eagerly(bool enabled);
bool functions_run_eagerly();
}  // namespace config

namespace graph {
/// Registers the call op (PartitionedCall), its kernels and its gradient, and the symbolic-tensor
/// error hook. Called once by register_builtin_ops().
void register_graph();
}  // namespace graph

}  // namespace tapeflow
