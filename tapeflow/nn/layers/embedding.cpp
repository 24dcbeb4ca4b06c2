#include "tapeflow/nn/layers/embedding.h"

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"

namespace tapeflow::keras::layers {

Embedding::Embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions options)
    : Layer("embedding", {.name = options.name, .trainable = options.trainable}),
      input_dim_(input_dim),
      output_dim_(output_dim),
      options_(std::move(options)) {
  TF_CHECK_ARG(input_dim > 0 && output_dim > 0, "Embedding",
               "Both `input_dim` and `output_dim` should be positive, Received input_dim = ", input_dim,
               " and output_dim = ", output_dim);
}

void Embedding::build(const Shape&) {
  add_weight("embeddings", {input_dim_, output_dim_},
             {.initializer = options_.embeddings_initializer, .regularizer = options_.embeddings_regularizer});
}

Tensor Embedding::call(const Tensor& inputs) {
  TF_CHECK_ARG(is_integer(inputs.dtype()) || is_floating(inputs.dtype()), "", "Input 0 of layer \"", name(),
               "\" must be integer indices, got dtype ", dtype_name(inputs.dtype()));
  Tensor ids =
      inputs.dtype() == DType::kInt32 || inputs.dtype() == DType::kInt64 ? inputs : cast(inputs, DType::kInt32);
  return gather(embeddings(), ids);
}

std::optional<Tensor> Embedding::compute_mask(const Tensor& inputs, const std::optional<Tensor>&) const {
  if (!options_.mask_zero) return std::nullopt;
  return not_equal(inputs, scalar_tensor(0, inputs.dtype()));
}

}  // namespace tapeflow::keras::layers
