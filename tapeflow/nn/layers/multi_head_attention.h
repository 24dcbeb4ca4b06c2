// K::layers::MultiHeadAttention: scaled dot-product attention over several heads, with Keras 3's
// weight layout (EinsumDense sublayers query, key, value, attention_output).
#pragma once
#include <memory>
#include <optional>
#include <utility>

#include "tapeflow/nn/layers/dropout.h"
#include "tapeflow/nn/layers/einsum_dense.h"

namespace tapeflow::keras::layers {

class Softmax;

struct MultiHeadAttentionOptions {
  std::optional<int64_t> value_dim;  // default key_dim
  double dropout = 0.0;              // on the attention probabilities, when training
  bool use_bias = true;
  std::optional<int64_t> output_shape;  // the output's last axis; default the query's
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  regularizers::Regularizer kernel_regularizer = {};
  regularizers::Regularizer bias_regularizer = {};
  std::optional<int64_t> seed;  // the dropout's
  std::string name;
  bool trainable = true;
  DType dtype = DType::kFloat32;
};

/// What one call takes besides query and value, in Keras's order.
struct AttentionCallOptions {
  std::optional<Tensor> key;             // default value
  std::optional<Tensor> attention_mask;  // (B, T, S): 1/true where query t may attend to key s
  std::optional<bool> training;
  bool use_causal_mask = false;  // query t attends to keys s <= t only (decoders)
};

/// `K::layers::MultiHeadAttention(num_heads, key_dim)`, called as `mha(query, value)` or
/// `mha(query, value, {.key = k, .attention_mask = m})`: query (B, T, Dq), value (B, S, Dv),
/// key (B, S, Dk) -> (B, T, Dq). Per head h: softmax(q_h k_h^T / sqrt(key_dim)) v_h, the heads
/// projected back by attention_output. Weights (Keras's): query/kernel (Dq, heads, key_dim),
/// query/bias (heads, key_dim), the same for key and value, attention_output/kernel
/// (heads, value_dim, Dq) and attention_output/bias (Dq,). Inputs of rank 3.
class MultiHeadAttention : public Layer {
 public:
  MultiHeadAttention(int64_t num_heads, int64_t key_dim, MultiHeadAttentionOptions options = {});
  using Layer::operator();
  Tensor operator()(const Tensor& query, const Tensor& value, AttentionCallOptions options = {});
  /// The output and the attention probabilities (B, heads, T, S): return_attention_scores=True.
  std::pair<Tensor, Tensor> call_with_scores(const Tensor& query, const Tensor& value,
                                             AttentionCallOptions options = {});
  /// The functional API: `mha(x, x)` or `mha(x, x, {.use_causal_mask = true})` on KerasTensors
  /// (key = value; a key, attention_mask or training given here is an InvalidArgumentError).
  KerasTensor operator()(const KerasTensor& query, const KerasTensor& value, AttentionCallOptions options = {});

  /// A list call: {query, value} or {query, value, key}.
  void build(const std::vector<Shape>& input_shapes) override;
  using Layer::build;
  Tensor call(const std::vector<Tensor>& inputs, bool training) override;
  std::string class_name() const override { return "MultiHeadAttention"; }
  /// The projections are Keras's `_query_dense`, ... (TF checkpoints), saved in .weights.h5
  /// files under their public properties `query_dense`, ...
  std::string weights_file_name(const std::string& tracked) const override;
  std::shared_ptr<Layer> clone() const override { return std::make_shared<MultiHeadAttention>(*this); }

  int64_t num_heads() const { return num_heads_; }
  int64_t key_dim() const { return key_dim_; }
  /// The projections (valid once built).
  EinsumDense query_dense() const;
  EinsumDense key_dense() const;
  EinsumDense value_dense() const;
  EinsumDense output_dense() const;

 private:
  std::pair<Tensor, Tensor> attend(const Tensor& query, const Tensor& value, const Tensor& key,
                                   const std::optional<Tensor>& mask, bool use_causal_mask, bool training);
  void build_for(const Shape& query, const Shape& value, const Shape& key);

  int64_t num_heads_, key_dim_;
  MultiHeadAttentionOptions options_;
  bool causal_list_call_ = false;  // use_causal_mask of list calls (the functional node's copy keeps it)
  struct Sublayers;                // made by build, shared by the layer's copies
  std::shared_ptr<std::shared_ptr<Sublayers>> sub_ = std::make_shared<std::shared_ptr<Sublayers>>();
};

}  // namespace tapeflow::keras::layers
