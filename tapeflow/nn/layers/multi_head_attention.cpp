#include "tapeflow/nn/layers/multi_head_attention.h"

#include <cmath>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/linalg.h"
#include "tapeflow/nn/layers/activation.h"

namespace tapeflow::keras::layers {

struct MultiHeadAttention::Sublayers {
  EinsumDense query, key, value, output;
  Softmax softmax;
  Dropout dropout;
};

MultiHeadAttention::MultiHeadAttention(int64_t num_heads, int64_t key_dim, MultiHeadAttentionOptions options)
    : Layer("multi_head_attention", {.name = options.name, .trainable = options.trainable}),
      num_heads_(num_heads),
      key_dim_(key_dim),
      options_(std::move(options)) {
  TF_CHECK_ARG(num_heads > 0, "MultiHeadAttention", "num_heads must be positive, got ", num_heads);
  TF_CHECK_ARG(key_dim > 0, "MultiHeadAttention", "key_dim must be positive, got ", key_dim);
  TF_CHECK_ARG(!options_.value_dim || *options_.value_dim > 0, "MultiHeadAttention", "value_dim must be positive");
  TF_CHECK_ARG(options_.dropout >= 0 && options_.dropout < 1, "MultiHeadAttention", "dropout must be in [0, 1), got ",
               options_.dropout);
}

void MultiHeadAttention::build_for(const Shape& query, const Shape& value, const Shape& key) {
  auto rank3 = [&](const Shape& s, const char* what) {
    TF_CHECK_ARG(s.rank() == 3, "", "Layer \"", name(), "\" (MultiHeadAttention) expects ", what,
                 " of rank 3 (batch, steps, features); received shape ", s.to_string());
  };
  rank3(query, "a query");
  rank3(value, "a value");
  rank3(key, "a key");
  TF_CHECK_ARG(value[1] == key[1], "", "Layer \"", name(),
               "\" (MultiHeadAttention): all dimensions of `value` and `key`, except the last one, must be equal. "
               "Received: value_shape=",
               value.to_string(), " and key_shape=", key.to_string());
  const int64_t value_dim = options_.value_dim.value_or(key_dim_);
  const int64_t out_dim = options_.output_shape.value_or(query.dim(-1));
  auto projection = [&](const char* layer_name, const char* equation, std::vector<int64_t> out_shape,
                        const char* bias_axes) {
    return EinsumDense(equation, std::move(out_shape),
                       {.bias_axes = options_.use_bias ? bias_axes : "",
                        .kernel_initializer = options_.kernel_initializer,
                        .bias_initializer = options_.bias_initializer,
                        .kernel_regularizer = options_.kernel_regularizer,
                        .bias_regularizer = options_.bias_regularizer,
                        .name = layer_name,
                        .dtype = options_.dtype});
  };
  // Tracked under Keras 3's attribute names (its TF checkpoints' names).
  auto q = track("_query_dense", projection("query", "abc,cde->abde", {-1, num_heads_, key_dim_}, "de"));
  auto k = track("_key_dense", projection("key", "abc,cde->abde", {-1, num_heads_, key_dim_}, "de"));
  auto v = track("_value_dense", projection("value", "abc,cde->abde", {-1, num_heads_, value_dim}, "de"));
  auto o = track("_output_dense", projection("attention_output", "abcd,cde->abe", {-1, out_dim}, "e"));
  const std::pair<EinsumDense*, Shape> inputs[] = {
      {&q, query}, {&k, key}, {&v, value}, {&o, Shape{query[0], query[1], num_heads_, value_dim}}};
  for (auto& [layer, shape] : inputs) {
    layer->build(shape);
    layer->set_built(true);
  }
  auto softmax = track("_softmax", Softmax());
  auto dropout = track("_dropout_layer",
                       Dropout(options_.dropout, {.noise_shape = std::nullopt, .seed = options_.seed, .name = ""}));
  *sub_ = std::make_shared<Sublayers>(Sublayers{q, k, v, o, softmax, dropout});
}

void MultiHeadAttention::build(const std::vector<Shape>& input_shapes) {
  TF_CHECK_ARG(input_shapes.size() == 2 || input_shapes.size() == 3, "", "Layer \"", name(),
               "\" (MultiHeadAttention) is called on [query, value] or [query, value, key]; received ",
               input_shapes.size(), " inputs");
  build_for(input_shapes[0], input_shapes[1], input_shapes.size() == 3 ? input_shapes[2] : input_shapes[1]);
}

Tensor MultiHeadAttention::call(const std::vector<Tensor>& inputs, bool training) {
  TF_CHECK_ARG(inputs.size() == 2 || inputs.size() == 3, "", "Layer \"", name(),
               "\" (MultiHeadAttention) is called on [query, value] or [query, value, key]; received ", inputs.size(),
               " inputs");
  return attend(inputs[0], inputs[1], inputs.size() == 3 ? inputs[2] : inputs[1], std::nullopt, causal_list_call_,
                training)
      .first;
}

Tensor MultiHeadAttention::operator()(const Tensor& query, const Tensor& value, AttentionCallOptions options) {
  return call_with_scores(query, value, std::move(options)).first;
}

std::pair<Tensor, Tensor> MultiHeadAttention::call_with_scores(const Tensor& query, const Tensor& value,
                                                               AttentionCallOptions options) {
  Tensor scores;
  Tensor out = run_call(options.training, [&](bool training) {
    const Tensor key = options.key.value_or(value);
    if (!built()) {
      build_for(query.shape(), value.shape(), key.shape());
      set_built(true);
    }
    auto [o, s] = attend(query, value, key, options.attention_mask, options.use_causal_mask, training);
    scores = s;
    return o;
  });
  return {out, scores};
}

KerasTensor MultiHeadAttention::operator()(const KerasTensor& query, const KerasTensor& value,
                                           AttentionCallOptions options) {
  TF_CHECK_ARG(!options.key && !options.attention_mask && !options.training, "", "Layer \"", name(),
               "\" (MultiHeadAttention): on KerasTensors only use_causal_mask is taken; pass a key as "
               "mha({query, value, key})");
  // The node's copy of this layer (made inside the call) keeps the flag; this handle does not.
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{causal_list_call_};
  causal_list_call_ = options.use_causal_mask;
  return Layer::operator()(std::vector<KerasTensor>{query, value});
}

std::pair<Tensor, Tensor> MultiHeadAttention::attend(const Tensor& query, const Tensor& value, const Tensor& key,
                                                     const std::optional<Tensor>& mask, bool use_causal_mask,
                                                     bool training) {
  Sublayers& s = **sub_;
  auto rank3 = [&](const Tensor& t, const char* what) {
    TF_CHECK_ARG(t.ndim() == 3, "", "Layer \"", name(), "\" (MultiHeadAttention) expects ", what,
                 " of rank 3 (batch, steps, features); received shape ", t.shape().to_string());
  };
  rank3(query, "a query");
  rank3(value, "a value");
  rank3(key, "a key");
  TF_CHECK_ARG(value.shape()[1] == key.shape()[1], "", "Layer \"", name(),
               "\" (MultiHeadAttention): value and key must have the same number of steps; received ",
               value.shape().to_string(), " and ", key.shape().to_string());
  // (B, T, heads, key_dim) etc., then heads first: (B, heads, T, key_dim).
  const std::vector<int> heads_first{0, 2, 1, 3};
  const Tensor q = transpose(s.query(query) * (1.0 / std::sqrt(double(key_dim_))), heads_first);
  const Tensor k = transpose(s.key(key), heads_first);
  const Tensor v = transpose(s.value(value), heads_first);
  Tensor scores = matmul(q, k, {.transpose_b = true});  // (B, heads, T, S)
  const int64_t t = query.shape()[1], steps = value.shape()[1];
  std::optional<Tensor> keep;  // 1 where attention is allowed, broadcast to (B, heads, T, S)
  if (mask) {
    const Shape& ms = mask->shape();
    TF_CHECK_ARG((ms.rank() == 2 || ms.rank() == 3) && ms.dim(-2) == t && ms.dim(-1) == steps &&
                     (ms.rank() == 2 || ms[0] == 1 || ms[0] == query.shape()[0]),
                 "", "Layer \"", name(), "\" (MultiHeadAttention): attention_mask of shape ", ms.to_string(),
                 " does not match (batch, T, S) = (", query.shape()[0], ", ", t, ", ", steps, ")");
    Tensor m = mask->dtype() == DType::kBool ? cast(*mask, scores.dtype())
                                             : cast(greater(*mask, scalar_tensor(0.5, mask->dtype())), scores.dtype());
    keep = ms.rank() == 2 ? reshape(m, {1, 1, t, steps}) : expand_dims(m, 1);
  }
  if (use_causal_mask) {
    std::vector<double> lower(std::size_t(t * steps));
    for (int64_t i = 0; i < t; ++i)
      for (int64_t j = 0; j < steps; ++j) lower[std::size_t(i * steps + j)] = i >= j ? 1.0 : 0.0;
    const Tensor causal = constant(lower, Shape{1, 1, t, steps}, scores.dtype());
    keep = keep ? *keep * causal : causal;
  }
  // Keras's masked softmax: masked scores become -1e9, masked probabilities 0.
  if (keep) scores = scores * *keep + (1.0 - *keep) * -1e9;
  Tensor probs = s.softmax(scores);
  if (keep) probs = probs * *keep;
  const Tensor dropped = s.dropout(probs, training);
  const Tensor heads = transpose(matmul(dropped, v), heads_first);  // (B, T, heads, value_dim)
  return {s.output(heads), probs};
}

std::string MultiHeadAttention::weights_file_name(const std::string& tracked) const {
  for (const char* n : {"_query_dense", "_key_dense", "_value_dense", "_output_dense"})
    if (tracked == n) return tracked.substr(1);
  return tracked;
}

EinsumDense MultiHeadAttention::query_dense() const { return (*sub_)->query; }
EinsumDense MultiHeadAttention::key_dense() const { return (*sub_)->key; }
EinsumDense MultiHeadAttention::value_dense() const { return (*sub_)->value; }
EinsumDense MultiHeadAttention::output_dense() const { return (*sub_)->output; }

}  // namespace tapeflow::keras::layers
