#include "tapeflow/nn/layers/dropout.h"

#include "tapeflow/core/ops/random.h"

namespace tapeflow::keras::layers {

Dropout::Dropout(double rate, DropoutOptions options)
    : Layer("dropout", {.name = options.name}), rate_(rate), options_(std::move(options)) {
  TF_CHECK_ARG(
      rate >= 0 && rate <= 1, "Dropout",
      "Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: rate=", rate);
}

Tensor Dropout::call(const Tensor& inputs, bool training) {
  if (!training || rate_ == 0) return inputs;
  return nn::dropout(inputs, rate_, {.noise_shape = options_.noise_shape, .seed = options_.seed});
}

}  // namespace tapeflow::keras::layers
