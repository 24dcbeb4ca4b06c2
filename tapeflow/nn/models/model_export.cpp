// Model::export_ (Keras 3's model.export(), format "tf_saved_model"): the model behind the root
// Keras's ExportArchive saves (its variables in the lists `variables`, `trainable_variables`,
// `non_trainable_variables` and `_all_variables`, an empty `_misc_assets`, the endpoint
// `serve`), saved through tf::saved_model with the signatures "serve" and "serving_default".
#include <cstdint>
#include <iostream>

#include "tapeflow/core/errors.h"
#include "tapeflow/nn/layers/input_layer.h"
#include "tapeflow/nn/models/model.h"
#include "tapeflow/nn/models/sequential.h"
#include "tapeflow/serialization/saved_model.h"

namespace tapeflow::keras {
namespace {

// What Keras's ExportArchive saves as the root (its `_tf_trackable`): the variable lists and the
// endpoint, children in Keras's order.
class ExportArchive : public Trackable {
 public:
  ExportArchive(const Model& model, Function serve) : serve_(std::make_shared<const Function>(std::move(serve))) {
    auto list = [](const std::vector<Variable>& vars) {
      std::vector<TrackableReference> refs;
      for (const Variable& v : vars) refs.push_back({std::to_string(refs.size()), nullptr, v});
      return std::make_shared<TrackableNode>(std::move(refs));
    };
    std::vector<Variable> all = model.trainable_variables(), non_trainable = model.non_trainable_variables();
    all.insert(all.end(), non_trainable.begin(), non_trainable.end());
    children_ = {{"variables", list(all), Variable()},
                 {"trainable_variables", list(model.trainable_variables()), Variable()},
                 {"non_trainable_variables", list(non_trainable), Variable()},
                 {"_all_variables", list(all), Variable()},
                 {"_misc_assets", list({}), Variable()}};
  }
  const void* trackable_id() const override { return this; }
  std::vector<TrackableReference> trackable_children() const override { return children_; }
  std::vector<TrackableFunction> trackable_functions() const override { return {{"serve", serve_}}; }

 private:
  std::vector<TrackableReference> children_;
  std::shared_ptr<const Function> serve_;
};

// The name Keras gives a K::Input's tensor: the name given to K::Input, else Keras's automatic
// "keras_tensor", "keras_tensor_1", ... (Keras counts every KerasTensor of the process; Tapeflow
// numbers the model's unnamed inputs, which is what a fresh process with one model gets).
std::string input_name(const KerasTensor& t, int& unnamed) {
  const std::string& layer = t.node()->layer->name();
  const bool automatic = layer == "input_layer" || layer.starts_with("input_layer_");
  if (!automatic) return layer;
  const int k = unnamed++;
  return k == 0 ? "keras_tensor" : "keras_tensor_" + std::to_string(k);
}

std::vector<TensorSpec> input_signature_of(const Model& model, const ExportOptions& options) {
  std::vector<TensorSpec> specs;
  int unnamed = 0;
  if (options.input_signature) {
    for (TensorSpec s : *options.input_signature) {
      if (s.name.empty()) s.name = unnamed++ == 0 ? "keras_tensor" : "keras_tensor_" + std::to_string(unnamed - 1);
      specs.push_back(s);
    }
    return specs;
  }
  std::vector<KerasTensor> inputs = model.inputs();
  if (const auto* seq = dynamic_cast<const Sequential*>(&model)) {
    if (seq->input().defined()) {
      inputs = {seq->input()};
    } else if (auto shape = seq->build_input_shape()) {  // built by a call: Keras's build shapes
      specs.emplace_back(*shape, DType::kFloat32, "keras_tensor");
      return specs;
    }
  }
  TF_CHECK_ARG(!inputs.empty(), "", "model.export: the input signature of model '", model.name(),
               "' is unknown (it was neither built from K::Input nor called); pass it: "
               "model.export_(path, {.input_signature = {{tf::TensorSpec({-1, ...}, tf::float32)}}})");
  for (const KerasTensor& t : inputs) specs.emplace_back(t.shape(), t.dtype(), input_name(t, unnamed));
  return specs;
}

}  // namespace

void Model::export_(const std::string& filepath, ExportOptions options) const {
  TF_CHECK_ARG(options.format == "tf_saved_model", "", "model.export: format '", options.format,
               "' is not supported; Tapeflow writes format='tf_saved_model'");
  const std::vector<TensorSpec> specs = input_signature_of(*this, options);
  std::vector<std::string> names;
  for (const TensorSpec& s : specs) names.push_back(s.name);
  auto model = std::static_pointer_cast<Model>(clone());  // a handle: shares the weights
  Function serve(
      [model](const std::vector<Value>& args) -> Value {
        std::vector<Tensor> xs;
        for (const Value& a : args) xs.push_back(a.tensor());
        if (xs.size() == 1) return (*model)(xs[0], false);  // Keras's __call__, inference mode
        std::vector<Tensor> ys = model->call_all(xs, false);
        if (ys.size() == 1) return ys[0];
        return Value(ys);
      },
      static_cast<int>(specs.size()), {.input_signature = specs, .name = "serve", .arg_names = names});
  std::vector<std::optional<TensorSpec>> optional_specs(specs.begin(), specs.end());
  const ConcreteFunction cf = serve.get_concrete_function_for(std::vector<Value>(specs.size()), optional_specs);
  auto archive = std::make_shared<ExportArchive>(*this, serve);
  saved_model::save_trackable(archive, filepath, {.signatures = {{"serve", cf}, {"serving_default", cf}}});
  if (options.verbose) {
    std::cout << "Saved artifact at '" << filepath << "'. The following endpoints are available:\n\n"
              << "* Endpoint 'serve'\n";
    for (std::size_t k = 0; k < specs.size(); ++k)
      std::cout << "  args_" << k << " (POSITIONAL_ONLY): " << specs[k].to_string() << "\n";
    std::cout << "Output Type:\n";
    for (const TensorSpec& s : cf.structured_outputs()) std::cout << "  " << s.to_string() << "\n";
    std::cout << "Captures:\n";  // Keras prints each captured handle's Python id
    for (const Variable& v : variables())
      std::cout << "  " << reinterpret_cast<std::uintptr_t>(v.impl().get())
                << ": TensorSpec(shape=(), dtype=tf.resource, name=None)\n";
  }
}

}  // namespace tapeflow::keras
