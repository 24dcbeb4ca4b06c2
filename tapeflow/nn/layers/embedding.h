// K::layers::Embedding: a lookup table of (input_dim, output_dim) vectors indexed by integers.
// (...) int -> (..., output_dim). With mask_zero, index 0 marks padding (the output's mask).
#pragma once
#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::keras::layers {

struct EmbeddingOptions {
  initializers::Initializer embeddings_initializer = "uniform";  // U(-0.05, 0.05)
  regularizers::Regularizer embeddings_regularizer = {};
  bool mask_zero = false;  // index 0 is padding: the output's mask (Note [Masks]) is inputs != 0
  std::string name;
  bool trainable = true;
};

class Embedding : public Layer {
 public:
  Embedding(int64_t input_dim, int64_t output_dim, EmbeddingOptions options = {});
  void build(const Shape& input_shape) override;
  /// Indices outside [0, input_dim) are an InvalidArgumentError naming the layer.
  Tensor call(const Tensor& inputs) override;
  bool supports_masking() const override { return options_.mask_zero; }
  /// With mask_zero: inputs != 0 (else none).
  std::optional<Tensor> compute_mask(const Tensor& inputs, const std::optional<Tensor>& mask) const override;
  std::string class_name() const override { return "Embedding"; }
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Embedding>(*this); }
  Variable embeddings() const { return tracked_variable("embeddings"); }
  int64_t input_dim() const { return input_dim_; }
  int64_t output_dim() const { return output_dim_; }
  const EmbeddingOptions& options() const { return options_; }

 private:
  int64_t input_dim_, output_dim_;
  EmbeddingOptions options_;
};

}  // namespace tapeflow::keras::layers
