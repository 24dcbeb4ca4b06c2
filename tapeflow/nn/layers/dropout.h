// K::layers::Dropout: tf::nn::dropout when training (zero with probability rate, scale the rest
// by 1 / (1 - rate)); the identity at inference.
#pragma once
#include <optional>

#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::keras::layers {

struct DropoutOptions {
  std::optional<Shape> noise_shape;  // e.g. {-1, 1, 1, -1} drops whole feature maps
  std::optional<int64_t> seed;
  std::string name;
};

class Dropout : public Layer {
 public:
  explicit Dropout(double rate, DropoutOptions options = {});
  Tensor call(const Tensor& inputs, bool training) override;
  std::string class_name() const override { return "Dropout"; }
  bool supports_masking() const override { return true; }  // the input's mask passes through
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Dropout>(*this); }
  double rate() const { return rate_; }
  const DropoutOptions& options() const { return options_; }

 private:
  double rate_;
  DropoutOptions options_;
};

}  // namespace tapeflow::keras::layers
