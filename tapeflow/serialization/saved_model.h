// tf::saved_model: SavedModels in TensorFlow's format. save() writes a module's tracked
// tf::Functions (each traced concrete function as a FunctionDef), its object tree, its variables
// (the checkpoint bundle) and its signatures, so that Python TF's tf.saved_model.load runs them;
// load() reads ours and TF's (tf.Module, Keras model.export()) into graphs our executor runs,
// with no C++ class of the model:
//   tf::saved_model::save(model, "dir", {.signatures = {{"serving_default", cf}}});
//   auto loaded = tf::saved_model::load("dir");
//   loaded(x); loaded.signatures().at("serving_default")({{"x", x}});
#pragma once
#include <concepts>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tapeflow/graph/function.h"
#include "tapeflow/trackable/trackable.h"

namespace tapeflow::saved_model {

struct SaveOptions {
  /// Signature name -> concrete function (all of its arguments Tensors): TF's `signatures=`.
  /// The inputs are keyed by the TensorSpec names (or the function's argument names), the
  /// outputs "output_0", "output_1", ... (a returned map keeps its keys). Empty: as TF, the
  /// root's only tracked Function with an input_signature becomes "serving_default".
  std::map<std::string, ConcreteFunction> signatures = {};
};

/// Writes `root` to `export_dir` (created): saved_model.pb, variables/, assets/, fingerprint.pb.
/// UnimplementedError naming the node for an op Tapeflow cannot yet write as TF's;
/// FailedPreconditionError for a function reading a variable that `root` does not track.
void save_trackable(const std::shared_ptr<Trackable>& root, const std::string& export_dir,
                    const SaveOptions& options = {});
/// `tf::saved_model::save(my_module, "the_saved_model")`.
template <std::derived_from<Trackable> T>
void save(const T& root, const std::string& export_dir, const SaveOptions& options = {}) {
  save_trackable(std::make_shared<T>(root), export_dir, options);
}

struct LoadedState;

/// A restored tf.function: callable with the arguments of one of its traced signatures.
class LoadedFunction {
 public:
  template <typename... A> Value operator()(const A&... args) const { return call({Tensor(args)...}); }
  /// InvalidArgumentError listing every traced signature (TF's message) when none matches.
  Value call(const std::vector<Tensor>& args) const;
  /// Its concrete functions, one per traced signature.
  std::vector<ConcreteFunction> concrete_functions() const;
  const std::string& name() const { return name_; }

 private:
  friend struct LoadedState;
  struct Trace {
    std::vector<TensorSpec> specs;
    Function function;
  };
  std::string name_;
  std::vector<Trace> traces_;
};

/// A restored signature: Tensors by input name in, Tensors by output name out.
class SignatureFunction {
 public:
  std::map<std::string, Tensor> operator()(const std::map<std::string, Tensor>& inputs) const;
  /// The inputs' specs by name (TF's structured_input_signature[1]).
  const std::map<std::string, TensorSpec>& inputs() const { return inputs_; }
  const std::vector<std::string>& output_names() const { return outputs_; }

 private:
  friend struct LoadedState;
  std::string name_;
  std::map<std::string, TensorSpec> inputs_;
  std::vector<std::string> outputs_;
  Function function_;
};

/// What load() returns: the root object's functions, signatures and variables.
class LoadedModel {
 public:
  /// The root's `__call__`.
  template <typename... A> Value operator()(const A&... args) const { return function("__call__")(args...); }
  /// A function of the root by name ("__call__", "serve"), or of a child by path ("dense_1/__call__").
  /// NotFoundError listing the functions there are.
  const LoadedFunction& function(const std::string& name) const;
  std::vector<std::string> function_names() const;
  const std::map<std::string, SignatureFunction>& signatures() const;
  /// Every variable once, in the order of the object graph; the trainable ones.
  std::vector<Variable> variables() const;
  std::vector<Variable> trainable_variables() const;

 private:
  friend LoadedModel load(const std::string& export_dir);
  std::shared_ptr<LoadedState> state_;
};

/// Reads the SavedModel in `export_dir` (the MetaGraphDef tagged "serve"). NotFoundError when
/// absent; DataLossError for a damaged file; InvalidArgumentError for an inconsistent graph
/// (a missing function or variable, a cycle); UnimplementedError naming every op Tapeflow cannot
/// run, raised here rather than at the first call.
LoadedModel load(const std::string& export_dir);

}  // namespace tapeflow::saved_model
