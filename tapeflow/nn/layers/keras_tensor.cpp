#include "tapeflow/nn/layers/keras_tensor.h"

#include "tapeflow/core/errors.h"

namespace tapeflow::keras {

struct KerasTensor::State {
  Shape shape;
  DType dtype;
  std::shared_ptr<Node> node;
  int tensor_index;
};

KerasTensor::KerasTensor(Shape shape, DType dtype, std::shared_ptr<Node> node, int tensor_index)
    : state_(std::make_shared<const State>(State{std::move(shape), dtype, std::move(node), tensor_index})) {}

namespace {
template <typename S> const S& checked(const std::shared_ptr<const S>& s) {
  TF_CHECK_ARG(s != nullptr, "", "KerasTensor: use of an undefined (default-constructed) KerasTensor");
  return *s;
}
}  // namespace

const Shape& KerasTensor::shape() const { return checked(state_).shape; }
DType KerasTensor::dtype() const { return checked(state_).dtype; }
const std::shared_ptr<Node>& KerasTensor::node() const { return checked(state_).node; }
int KerasTensor::tensor_index() const { return checked(state_).tensor_index; }

}  // namespace tapeflow::keras
