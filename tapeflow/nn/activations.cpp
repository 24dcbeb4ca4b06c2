#include "tapeflow/nn/activations.h"

#include <map>

#include "tapeflow/core/ops/softmax.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::keras::activations {

namespace {
const std::map<std::string, Activation::Fn>& table() {
  static const std::map<std::string, Activation::Fn> t = {
      {"linear", nullptr},
      {"relu", [](const Tensor& x) { return nn::relu(x); }},
      {"relu6", [](const Tensor& x) { return nn::relu6(x); }},
      {"sigmoid", [](const Tensor& x) { return nn::sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return nn::tanh(x); }},
      {"softmax", [](const Tensor& x) { return nn::softmax(x); }},
      {"log_softmax", [](const Tensor& x) { return nn::log_softmax(x); }},
      {"softplus", [](const Tensor& x) { return nn::softplus(x); }},
      {"softsign", [](const Tensor& x) { return nn::softsign(x); }},
      {"elu", [](const Tensor& x) { return nn::elu(x); }},
      {"selu", [](const Tensor& x) { return nn::selu(x); }},
      {"gelu", [](const Tensor& x) { return nn::gelu(x); }},
      {"silu", [](const Tensor& x) { return nn::silu(x); }},
      {"swish", [](const Tensor& x) { return nn::silu(x); }},
      {"leaky_relu", [](const Tensor& x) { return nn::leaky_relu(x, 0.2f); }},
      {"exponential", [](const Tensor& x) { return tapeflow::exp(x); }},
  };
  return t;
}
}  // namespace

Activation::Activation(const char* name) : Activation(std::string(name)) {}

Activation::Activation(const std::string& name) : name_(name) {
  auto it = table().find(name);
  if (it == table().end()) {
    std::string known;
    for (const auto& [k, _] : table()) known += (known.empty() ? "" : ", ") + k;
    TF_THROW(InvalidArgumentError, "", "Could not interpret activation function identifier: '", name,
             "'. Known activations: ", known);
  }
  fn_ = it->second;
}

}  // namespace tapeflow::keras::activations
