// tf.random: the global and op seeds (set_seed, get_seed), normal, uniform, truncated_normal,
// and tf.nn.dropout. The ops are stateful as in TF (Note [Random seeds]); their numbers come
// from Philox (kernels/philox.h) and equal TF's for the same seeds.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/scalar.h"

// Note [Random seeds]
// TF2's rules (tf.random.set_seed), which a random op applies when it is called:
//   - no global seed, no op seed: fresh seeds from the OS every call; nothing repeats;
//   - global seed only: the op seed is the next random.Random(global_seed).randint(0, 2^31 - 1)
//     of CPython (TF's eager context does exactly that), so a program's sequence of random ops
//     repeats from run to run and matches TF's sequence;
//   - op seed only: the global seed defaults to 87654321 (TF's DEFAULT_GRAPH_SEED);
//   - both: both are used. Seeds are taken modulo 2^31 - 1, and (0, 0) becomes (0, 2^31 - 1).
// The pair (seed, seed2) selects a Philox stream. Like a TF kernel, each (op, dtype, seed, seed2)
// keeps a position in its stream: a call starts where the previous one stopped, reserving 256
// blocks per element (TF's ReserveRandomOutputs(n, 256)), so calling uniform(shape, {.seed = 1})
// twice gives two different tensors, and a program gives the same two every run. set_seed()
// clears the positions, as TF clears its kernel cache: after set_seed(s) the sequence restarts.
// The position is taken when the op is called, and the op's attributes carry it; a replayed op
// (a gradient, or a traced graph run again) with the same attributes reproduces the same numbers,
// so a graph executor that wants fresh numbers per run must take a new position for each run.

namespace tapeflow::random {

/// tf.random.set_seed: sets (or with std::nullopt clears) the global seed and restarts every
/// op's sequence. `tf::random::set_seed(1234);`
void set_seed(std::optional<int64_t> seed);

/// tf.compat.v1.random.get_seed: the (seed, seed2) pair an op with `op_seed` uses now, or
/// std::nullopt when neither seed is set (the op is nondeterministic). Without an op seed this
/// consumes the next op seed of the global sequence, as calling a random op would.
std::optional<std::pair<int64_t, int64_t>> get_seed(std::optional<int64_t> op_seed);

/// Options of normal and truncated_normal, in TF's argument order.
struct NormalOptions {
  double mean = 0.0;
  double stddev = 1.0;
  DType dtype = DType::kFloat32;  // float16, bfloat16, float32 or float64
  std::optional<int64_t> seed;    // the op seed (Note [Random seeds])
};

/// tf.random.normal: samples of N(mean, stddev^2). `tf::random::normal({2, 3}, {.stddev = 0.1, .seed = 1})`.
Tensor normal(const Shape& shape, const NormalOptions& options = {});

/// tf.random.truncated_normal: N(mean, stddev^2) conditioned on lying within two standard deviations
/// of the mean (redrawn otherwise); the result's std is 0.8796 stddev.
Tensor truncated_normal(const Shape& shape, const NormalOptions& options = {});

/// Options of uniform, in TF's argument order.
struct UniformOptions {
  Scalar minval = 0;
  std::optional<Scalar> maxval;   // 1 for floating dtypes; required for integer dtypes
  DType dtype = DType::kFloat32;  // float16, bfloat16, float32, float64, int32 or int64
  std::optional<int64_t> seed;    // the op seed (Note [Random seeds])
};

/// tf.random.uniform: samples of U[minval, maxval). Floats carry TF's 23 (float32), 52 (float64),
/// 10 (float16) or 7 (bfloat16) random mantissa bits. Integers need minval < maxval and are
/// `minval + bits % (maxval - minval)` over 32 (int32) or 64 (int64) random bits, as in TF: a
/// range that is not a power of two favours its low values by up to range / 2^32 (int32) or
/// range / 2^64 (int64) in relative probability.
/// `tf::random::uniform({10}, {.minval = 0, .maxval = 5, .dtype = tf::int32, .seed = 3})`.
Tensor uniform(const Shape& shape, const UniformOptions& options = {});

}  // namespace tapeflow::random

namespace tapeflow::nn {

/// Options of dropout, in TF's argument order.
struct DropoutOptions {
  /// The shape of the keep/drop mask, broadcast against x (dims of -1 take x's), e.g. {n, 1, 1, c}
  /// drops whole feature maps. x's shape when unset.
  std::optional<Shape> noise_shape;
  std::optional<int64_t> seed;  // the op seed (Note [Random seeds])
};

/// tf.nn.dropout: zeroes each element with probability `rate` (0 <= rate < 1) and scales the
/// kept ones by 1 / (1 - rate), so the expected value is unchanged. x must be floating. The mask
/// is `uniform(noise_shape, x.dtype) >= rate` drawn exactly as tf.random.uniform with the same
/// seed, so its numbers equal TF's. rate == 0 returns x. `tf::nn::dropout(h, 0.5, {.seed = 1})`.
Tensor dropout(const Tensor& x, double rate, const DropoutOptions& options = {});

}  // namespace tapeflow::nn

namespace tapeflow::ops {
extern OpDef RandomStandardNormal, TruncatedNormal, RandomUniform, RandomUniformInt, Dropout;

/// The stream and post-processing of one random op call (kernels/philox.h).
struct RandomAttrs : OpAttrsBase<RandomAttrs> {
  uint64_t seed = 0, seed2 = 0;     // TF's PhiloxRandom(seed, seed2)
  uint64_t offset = 0;              // the call's first block in the stream (Note [Random seeds])
  double scale = 1.0, shift = 0.0;  // floats: sample * scale + shift, both exact in the dtype
  int64_t minval = 0;               // ints: minval + bits % range
  uint64_t range = 1;
  std::string to_string() const override;
};

/// Dropout's mask stream and rate. The gradient reuses them: d(dropout)/dx applied to a gradient
/// is the same dropout of the gradient.
struct DropoutAttrs : OpAttrsBase<DropoutAttrs> {
  uint64_t seed = 0, seed2 = 0, offset = 0;  // the RandomUniform stream of the mask
  double rate = 0.0;
  Shape noise_shape;  // broadcasts to x's shape; traced with None, holds x's unknown dimensions
  std::string to_string() const override;
};

/// The elements a random op's stream reserves per call when its shape holds an unknown (None)
/// dimension of a trace (Note [Random ops in graphs]).
inline constexpr int64_t kUnknownShapeElements = int64_t{1} << 24;

/// The mask shape of a Dropout of `x`: noise_shape with the dimensions a trace left unknown taken
/// from x's (right-aligned), so a graph traced with a None batch draws the call's mask.
Shape dropout_noise_shape(const DropoutAttrs& attrs, const Shape& x);

/// Dropout of x with a given mask stream (one dispatch of the Dropout op); x's dtype is the mask's.
Tensor dropout_with(const Tensor& x, const DropoutAttrs& attrs);

void register_random_ops();
}  // namespace tapeflow::ops
