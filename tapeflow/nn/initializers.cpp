#include "tapeflow/nn/initializers.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/random.h"

namespace tapeflow::keras::initializers {

std::pair<double, double> compute_fans(const Shape& shape) {
  const int r = shape.rank();
  if (r == 0) return {1.0, 1.0};
  if (r == 1) return {double(shape[0]), double(shape[0])};
  if (r == 2) return {double(shape[0]), double(shape[1])};
  double receptive = 1;
  for (int i = 0; i < r - 2; ++i) receptive *= double(shape[i]);
  return {double(shape[r - 2]) * receptive, double(shape[r - 1]) * receptive};
}

namespace {
// `init` under Keras's class name and config (the Glorot/He/Lecun family are VarianceScaling
// underneath, but Keras saves them by their own names).
Initializer with_config(const Initializer& init, ObjectConfig config) {
  return Initializer([init](const Shape& s, DType dt) { return init(s, dt); }, init.name(), std::move(config));
}
// Keras 3.15's VarianceScaling family also saves input_axes/output_axes (None: Keras's fans).
ObjectConfig seed_config(const char* class_name, std::optional<int64_t> seed) {
  return {class_name,
          {{"seed", config_value(seed)}, {"input_axes", std::monostate{}}, {"output_axes", std::monostate{}}}};
}
}  // namespace

Zeros::Zeros() : Initializer([](const Shape& s, DType dt) { return zeros(s, dt); }, "zeros", {"Zeros", {}}) {}
Ones::Ones() : Initializer([](const Shape& s, DType dt) { return ones(s, dt); }, "ones", {"Ones", {}}) {}
Constant::Constant(double value)
    : Initializer([value](const Shape& s, DType dt) { return fill(s, value, dt); }, "constant",
                  {"Constant", {{"value", value}}}) {}

RandomUniform::RandomUniform(RandomUniformOptions o)
    : Initializer(
          [o](const Shape& s, DType dt) {
            return random::uniform(s, {.minval = o.minval, .maxval = o.maxval, .dtype = dt, .seed = o.seed});
          },
          "random_uniform",
          {"RandomUniform", {{"seed", config_value(o.seed)}, {"minval", o.minval}, {"maxval", o.maxval}}}) {}
RandomNormal::RandomNormal(RandomNormalOptions o)
    : Initializer(
          [o](const Shape& s, DType dt) {
            return random::normal(s, {.mean = o.mean, .stddev = o.stddev, .dtype = dt, .seed = o.seed});
          },
          "random_normal", {"RandomNormal", {{"seed", config_value(o.seed)}, {"mean", o.mean}, {"stddev", o.stddev}}}) {
}
TruncatedNormal::TruncatedNormal(RandomNormalOptions o)
    : Initializer(
          [o](const Shape& s, DType dt) {
            return random::truncated_normal(s, {.mean = o.mean, .stddev = o.stddev, .dtype = dt, .seed = o.seed});
          },
          "truncated_normal",
          {"TruncatedNormal", {{"seed", config_value(o.seed)}, {"mean", o.mean}, {"stddev", o.stddev}}}) {}

VarianceScaling::VarianceScaling(VarianceScalingOptions o)
    : Initializer(
          [o](const Shape& s, DType dt) {
            auto [fan_in, fan_out] = compute_fans(s);
            double fan = o.mode == "fan_in" ? fan_in : o.mode == "fan_out" ? fan_out : (fan_in + fan_out) / 2;
            double scale = o.scale / std::max(1.0, fan);
            if (o.distribution == "truncated_normal") {
              // 0.8796... is the stddev of a standard normal truncated to [-2, 2] (Keras's constant).
              return random::truncated_normal(
                  s, {.stddev = std::sqrt(scale) / 0.87962566103423978, .dtype = dt, .seed = o.seed});
            }
            if (o.distribution == "untruncated_normal")
              return random::normal(s, {.stddev = std::sqrt(scale), .dtype = dt, .seed = o.seed});
            double limit = std::sqrt(3.0 * scale);
            return random::uniform(s, {.minval = -limit, .maxval = limit, .dtype = dt, .seed = o.seed});
          },
          "variance_scaling",
          {"VarianceScaling",
           {{"seed", config_value(o.seed)},
            {"scale", o.scale},
            {"mode", o.mode},
            {"distribution", o.distribution},
            {"input_axes", std::monostate{}},
            {"output_axes", std::monostate{}}}}) {
  TF_CHECK_ARG(o.mode == "fan_in" || o.mode == "fan_out" || o.mode == "fan_avg", "VarianceScaling",
               "Invalid `mode` argument: ", o.mode, " (expected fan_in, fan_out or fan_avg)");
  TF_CHECK_ARG(
      o.distribution == "truncated_normal" || o.distribution == "untruncated_normal" || o.distribution == "uniform",
      "VarianceScaling", "Invalid `distribution` argument: ", o.distribution);
}

GlorotUniform::GlorotUniform(SeedOptions o)
    : Initializer(
          with_config(VarianceScaling({.scale = 1.0, .mode = "fan_avg", .distribution = "uniform", .seed = o.seed}),
                      seed_config("GlorotUniform", o.seed))) {}
GlorotNormal::GlorotNormal(SeedOptions o)
    : Initializer(with_config(
          VarianceScaling({.scale = 1.0, .mode = "fan_avg", .distribution = "truncated_normal", .seed = o.seed}),
          seed_config("GlorotNormal", o.seed))) {}
HeNormal::HeNormal(SeedOptions o)
    : Initializer(with_config(
          VarianceScaling({.scale = 2.0, .mode = "fan_in", .distribution = "truncated_normal", .seed = o.seed}),
          seed_config("HeNormal", o.seed))) {}
HeUniform::HeUniform(SeedOptions o)
    : Initializer(
          with_config(VarianceScaling({.scale = 2.0, .mode = "fan_in", .distribution = "uniform", .seed = o.seed}),
                      seed_config("HeUniform", o.seed))) {}
LecunNormal::LecunNormal(SeedOptions o)
    : Initializer(with_config(
          VarianceScaling({.scale = 1.0, .mode = "fan_in", .distribution = "truncated_normal", .seed = o.seed}),
          seed_config("LecunNormal", o.seed))) {}
LecunUniform::LecunUniform(SeedOptions o)
    : Initializer(
          with_config(VarianceScaling({.scale = 1.0, .mode = "fan_in", .distribution = "uniform", .seed = o.seed}),
                      seed_config("LecunUniform", o.seed))) {}

Initializer::Initializer(const char* name) : Initializer(std::string(name)) {}

Orthogonal::Orthogonal(OrthogonalOptions o)
    : Initializer(
          [o](const Shape& s, DType dt) {
            TF_CHECK_ARG(s.rank() >= 2, "Orthogonal",
                         "The tensor to initialize must be at least two-dimensional. Received: shape=", s.to_string());
            const int64_t cols = s.dim(-1), rows = s.num_elements() / std::max<int64_t>(cols, 1);
            // Gram-Schmidt on the columns of a tall (n, k) Gaussian matrix: Q of its QR with R's
            // diagonal positive, which is Keras's q * sign(diag(r)).
            const int64_t n = std::max(rows, cols), k = std::min(rows, cols);
            std::vector<double> a =
                random::normal({n, k}, {.dtype = DType::kFloat64, .seed = o.seed}).to_vector<double>();
            auto at = [&](int64_t i, int64_t j) -> double& { return a[std::size_t(i * k + j)]; };
            for (int64_t j = 0; j < k; ++j) {
              for (int64_t p = 0; p < j; ++p) {
                double dot = 0;
                for (int64_t i = 0; i < n; ++i) dot += at(i, p) * at(i, j);
                for (int64_t i = 0; i < n; ++i) at(i, j) -= dot * at(i, p);
              }
              double norm = 0;
              for (int64_t i = 0; i < n; ++i) norm += at(i, j) * at(i, j);
              norm = std::sqrt(norm);
              for (int64_t i = 0; i < n; ++i) at(i, j) = norm > 0 ? at(i, j) / norm : 0.0;
            }
            std::vector<double> q(std::size_t(rows * cols));
            for (int64_t i = 0; i < rows; ++i)
              for (int64_t j = 0; j < cols; ++j)
                q[std::size_t(i * cols + j)] = o.gain * (rows >= cols ? at(i, j) : at(j, i));
            return constant(q, s, dt);
          },
          "orthogonal", {"Orthogonal", {{"seed", config_value(o.seed)}, {"gain", o.gain}}}) {}

Initializer::Initializer(const std::string& name) {
  if (name == "zeros")
    *this = Zeros();
  else if (name == "ones")
    *this = Ones();
  else if (name == "glorot_uniform")
    *this = GlorotUniform();
  else if (name == "glorot_normal")
    *this = GlorotNormal();
  else if (name == "he_normal")
    *this = HeNormal();
  else if (name == "he_uniform")
    *this = HeUniform();
  else if (name == "lecun_normal")
    *this = LecunNormal();
  else if (name == "lecun_uniform")
    *this = LecunUniform();
  else if (name == "random_uniform" || name == "uniform")
    *this = RandomUniform();
  else if (name == "random_normal" || name == "normal")
    *this = RandomNormal();
  else if (name == "truncated_normal")
    *this = TruncatedNormal();
  else if (name == "orthogonal")
    *this = Orthogonal();
  else
    TF_THROW(InvalidArgumentError, "", "Could not interpret initializer identifier: '", name, "'");
  name_ = name;
}

}  // namespace tapeflow::keras::initializers
