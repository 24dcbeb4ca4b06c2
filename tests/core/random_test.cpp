// tf.random and tf.nn.dropout: Philox4x32-10 against Random123's known answers, values against
// TensorFlow's own output for the same seeds (tests/fixtures/gen_random.py), TF's seed rules,
// distribution statistics on large samples, shapes, dtypes, errors and dropout's gradient.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/kernels/philox.h"
#include "tests/core/fixtures/random_fixtures.h"
#include "tests/core/test_util.h"
#include "tests/support/op_table_random.h"

namespace {
namespace fixtures = ::fixtures::random;
namespace px = tf::kernels::philox;
using tf::testing::expect_values;
using tf::testing::values_as_double;

// ---- Philox ---------------------------------------------------------------------------------
void expect_block(px::Block got, std::array<uint32_t, 4> want) {
  for (int i = 0; i < 4; ++i) EXPECT_EQ(got.w[i], want[i]) << "word " << i;
}

TEST(Philox, Random123KnownAnswers) {
  // kat_vectors of Random123 1.09, philox4x32 with 10 rounds.
  expect_block(px::philox4x32_10({{0, 0, 0, 0}}, {{0, 0}}), {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  expect_block(px::philox4x32_10({{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, {{0xffffffff, 0xffffffff}}),
               {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  expect_block(px::philox4x32_10({{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, {{0xa4093822, 0x299f31d0}}),
               {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST(Philox, CounterAddCarriesThrough128Bits) {
  expect_block(px::add({{0xffffffff, 0xffffffff, 0, 0}}, 1), {0, 0, 1, 0});
  expect_block(px::add({{0xffffffff, 0xffffffff, 0xffffffff, 0}}, 2), {1, 0, 0, 1});
  expect_block(px::add({{5, 0, 7, 9}}, 0x100000003ull), {8, 1, 7, 9});
}

TEST(Philox, StreamIsTFsPhiloxRandomSeedSeed2) {
  // Key = seed, counter = (0, 0, seed2) + offset + i.
  px::Stream s(0x1234567890abcdefull, 0xfedcba0987654321ull, 1000);
  px::Block want = px::philox4x32_10({{1005, 0, 0x87654321, 0xfedcba09}}, {{0x90abcdef, 0x12345678}});
  expect_block(s(5), {want.w[0], want.w[1], want.w[2], want.w[3]});
}

TEST(Philox, UnitConversionsUseTheLowMantissaBits) {
  EXPECT_EQ(px::to_unit_float(0), 0.0f);
  EXPECT_EQ(px::to_unit_float(0xffffffffu), 1.0f - 0x1p-23f);  // the largest value stays below 1
  EXPECT_EQ(px::to_unit_float(0xff800001u), 0x1p-23f);         // high bits are ignored
  EXPECT_EQ(px::to_unit_double(0xffffffffu, 0xffffffffu), 1.0 - 0x1p-52);
  EXPECT_EQ(px::to_unit_double(0, 1), 0x1p-52);
  EXPECT_EQ(float(px::to_unit_half(0xffffu)), 1.0f - 0x1p-10f);
  EXPECT_EQ(float(px::to_unit_bfloat16(0xffffu)), 1.0f - 0x1p-7f);
}

// ---- the same numbers as TensorFlow (the op table's rows: tests/support/op_table_random.h) ------
void expect_case(const tf::Tensor& got, const fixtures::Case& want, double tol) {
  expect_values(got, tf::Shape(want.shape), want.values, tol);
}
constexpr double kExact = 0.0, kF32 = 4e-7, kF64 = 1e-15;

TEST(RandomMatchesTF, OpSeedsUnderAGlobalSeed) { tf::testing::op_table::check_random_matches_tf(); }

TEST(RandomMatchesTF, GlobalSeedOnlyDrawsOpSeedsLikeTFsEagerContext) {
  tf::random::set_seed(42);
  expect_case(tf::random::normal({4}), fixtures::global_only_normal, kF32);
  expect_case(tf::random::uniform({3}), fixtures::global_only_uniform, kExact);
  expect_case(tf::random::truncated_normal({2}, {.dtype = tf::float64}), fixtures::global_only_truncated, kF64);
}

TEST(RandomMatchesTF, OpSeedOnlyAndZeroSeeds) {
  tf::random::set_seed(std::nullopt);
  expect_case(tf::random::uniform({4}, {.seed = 5}), fixtures::op_only_uniform, kExact);
  tf::random::set_seed(0);
  expect_case(tf::random::uniform({4}, {.seed = 0}), fixtures::zero_seeds_uniform, kExact);
}

TEST(RandomMatchesTF, Dropout) { tf::testing::op_table::check_dropout_matches_tf(); }

// ---- seed rules -------------------------------------------------------------------------------
std::vector<double> sample(const tf::Tensor& t) { return values_as_double(t); }

TEST(RandomSeeds, SetSeedRestartsTheSequence) {
  tf::random::set_seed(1234);
  auto a1 = sample(tf::random::uniform({8}, {.seed = 1}));
  auto a2 = sample(tf::random::uniform({8}, {.seed = 1}));
  auto n1 = sample(tf::random::normal({8}));
  EXPECT_NE(a1, a2);  // the kernel's stream moves on
  tf::random::set_seed(1234);
  EXPECT_EQ(sample(tf::random::uniform({8}, {.seed = 1})), a1);
  EXPECT_EQ(sample(tf::random::uniform({8}, {.seed = 1})), a2);
  EXPECT_EQ(sample(tf::random::normal({8})), n1);
}

TEST(RandomSeeds, DifferentSeedsGiveDifferentNumbers) {
  tf::random::set_seed(1234);
  auto a = sample(tf::random::uniform({8}, {.seed = 1}));
  auto b = sample(tf::random::uniform({8}, {.seed = 2}));
  EXPECT_NE(a, b);
  tf::random::set_seed(99);
  EXPECT_NE(sample(tf::random::uniform({8}, {.seed = 1})), a);  // the global seed matters too
  // Without an op seed, consecutive ops get different op seeds.
  tf::random::set_seed(99);
  EXPECT_NE(sample(tf::random::normal({8})), sample(tf::random::normal({8})));
}

TEST(RandomSeeds, NoSeedIsNondeterministic) {
  tf::random::set_seed(std::nullopt);
  EXPECT_FALSE(tf::random::get_seed(std::nullopt).has_value());
  EXPECT_NE(sample(tf::random::uniform({16})), sample(tf::random::uniform({16})));
  EXPECT_NE(sample(tf::random::normal({16})), sample(tf::random::normal({16})));
}

TEST(RandomSeeds, GetSeedFollowsTF) {
  tf::random::set_seed(std::nullopt);
  EXPECT_EQ(tf::random::get_seed(5), std::make_pair(int64_t{87654321}, int64_t{5}));
  tf::random::set_seed(3);
  EXPECT_EQ(tf::random::get_seed(7), std::make_pair(int64_t{3}, int64_t{7}));
  EXPECT_EQ(tf::random::get_seed(int64_t{1} << 31), std::make_pair(int64_t{3}, int64_t{1}));  // modulo 2^31 - 1
  tf::random::set_seed(0);
  EXPECT_EQ(tf::random::get_seed(0), std::make_pair(int64_t{0}, int64_t{2147483647}));
  // Without an op seed, get_seed consumes the op seed the next random op would have used.
  tf::random::set_seed(42);
  auto seeds = tf::random::get_seed(std::nullopt);
  ASSERT_TRUE(seeds.has_value());
  tf::random::set_seed(42);
  auto implicit = sample(tf::random::normal({4}));
  tf::random::set_seed(42);
  EXPECT_EQ(sample(tf::random::normal({4}, {.seed = seeds->second})), implicit);
}

TEST(RandomSeeds, DropoutAtRateZeroStillConsumesAnOpSeed) {
  tf::random::set_seed(5);
  auto x = tf::ones({4});
  EXPECT_EQ(tf::nn::dropout(x, 0.0).unsafe_impl(), x.unsafe_impl());  // x itself, as TF's fast path
  auto after = sample(tf::random::uniform({4}));
  tf::random::set_seed(5);
  tf::random::get_seed(std::nullopt);
  EXPECT_EQ(sample(tf::random::uniform({4})), after);
}

TEST(RandomSeeds, ElementsArePureFunctionsOfTheirCounter) {
  // A large tensor is filled by several threads; element i must still be word i % 4 of block i / 4.
  tf::random::set_seed(11);
  const int64_t n = 1 << 20;
  auto u = tf::random::uniform({n}, {.seed = 3}).to_vector<float>();
  px::Stream s(11, 3, 0);
  for (int64_t i : {int64_t{0}, int64_t{77777}, int64_t{500001}, n - 1})
    EXPECT_EQ(u[static_cast<std::size_t>(i)], px::to_unit_float(s(static_cast<uint64_t>(i / 4)).w[i % 4])) << i;
  // The second call starts 256 blocks per element later (TF's ReserveRandomOutputs(n, 256)).
  auto v = tf::random::uniform({4}, {.seed = 3}).to_vector<float>();
  px::Stream s2(11, 3, static_cast<uint64_t>(n) * 256);
  EXPECT_EQ(v[2], px::to_unit_float(s2(0).w[2]));
}

// ---- distributions ----------------------------------------------------------------------------
struct Stats {
  double mean = 0, stddev = 0, min = 0, max = 0;
};
Stats stats_of(const std::vector<double>& v) {
  Stats s;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.stddev = std::sqrt(ss / static_cast<double>(v.size()));
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

constexpr int64_t kN = 1 << 20;
// Five standard errors of a mean over kN samples of unit variance: 5 / 1024.
constexpr double kFiveSigma = 5.0 / 1024.0;

TEST(RandomDistributions, Normal) {
  tf::random::set_seed(1);
  for (tf::DType dt : {tf::float32, tf::float64, tf::float16, tf::bfloat16}) {
    SCOPED_TRACE(tf::dtype_name(dt));
    Stats s = stats_of(sample(tf::random::normal({kN}, {.dtype = dt})));
    EXPECT_NEAR(s.mean, 0.0, kFiveSigma);
    EXPECT_NEAR(s.stddev, 1.0, dt == tf::bfloat16 ? 0.006 : 0.004);  // sd of the sample sd: 1/sqrt(2N)
    EXPECT_LT(s.max, 5.7);                                           // Box-Muller's cap sqrt(-2 ln 1e-7) = 5.68
    EXPECT_GT(s.max, 4.0);                                           // about 33 samples above 4 are expected
    EXPECT_GT(s.min, -5.7);
    EXPECT_LT(s.min, -4.0);
  }
  Stats s = stats_of(sample(tf::random::normal({kN}, {.mean = 3.0, .stddev = 0.5})));
  EXPECT_NEAR(s.mean, 3.0, 0.5 * kFiveSigma);
  EXPECT_NEAR(s.stddev, 0.5, 0.002);
}

TEST(RandomDistributions, TruncatedNormal) {
  tf::random::set_seed(2);
  // The standard normal conditioned on |x| < 2 has sd sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)) = 0.879626.
  const double truncated_sd = 0.8796256610342398;
  for (tf::DType dt : {tf::float32, tf::float64, tf::float16, tf::bfloat16}) {
    SCOPED_TRACE(tf::dtype_name(dt));
    Stats s = stats_of(sample(tf::random::truncated_normal({kN}, {.dtype = dt})));
    EXPECT_NEAR(s.mean, 0.0, kFiveSigma);
    EXPECT_NEAR(s.stddev, truncated_sd, dt == tf::bfloat16 ? 0.006 : 0.004);
    if (dt == tf::float32 || dt == tf::float64) {
      EXPECT_LT(s.max, 2.0);
      EXPECT_GT(s.min, -2.0);
    } else {
      EXPECT_LE(s.max, 2.0);  // a value just below 2 may round to 2 in a 16-bit type
      EXPECT_GE(s.min, -2.0);
    }
    EXPECT_GT(s.max, 1.99);  // the density at the cut is far from zero
    EXPECT_LT(s.min, -1.99);
  }
  Stats s = stats_of(sample(tf::random::truncated_normal({kN}, {.mean = -4.0, .stddev = 2.0, .dtype = tf::float64})));
  EXPECT_NEAR(s.mean, -4.0, 2.0 * kFiveSigma);
  EXPECT_NEAR(s.stddev, 2.0 * truncated_sd, 0.008);
  EXPECT_GT(s.min, -8.0);
  EXPECT_LT(s.max, 0.0);
}

TEST(RandomDistributions, UniformFloats) {
  tf::random::set_seed(3);
  // With b random mantissa bits, values are k / 2^b for k uniform in [0, 2^b): mean (1 - 2^-b) / 2.
  struct Row {
    tf::DType dt;
    int bits;
  };
  for (Row r : {Row{tf::float32, 23}, Row{tf::float64, 52}, Row{tf::float16, 10}, Row{tf::bfloat16, 7}}) {
    SCOPED_TRACE(tf::dtype_name(r.dt));
    const double step = std::ldexp(1.0, -r.bits);
    Stats s = stats_of(sample(tf::random::uniform({kN}, {.dtype = r.dt})));
    EXPECT_NEAR(s.mean, (1.0 - step) / 2, kFiveSigma * std::sqrt(1.0 / 12));
    EXPECT_NEAR(s.stddev, std::sqrt((1.0 - step * step) / 12), 0.002);
    EXPECT_GE(s.min, 0.0);
    EXPECT_LT(s.max, 1.0);
    EXPECT_LE(s.min, r.bits > 10 ? 1e-4 : 0.0);  // small grids hit 0 itself
    EXPECT_GE(s.max, 1.0 - std::max(step, 1e-4));
  }
  Stats s = stats_of(sample(tf::random::uniform({kN}, {.minval = -3.0, .maxval = 5.0, .dtype = tf::float64})));
  EXPECT_NEAR(s.mean, 1.0, 8 * kFiveSigma * std::sqrt(1.0 / 12));
  EXPECT_NEAR(s.stddev, 8 / std::sqrt(12.0), 0.01);
  EXPECT_GE(s.min, -3.0);
  EXPECT_LT(s.max, 5.0);
}

TEST(RandomDistributions, UniformIntsCoverTheRangeEvenly) {
  tf::random::set_seed(4);
  auto v = tf::random::uniform({kN}, {.minval = -3, .maxval = 7, .dtype = tf::int32}).to_vector<int32_t>();
  std::vector<int64_t> counts(10, 0);
  for (int32_t x : v) {
    ASSERT_GE(x, -3);
    ASSERT_LT(x, 7);
    ++counts[static_cast<std::size_t>(x + 3)];
  }
  // Each value: binomial(kN, 1/10), sd = sqrt(kN * 0.09) = 307; allow five of them.
  for (int64_t c : counts) EXPECT_NEAR(static_cast<double>(c), kN / 10.0, 5 * 307.2);

  // int64 over a range wider than 32 bits, and the full span of int32.
  auto w = tf::random::uniform({kN}, {.minval = -(int64_t{1} << 50), .maxval = int64_t{1} << 50, .dtype = tf::int64})
               .to_vector<int64_t>();
  double mean = 0;
  for (int64_t x : w) {
    ASSERT_GE(x, -(int64_t{1} << 50));
    ASSERT_LT(x, int64_t{1} << 50);
    mean += std::ldexp(static_cast<double>(x), -50);
  }
  EXPECT_NEAR(mean / kN, 0.0, 2 * kFiveSigma * std::sqrt(1.0 / 3));  // U(-1, 1) after scaling: variance 1/3
  auto full = tf::random::uniform({1000}, {.minval = std::numeric_limits<int32_t>::min(),
                                           .maxval = std::numeric_limits<int32_t>::max(),
                                           .dtype = tf::int32})
                  .to_vector<int32_t>();
  EXPECT_LT(*std::min_element(full.begin(), full.end()), -(1 << 30));
  EXPECT_GT(*std::max_element(full.begin(), full.end()), 1 << 30);
}

TEST(RandomDistributions, DropoutKeepsOneMinusRateAndScales) {
  tf::random::set_seed(6);
  const double rate = 0.3;
  auto y = tf::nn::dropout(tf::ones({kN}), rate).to_vector<float>();
  int64_t zeros = 0;
  const float kept = static_cast<float>(1.0 / (1.0 - rate));
  for (float v : y) {
    if (v == 0.0f)
      ++zeros;
    else
      ASSERT_EQ(v, kept);
  }
  // Dropped fraction: binomial, sd = sqrt(0.21 / kN) = 4.5e-4.
  EXPECT_NEAR(static_cast<double>(zeros) / kN, rate, 5 * 4.5e-4);
  // noise_shape (n, 1): whole rows are kept or dropped.
  auto r = tf::nn::dropout(tf::ones({1000, 8}), 0.5, {.noise_shape = tf::Shape{-1, 1}}).to_vector<float>();
  int64_t dropped_rows = 0;
  for (int i = 0; i < 1000; ++i) {
    for (int j = 1; j < 8; ++j) ASSERT_EQ(r[i * 8 + j], r[i * 8]) << "row " << i;
    dropped_rows += r[i * 8] == 0.0f;
  }
  EXPECT_NEAR(static_cast<double>(dropped_rows), 500.0, 5 * 15.8);
}

// ---- shapes, dtypes, errors -------------------------------------------------------------------
TEST(RandomOps, ShapesAndDtypes) {
  tf::random::set_seed(8);
  auto n = tf::random::normal({2, 3, 4});
  EXPECT_EQ(n.shape(), tf::Shape({2, 3, 4}));
  EXPECT_EQ(n.dtype(), tf::float32);
  EXPECT_EQ(tf::random::normal({}, {.dtype = tf::float64}).shape(), tf::Shape{});
  EXPECT_EQ(tf::random::normal({}, {.dtype = tf::float64}).dtype(), tf::float64);
  EXPECT_EQ(tf::random::truncated_normal({0, 5}).shape(), tf::Shape({0, 5}));
  EXPECT_EQ(tf::random::uniform({3}, {.dtype = tf::bfloat16}).dtype(), tf::bfloat16);
  EXPECT_EQ(tf::random::uniform({3, 1}, {.maxval = 4, .dtype = tf::int64}).shape(), tf::Shape({3, 1}));
  EXPECT_EQ(tf::random::uniform({0}, {.maxval = 4, .dtype = tf::int32}).size(), 0);
  // Odd sizes fill the last, partial group.
  for (int64_t size : {1, 2, 3, 5, 7}) {
    auto t = tf::random::truncated_normal({size}, {.dtype = tf::float64});
    for (double v : t.to_vector<double>()) EXPECT_LT(std::abs(v), 2.0);
  }
  // A strided input to dropout.
  auto x = tf::transpose(tf::reshape(tf::range(1.0f, 7.0f), {2, 3}));
  auto y = tf::nn::dropout(x, 0.5, {.seed = 1});
  EXPECT_EQ(y.shape(), tf::Shape({3, 2}));
  auto xv = x.to_vector<float>(), yv = y.to_vector<float>();
  for (std::size_t i = 0; i < xv.size(); ++i) EXPECT_TRUE(yv[i] == 0.0f || yv[i] == 2.0f * xv[i]) << i;
}

TEST(RandomOps, Errors) {
  using tf::errors::InvalidArgumentError;
  EXPECT_TF_ERROR(tf::random::normal({2, -1}), InvalidArgumentError, "Dimension -1 must be >= 0");
  EXPECT_TF_ERROR(tf::random::uniform({-3}), InvalidArgumentError, "must be >= 0");
  EXPECT_TF_ERROR(tf::random::truncated_normal({-1}), InvalidArgumentError, "must be >= 0");
  EXPECT_TF_ERROR(tf::random::normal({2}, {.dtype = tf::int32}), InvalidArgumentError, "not in the list of allowed");
  EXPECT_TF_ERROR(tf::random::truncated_normal({2}, {.dtype = tf::bool_}), InvalidArgumentError, "bool");
  EXPECT_TF_ERROR(tf::random::uniform({2}, {.dtype = tf::bool_}), InvalidArgumentError, "Invalid dtype bool");
  EXPECT_TF_ERROR(tf::random::uniform({2}, {.dtype = tf::string}), InvalidArgumentError, "Invalid dtype string");
  EXPECT_TF_ERROR(tf::random::uniform({2}, {.maxval = 3, .dtype = tf::int8}), InvalidArgumentError, "int8");
  EXPECT_TF_ERROR(tf::random::uniform({2}, {.dtype = tf::int32}), InvalidArgumentError, "Must specify maxval");
  EXPECT_TF_ERROR(tf::random::uniform({2}, {.minval = 5, .maxval = 3, .dtype = tf::int32}), InvalidArgumentError,
                  "Need minval < maxval: 5 >= 3");
  EXPECT_TF_ERROR(tf::random::uniform({2}, {.minval = 4, .maxval = 4, .dtype = tf::int64}), InvalidArgumentError,
                  "Need minval < maxval: 4 >= 4");
  EXPECT_TF_ERROR(tf::random::uniform({2}, {.minval = 0, .maxval = 2.5, .dtype = tf::int32}), InvalidArgumentError,
                  "maxval=2.5");
  EXPECT_TF_ERROR(tf::random::uniform({2}, {.minval = 0, .maxval = int64_t{1} << 40, .dtype = tf::int32}),
                  InvalidArgumentError, "does not fit in int32");
  auto x = tf::ones({4});
  for (double rate : {-0.1, 1.0, 1.5, std::nan("")})
    EXPECT_TF_ERROR(tf::nn::dropout(x, rate), InvalidArgumentError, "in the range [0, 1)");
  EXPECT_TF_ERROR(tf::nn::dropout(tf::ones({4}, tf::int32), 0.5), InvalidArgumentError, "x_dtype=int32");
  EXPECT_TF_ERROR(tf::nn::dropout(tf::ones({4, 3}), 0.5, {.noise_shape = tf::Shape{4, 2}}), InvalidArgumentError,
                  "does not broadcast");
  EXPECT_TF_ERROR(tf::nn::dropout(tf::ones({4}), 0.5, {.noise_shape = tf::Shape{1, 4}}), InvalidArgumentError,
                  "does not broadcast");
}

// ---- gradients --------------------------------------------------------------------------------
TEST(RandomGradients, DropoutGradientIsTheSameMaskScaled) {
  tf::random::set_seed(9);
  auto x = tf::reshape(tf::range(1.0, 25.0, 1.0, tf::float64), {4, 6});
  for (std::optional<tf::Shape> noise : {std::optional<tf::Shape>{}, std::optional<tf::Shape>{tf::Shape{4, 1}}}) {
    tf::GradientTape tape;
    tape.watch(x);
    auto y = tf::nn::dropout(x, 0.25, {.noise_shape = noise, .seed = 3});
    auto loss = tf::reduce_sum(y * y);
    tape.stop();
    auto g = tape.gradient(loss, x);
    ASSERT_TRUE(g.has_value());
    // d/dx sum(y^2) = 2 y * dy/dx, with dy/dx = 1/(1 - rate) where kept and 0 where dropped.
    auto yv = y.to_vector<double>(), xv = x.to_vector<double>(), gv = g->to_vector<double>();
    int kept = 0;
    for (std::size_t i = 0; i < yv.size(); ++i) {
      const bool keep = yv[i] != 0.0;
      kept += keep;
      if (keep) EXPECT_DOUBLE_EQ(yv[i], xv[i] / 0.75);
      EXPECT_DOUBLE_EQ(gv[i], keep ? 2 * yv[i] / 0.75 : 0.0) << i;
    }
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, 24);
  }
}

TEST(RandomGradients, SamplersAreNotDifferentiable) {
  tf::ensure_initialized();  // registration happens on the first op otherwise
  for (const tf::OpDef* op :
       {&tf::ops::RandomStandardNormal, &tf::ops::TruncatedNormal, &tf::ops::RandomUniform, &tf::ops::RandomUniformInt})
    EXPECT_EQ(tf::autograd::gradient_function(*op), nullptr) << op->name;
  // Noise added to a watched tensor passes the gradient to it alone.
  tf::random::set_seed(10);
  auto x = tf::constant({1.0f, 2.0f, 3.0f});
  tf::GradientTape tape;
  tape.watch(x);
  auto y = tf::reduce_sum(x * 3.0f + tf::random::normal({3}));
  tape.stop();
  expect_values(*tape.gradient(y, x), {3}, {3, 3, 3});
}

}  // namespace
