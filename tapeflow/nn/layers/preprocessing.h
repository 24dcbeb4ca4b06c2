// Keras's numeric preprocessing layers: Rescaling (x * scale + offset) and Normalization
// ((x - mean) / sqrt(variance) per feature, the statistics given or learned by `adapt`).
#pragma once
#include <memory>
#include <optional>
#include <vector>

#include "tapeflow/nn/layers/layer.h"

namespace tapeflow::data {
class Dataset;
}

namespace tapeflow::keras::layers {

struct RescalingOptions {
  double offset = 0.0;
  std::string name;
  DType dtype = DType::kFloat32;  // the output dtype; inputs (uint8 images too) are cast to it
};

/// `K::layers::Rescaling(1.0 / 255)`: inputs * scale + offset, any shape, cast to float32.
class Rescaling : public Layer {
 public:
  explicit Rescaling(double scale, RescalingOptions options = {});
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "Rescaling"; }
  bool supports_masking() const override { return true; }  // the input's mask passes through
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Rescaling>(*this); }
  double scale() const { return scale_; }
  const RescalingOptions& options() const { return options_; }

 private:
  double scale_;
  RescalingOptions options_;
};

struct NormalizationOptions {
  /// The axes that keep their own mean and variance (default the last: one per feature); empty
  /// is Keras's axis=None (one mean and variance for every value). The batch axis may not be one.
  std::vector<int> axis = {-1};
  /// Fixed statistics (broadcast to the kept axes), instead of `adapt`; give both or neither.
  std::optional<Tensor> mean;
  std::optional<Tensor> variance;
  bool invert = false;  // true: x * sqrt(variance) + mean, undoing the normalization
  std::string name;
};

/// `K::layers::Normalization()` then `norm.adapt(x_train)`: (x - mean) / max(sqrt(variance), 1e-7)
/// with the mean and (biased) variance of the adapted data over every axis but `axis`.
/// Adapted statistics are the non-trainable weights mean, variance and count (int64, unused, as
/// in Keras; tracked as Keras's adapt_mean, adapt_variance, count) saved in checkpoints; fixed
/// ones are no weights.
class Normalization : public Layer {
 public:
  explicit Normalization(NormalizationOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs) override;
  std::string class_name() const override { return "Normalization"; }
  bool supports_masking() const override { return true; }  // the input's mask passes through
  std::shared_ptr<Layer> clone() const override { return std::make_shared<Normalization>(*this); }

  /// Learns the statistics of `data` (float64 accumulation), building the layer from its shape.
  void adapt(const Tensor& data);
  /// The same over a batched dataset (the first component of each element), merging the batches'
  /// statistics as Keras does.
  void adapt(const data::Dataset& data);

  /// The statistics, broadcastable to the input ((1, .., C) for axis -1).
  Tensor mean() const;
  Tensor variance() const;

 private:
  void check_built_for(const Shape& shape, const char* what) const;
  void assign_statistics(const Tensor& mean, const Tensor& variance);

  NormalizationOptions options_;
  // What build derives from the input shape, shared by the layer's copies (a Sequential holds
  // one, the user another) so that adapt on either reaches both.
  struct Built {
    std::vector<int> keep, reduce;  // the kept and the reduced axes, non-negative
    Shape input_shape, broadcast_shape;
    Tensor fixed_mean, fixed_variance;  // broadcast, when given in the options
  };
  std::shared_ptr<Built> built_ = std::make_shared<Built>();
};

}  // namespace tapeflow::keras::layers
