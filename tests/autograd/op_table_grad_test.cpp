// Low-precision gradients driven by the op table (tests/support/op_table_unary.h and
// op_table_binary.h): every differentiable unary and binary row's gradient of sum(f(x) * w) in
// float32, float16 and bfloat16 against the same gradient in float64 at the same (rounded)
// inputs and weights. The float64 gradients themselves are checked against central differences
// by the GRADIENT_CHECK_TESTs of this folder.
//
// Budget: each gradient rule is a handful of ops, each rounding once in the dtype (float16 and
// bfloat16 compute in float and round the result): the error of element i stays within k ulps of
// the float64 gradient plus k·eps of the sample's largest gradient (norm-wise: a derivative that
// crosses zero, as cos does, has no relative accuracy at its zero in any precision).
#include <map>
#include <optional>

#include "tests/support/op_table_binary.h"

namespace {
namespace ot = tapeflow::testing::op_table;

struct Range {
  double lo, hi;
};

/// Gradients of sum(fn(xs) * w) with respect to each of xs, in the dtype of xs (none where the op
/// is not differentiable, as floor's).
std::vector<std::optional<tf::Tensor>> gradients(const std::function<tf::Tensor(const std::vector<tf::Tensor>&)>& fn,
                                                 const std::vector<tf::Tensor>& xs, const tf::Tensor& w) {
  tf::GradientTape tape;
  for (const tf::Tensor& x : xs) tape.watch(x);
  const tf::Tensor loss = tf::reduce_sum(fn(xs) * w);
  tape.stop();
  return tape.gradient(loss, xs);
}

double eps_of(tf::DType dt) { return std::ldexp(1.0, -ot::float_format(dt).mantissa_bits); }

/// Compares the gradients of fn in dt with float64's at the same rounded inputs.
void expect_gradients_match_float64(const std::string& name,
                                    const std::function<tf::Tensor(const std::vector<tf::Tensor>&)>& fn,
                                    const std::vector<tf::Tensor>& inputs64, const tf::Shape& out_shape, tf::DType dt,
                                    uint32_t seed) {
  SCOPED_TRACE(name + " " + std::string(tf::dtype_name(dt)));
  std::vector<tf::Tensor> low, at64;
  for (const tf::Tensor& x : inputs64) {
    low.push_back(tf::cast(x, dt));
    at64.push_back(tf::cast(low.back(), tf::float64));  // the same values in float64
  }
  const tf::Tensor w_low =
      tf::cast(tf::constant(ot::uniform_values(out_shape.num_elements(), -2, 2, seed), out_shape, tf::float64), dt);
  const std::vector<std::optional<tf::Tensor>> g_low = gradients(fn, low, w_low);
  const std::vector<std::optional<tf::Tensor>> g64 = gradients(fn, at64, tf::cast(w_low, tf::float64));
  // Budget in ulps of dt: float32 computes every op of the rule in float32; float16/bfloat16 round
  // each op's float result once more.
  const double k = dt == tf::float32 ? 8 : 4;
  for (std::size_t j = 0; j < g64.size(); ++j) {
    ASSERT_EQ(g_low[j].has_value(), g64[j].has_value()) << "d/dx" << j << " exists in one precision only";
    if (!g64[j].has_value()) continue;  // not differentiable (floor, ceil, round)
    ASSERT_EQ(g_low[j]->dtype(), dt);
    ASSERT_EQ(g_low[j]->shape(), inputs64[j].shape());
    const std::vector<double> want = g64[j]->to_vector<double>();
    const std::vector<double> got = tf::cast(*g_low[j], tf::float64).to_vector<double>();
    double largest = 0;
    for (double v : want) largest = std::max(largest, std::abs(v));
    for (std::size_t i = 0, failures = 0; i < want.size() && failures < 5; ++i) {
      const double budget = k * (ot::ulp(want[i], dt) + eps_of(dt) * largest);
      if (!(std::abs(got[i] - want[i]) <= budget)) {
        ++failures;
        ADD_FAILURE() << "d/dx" << j << " at element " << i << ": got " << got[i] << ", float64 " << want[i] << " ("
                      << std::abs(got[i] - want[i]) / ot::ulp(want[i], dt) << " ulps; budget "
                      << budget / ot::ulp(want[i], dt) << ")";
      }
    }
  }
}

const std::vector<tf::DType> kLowPrecision = {tf::float32, tf::float16, tf::bfloat16};

// The inputs' ranges for gradients: inside each op's domain, away from kinks only by chance
// (a random input never lands on relu's 0), and where float16 stays finite.
const std::map<std::string, Range> kUnaryRanges = {{"sqrt", {0.5, 3}},   {"rsqrt", {0.5, 3}},  {"log", {0.5, 3}},
                                                   {"log1p", {-0.5, 3}}, {"tan", {-1.2, 1.2}}, {"reciprocal", {0.5, 3}},
                                                   {"relu6", {-2, 8}}};

TEST(OpTableGradients, UnaryRowsInLowPrecisionMatchFloat64) {
  uint32_t seed = 20000;
  for (const ot::UnaryRow& row : ot::unary_rows()) {
    const auto r = kUnaryRanges.count(row.name) ? kUnaryRanges.at(row.name) : Range{-3, 3};
    const tf::Shape shape{5, 7};
    const tf::Tensor x = tf::constant(ot::uniform_values(35, r.lo, r.hi, ++seed), shape, tf::float64);
    for (tf::DType dt : kLowPrecision)
      expect_gradients_match_float64(
          row.name, [&](const std::vector<tf::Tensor>& xs) { return row.fn(xs[0]); }, {x}, shape, dt, ++seed);
  }
}

// The differentiable binary rows, with b broadcast along the first axis (its gradient is a
// reduction of the broadcast one) and ranges inside their domains.
const std::map<std::string, std::pair<Range, Range>> kBinaryRanges = {
    {"add", {{-3, 3}, {-3, 3}}},     {"subtract", {{-3, 3}, {-3, 3}}}, {"multiply", {{-3, 3}, {-3, 3}}},
    {"divide", {{-3, 3}, {0.5, 3}}}, {"truediv", {{-3, 3}, {0.5, 3}}}, {"pow", {{0.5, 3}, {-2, 2}}},
    {"maximum", {{-3, 3}, {-3, 3}}}, {"minimum", {{-3, 3}, {-3, 3}}},  {"squared_difference", {{-3, 3}, {-3, 3}}}};

TEST(OpTableGradients, BinaryRowsInLowPrecisionMatchFloat64) {
  uint32_t seed = 21000;
  int checked = 0;
  for (const ot::BinaryRow& row : ot::binary_rows()) {
    if (!kBinaryRanges.count(row.name)) continue;  // comparisons and floor ops: not differentiable
    const auto [ra, rb] = kBinaryRanges.at(row.name);
    const tf::Tensor a = tf::constant(ot::uniform_values(35, ra.lo, ra.hi, ++seed), tf::Shape{5, 7}, tf::float64);
    const tf::Tensor b = tf::constant(ot::uniform_values(7, rb.lo, rb.hi, ++seed), tf::Shape{7}, tf::float64);
    for (tf::DType dt : kLowPrecision)
      expect_gradients_match_float64(
          row.name, [&](const std::vector<tf::Tensor>& xs) { return row.fn(xs[0], xs[1]); }, {a, b}, tf::Shape{5, 7},
          dt, ++seed);
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(kBinaryRanges.size()));
}

}  // namespace
