// K::initializers: how a layer fills a new weight. An Initializer is a value (a function of
// shape and dtype); options take a Keras name or an object:
// `.kernel_initializer = "he_normal"`, `.kernel_initializer = K::initializers::GlorotUniform({.seed = 1})`.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "tapeflow/core/tensor.h"
#include "tapeflow/nn/object_config.h"

namespace tapeflow::keras::initializers {

class Initializer {
 public:
  using Fn = std::function<Tensor(const Shape&, DType)>;
  Initializer(Fn fn, std::string name, ObjectConfig config = {})
      : fn_(std::move(fn)), name_(std::move(name)), config_(std::move(config)) {}
  /// A Keras name: zeros ones glorot_uniform glorot_normal he_uniform he_normal lecun_uniform
  /// lecun_normal random_uniform random_normal truncated_normal orthogonal (unknown: InvalidArgumentError).
  Initializer(const char* name);         // NOLINT: `.kernel_initializer = "zeros"`
  Initializer(const std::string& name);  // NOLINT

  Tensor operator()(const Shape& shape, DType dtype = DType::kFloat32) const { return fn_(shape, dtype); }
  const std::string& name() const { return name_; }
  /// Keras's class name and config (`{"GlorotUniform", {{"seed", null}}}`); an initializer made
  /// from a bare function has none and cannot be saved in a model config.
  const ObjectConfig& get_config() const { return config_; }

 private:
  Fn fn_;
  std::string name_;
  ObjectConfig config_;
};

struct SeedOptions {
  std::optional<int64_t> seed;
};

/// fan_in, fan_out as Keras computes them: (in, out) for a matrix; kernel dims times the
/// receptive field (product of the leading dims) for a convolution kernel (..., in, out).
std::pair<double, double> compute_fans(const Shape& shape);

struct Zeros : Initializer {
  Zeros();
};
struct Ones : Initializer {
  Ones();
};
struct Constant : Initializer {
  explicit Constant(double value);
};
struct RandomUniformOptions {
  double minval = -0.05, maxval = 0.05;
  std::optional<int64_t> seed;
};
struct RandomUniform : Initializer {
  explicit RandomUniform(RandomUniformOptions options = {});
};
struct RandomNormalOptions {
  double mean = 0.0, stddev = 0.05;
  std::optional<int64_t> seed;
};
struct RandomNormal : Initializer {
  explicit RandomNormal(RandomNormalOptions options = {});
};
struct TruncatedNormal : Initializer {
  explicit TruncatedNormal(RandomNormalOptions options = {});
};

/// Keras's VarianceScaling: scale / fan ("fan_in", "fan_out", "fan_avg"); "truncated_normal"
/// draws N(0, sqrt(scale / fan) / 0.8796...) within two standard deviations, "untruncated_normal"
/// draws N(0, sqrt(scale / fan)), "uniform" draws U(-sqrt(3 scale / fan), +sqrt(3 scale / fan)).
struct VarianceScalingOptions {
  double scale = 1.0;
  std::string mode = "fan_in";
  std::string distribution = "truncated_normal";
  std::optional<int64_t> seed;
};
struct VarianceScaling : Initializer {
  explicit VarianceScaling(VarianceScalingOptions options = {});
};
/// U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)): Dense's and Conv's default kernel.
struct GlorotUniform : Initializer {
  explicit GlorotUniform(SeedOptions options = {});
};
struct GlorotNormal : Initializer {
  explicit GlorotNormal(SeedOptions options = {});
};
/// Truncated N(0, sqrt(2 / fan_in) / 0.8796...): for relu layers.
struct HeNormal : Initializer {
  explicit HeNormal(SeedOptions options = {});
};
struct HeUniform : Initializer {
  explicit HeUniform(SeedOptions options = {});
};
struct LecunNormal : Initializer {
  explicit LecunNormal(SeedOptions options = {});
};
struct LecunUniform : Initializer {
  explicit LecunUniform(SeedOptions options = {});
};

/// A random orthogonal matrix (the Q of a Gaussian matrix's QR, signs fixed by R's diagonal) times
/// `gain`, reshaped: the columns (or rows, if fewer) of the (prod(shape[:-1]), shape[-1]) matrix
/// are orthonormal. The recurrent layers' default recurrent_initializer.
struct OrthogonalOptions {
  double gain = 1.0;
  std::optional<int64_t> seed;
};
struct Orthogonal : Initializer {
  explicit Orthogonal(OrthogonalOptions options = {});
};

inline Initializer get(const std::string& name) { return Initializer(name); }

}  // namespace tapeflow::keras::initializers
