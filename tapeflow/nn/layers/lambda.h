// K::layers::Lambda: a layer made of a function, for the small steps of a model that need no
// weights: `K::layers::Lambda([](const tf::Tensor& x) { return x / 255.0; })`.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::keras::layers {

struct LambdaOptions {
  std::string name;
};

/// A function of one tensor, or of a list (a call on several inputs). Its output shape comes
/// from the functional API's probing (no output_shape argument needed). Variables the function
/// captures are not tracked (as in Keras): write a custom layer for weights.
class Lambda : public Layer {
 public:
  using Fn = std::function<Tensor(const Tensor&)>;
  using ListFn = std::function<Tensor(const std::vector<Tensor>&)>;
  template <typename F>
  requires std::is_invocable_r_v<Tensor, F, const Tensor&>
  explicit Lambda(F function, LambdaOptions options = {})
      : Layer("lambda", {.name = options.name}), fn_(std::move(function)) {}
  template <typename F>
  requires(!std::is_invocable_r_v<Tensor, F, const Tensor&> &&
           std::is_invocable_r_v<Tensor, F, const std::vector<Tensor>&>) explicit Lambda(F function,
                                                                                         LambdaOptions options = {})
      : Layer("lambda", {.name = options.name}), list_fn_(std::move(function)) {}

  Tensor call(const Tensor& inputs) override { return fn_ ? fn_(inputs) : list_fn_(std::vector<Tensor>{inputs}); }
  Tensor call(const std::vector<Tensor>& inputs, bool training) override {
    if (list_fn_) return list_fn_(inputs);
    return Layer::call(inputs, training);  // one input only
  }
  void build(const std::vector<Shape>& input_shapes) override {
    if (!list_fn_) Layer::build(input_shapes);
  }
  using Layer::build;
  std::string class_name() const override { return "Lambda"; }
  bool supports_masking() const override { return true; }  // the input's mask passes through (Keras's default)
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Lambda>(*this); }

 private:
  Fn fn_;
  ListFn list_fn_;
};

}  // namespace tapeflow::keras::layers
