#include "tapeflow/nn/layers/einsum_dense.h"

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/linalg.h"

namespace tapeflow::keras::layers {

EinsumDense::EinsumDense(std::string equation, std::vector<int64_t> output_shape, EinsumDenseOptions options)
    : Layer("einsum_dense", {.name = options.name, .trainable = options.trainable}),
      equation_(std::move(equation)),
      output_shape_(std::move(output_shape)),
      options_(std::move(options)) {
  const auto comma = equation_.find(','), arrow = equation_.find("->");
  TF_CHECK_ARG(comma != std::string::npos && arrow != std::string::npos && comma < arrow, "EinsumDense",
               "Invalid einsum equation '", equation_, "'. Equations must be in the form [X],[Y]->[Z]");
  input_ = equation_.substr(0, comma);
  kernel_ = equation_.substr(comma + 1, arrow - comma - 1);
  output_ = equation_.substr(arrow + 2);
  // input = P + C, kernel = C + N, output = P + N: a tensordot over the C axes.
  std::size_t c = 0;
  while (c < kernel_.size() && output_.find(kernel_[c]) == std::string::npos) ++c;
  contracted_ = int(c);
  const std::string prefix = input_.substr(0, input_.size() - std::min(c, input_.size()));
  const bool dense_form = c > 0 && c <= input_.size() && input_.compare(input_.size() - c, c, kernel_, 0, c) == 0 &&
                          output_ == prefix + kernel_.substr(c);
  TF_CHECK_TYPED(dense_form, UnimplementedError, "EinsumDense", "EinsumDense supports equations whose input's last ",
                 "axes are contracted with the kernel's first ones (\"abc,cde->abde\"); got '", equation_, "'");
  TF_CHECK_ARG(output_shape_.size() + 1 == output_.size(), "EinsumDense", "output_shape has ", output_shape_.size(),
               " axes but the equation's output '", output_, "' (batch axis excluded) has ", output_.size() - 1);
  TF_CHECK_ARG(
      options_.bias_axes.size() <= output_.size() - prefix.size() &&
          output_.compare(output_.size() - options_.bias_axes.size(), std::string::npos, options_.bias_axes) == 0,
      "EinsumDense", "bias_axes '", options_.bias_axes, "' must be the last letters of the output '", output_,
      "' among the kernel's");
}

void EinsumDense::build(const Shape& input_shape) {
  if (input_shape.rank() != int(input_.size()))
    TF_THROW(InvalidArgumentError, "", "Input 0 of layer \"", name(),
             "\" is incompatible with the layer: expected ndim=", input_.size(), ", found ndim=", input_shape.rank(),
             ". Full shape received: ", input_shape.to_string());
  std::vector<int64_t> kshape;
  for (std::size_t i = 0; i < kernel_.size(); ++i) {
    const char l = kernel_[i];
    const int64_t d = int(i) < contracted_ ? input_shape[int(input_.find(l))] : output_shape_[output_.find(l) - 1];
    TF_CHECK_ARG(d > 0, "", "Layer \"", name(), "\" (EinsumDense): the kernel's axis '", l,
                 "' needs a known size; input shape ", input_shape.to_string());
    kshape.push_back(d);
  }
  add_weight("kernel", Shape(kshape),
             {.initializer = options_.kernel_initializer,
              .regularizer = options_.kernel_regularizer,
              .dtype = options_.dtype});
  if (!options_.bias_axes.empty()) {
    std::vector<int64_t> bshape;
    for (char l : options_.bias_axes) bshape.push_back(output_shape_[output_.find(l) - 1]);
    add_weight(
        "bias", Shape(bshape),
        {.initializer = options_.bias_initializer, .regularizer = options_.bias_regularizer, .dtype = options_.dtype});
  }
}

Tensor EinsumDense::call(const Tensor& inputs) {
  check_input_rank(inputs, int(input_.size()));
  const Variable k = kernel();
  for (int i = 0; i < contracted_; ++i)
    if (inputs.shape().dim(i - contracted_) != k.shape()[i])
      TF_THROW(InvalidArgumentError, "", "Input 0 of layer \"", name(),
               "\" is incompatible with the layer: expected axis ", i - contracted_, " of input shape to have value ",
               k.shape()[i], ", but received input with shape ", inputs.shape().to_string());
  const Tensor x = inputs.dtype() == k.dtype() ? inputs : cast(inputs, k.dtype());
  Tensor y = tensordot(x, k, contracted_);
  if (!options_.bias_axes.empty()) y = y + bias();
  return options_.activation(y);
}

}  // namespace tapeflow::keras::layers
