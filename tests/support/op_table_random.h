// The op table's rows of the random ops (RandomUniform, RandomUniformInt, RandomStandardNormal,
// TruncatedNormal, Dropout): the very numbers TensorFlow draws for the same seeds, from
// tests/fixtures/gen_random.py (TF 2.21). Run on CPU:0 by tests/core/random_test.cpp and on GPU:0
// by tests/gpu/random_test.cpp, each against TF's numbers (not against the other device).
#pragma once
#include "tests/core/fixtures/random_fixtures.h"
#include "tests/core/test_util.h"

namespace tapeflow::testing::op_table {
namespace random_fixtures = ::fixtures::random;

inline void expect_case(const Tensor& got, const random_fixtures::Case& want, double tol) {
  expect_values(got, Shape(want.shape), want.values, tol);
}

// Uniform and integer samples are exact. Normals go through sinf/cosf/logf; they match TF's
// exactly here, but another libm may differ in the last bit, so they get a few ulps.
inline constexpr double kExact = 0.0, kF32 = 4e-7, kF64 = 1e-15, kHalf = 1e-3, kBf16 = 8e-3;

/// The samplers against TF's own numbers for the same seeds, in every dtype they take.
inline void check_random_matches_tf() {
  random::set_seed(7);
  expect_case(random::uniform({10}, {.seed = 5}), random_fixtures::uniform_f32_first, kExact);
  expect_case(random::uniform({10}, {.seed = 5}), random_fixtures::uniform_f32_second, kExact);
  expect_case(random::uniform({5}, {.minval = 2.0, .maxval = 5.0, .seed = 15}), random_fixtures::uniform_f32_range,
              kExact);
  expect_case(random::uniform({5}, {.dtype = float64, .seed = 9}), random_fixtures::uniform_f64, kExact);
  expect_case(random::uniform({6}, {.dtype = float16, .seed = 13}), random_fixtures::uniform_f16, kExact);
  expect_case(random::uniform({6}, {.minval = -1.5, .maxval = 0.25, .dtype = float16, .seed = 13}),
              random_fixtures::uniform_f16_range, kExact);
  expect_case(random::uniform({6}, {.dtype = bfloat16, .seed = 14}), random_fixtures::uniform_bf16, kExact);
  auto i32 = random::uniform({7}, {.minval = -5, .maxval = 100, .dtype = int32, .seed = 11});
  EXPECT_EQ(i32.dtype(), int32);
  expect_case(i32, random_fixtures::uniform_i32, kExact);
  auto i64 =
      random::uniform({5}, {.minval = -(int64_t{1} << 40), .maxval = int64_t{1} << 41, .dtype = int64, .seed = 12});
  EXPECT_EQ(i64.dtype(), int64);
  expect_case(i64, random_fixtures::uniform_i64, kExact);
  expect_case(random::normal({2, 3}, {.mean = 1.5, .stddev = 2.0, .seed = 3}), random_fixtures::normal_f32, kF32);
  expect_case(random::normal({5}, {.dtype = float64, .seed = 15}), random_fixtures::normal_f64, kF64);
  expect_case(random::normal({6}, {.dtype = float16, .seed = 14}), random_fixtures::normal_f16, kHalf);
  expect_case(random::normal({6}, {.mean = -1.0, .stddev = 0.5, .dtype = bfloat16, .seed = 14}),
              random_fixtures::normal_bf16, kBf16);
  expect_case(random::truncated_normal({9}, {.seed = 4}), random_fixtures::truncated_f32, kF32);
  expect_case(random::truncated_normal({3, 2}, {.mean = 10.0, .stddev = 0.1, .seed = 6}),
              random_fixtures::truncated_f32_scaled, kF32);
  expect_case(random::truncated_normal({5}, {.dtype = float64, .seed = 15}), random_fixtures::truncated_f64, kF64);
  expect_case(random::truncated_normal({6}, {.dtype = float16, .seed = 8}), random_fixtures::truncated_f16, kHalf);
  expect_case(random::truncated_normal({6}, {.dtype = bfloat16, .seed = 8}), random_fixtures::truncated_bf16, kBf16);
}

/// tf.nn.dropout against TF's own masks (float16/32/64, noise_shape), and the stream it shares with
/// RandomUniform.
inline void check_dropout_matches_tf() {
  random::set_seed(3);
  auto x = reshape(range(1.0f, 13.0f), {3, 4});
  expect_case(x, random_fixtures::dropout_x, kExact);
  expect_case(nn::dropout(x, 0.4, {.seed = 2}), random_fixtures::dropout_f32, kExact);
  expect_case(nn::dropout(x, 0.5, {.noise_shape = Shape{3, 1}, .seed = 4}), random_fixtures::dropout_noise_shape,
              kExact);
  expect_case(nn::dropout(cast(x, float16), 0.25, {.seed = 2}), random_fixtures::dropout_f16, kExact);
  // The mask is drawn from RandomUniform's stream: a uniform with the same seed continues it.
  expect_case(random::uniform({3, 4}, {.seed = 2}), random_fixtures::uniform_after_dropout, kExact);
  expect_case(nn::dropout(cast(x, float64), 0.3, {.seed = 7}), random_fixtures::dropout_f64, kExact);
}

}  // namespace tapeflow::testing::op_table
