// Reshaping layers: Flatten ((B, ...) -> (B, prod(...))) and Reshape ((B, ...) -> (B, target)).
#pragma once
#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::keras::layers {

struct FlattenOptions {
  std::string name;
};

/// (B, d1, d2, ...) -> (B, d1 * d2 * ...); (B,) -> (B, 1).
class Flatten : public Layer {
 public:
  explicit Flatten(FlattenOptions options = {});
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "Flatten"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Flatten>(*this); }
};

struct ReshapeOptions {
  std::string name;
};

/// `K::layers::Reshape({7, 7, 16})`: the batch dimension is kept; target_shape may hold one -1.
class Reshape : public Layer {
 public:
  explicit Reshape(Shape target_shape, ReshapeOptions options = {});
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "Reshape"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Reshape>(*this); }
  const Shape& target_shape() const { return target_shape_; }

 private:
  Shape target_shape_;
};

}  // namespace tapeflow::keras::layers
