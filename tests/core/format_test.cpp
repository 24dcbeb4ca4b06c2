// Printing tensors: format_values (print(t.numpy())), operator<< (print(t)) and a Variable's
// print (NumPy's repr) must match TensorFlow byte for byte, for every dtype, magnitude, rank,
// line wrap and summary case.
#include <gtest/gtest.h>

#include <sstream>

#include "tapeflow/core/float_format.h"
#include "tests/core/fixtures/format_fixtures.h"
#include "tests/core/test_util.h"

namespace tf = tapeflow;

namespace fixtures::format {
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }
}  // namespace fixtures::format

namespace {

/// The fixture's tensor, built element by element so every value is exactly the one TF printed.
tf::Tensor make_tensor(const fixtures::format::Case& c) {
  const tf::DType dtype = tf::dtype_from_name(c.dtype);
  tf::Tensor t = tf::Tensor::empty(tf::Shape(c.shape), dtype);
  const auto n = static_cast<std::size_t>(t.size());
  tf::visit_all(dtype, "make_tensor", [&]<typename T>() {
    T* out = t.data<T>();
    for (std::size_t i = 0; i < n; ++i) {
      if constexpr (std::is_same_v<T, std::string>)
        out[i] = c.strings[i];
      else if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, tf::float16_t> ||
                         std::is_same_v<T, tf::bfloat16_t>)
        out[i] = T(c.floats[i]);
      else
        out[i] = static_cast<T>(c.ints[i]);
    }
  });
  return t;
}

class FormatFixture : public ::testing::TestWithParam<fixtures::format::Case> {};

TEST_P(FormatFixture, NumpyStrMatchesTensorFlow) {
  const auto& c = GetParam();
  EXPECT_EQ(tf::format_values(make_tensor(c)), c.numpy_str);
}

TEST_P(FormatFixture, TensorPrintMatchesTensorFlow) {
  const auto& c = GetParam();
  std::ostringstream os;
  os << make_tensor(c);
  EXPECT_EQ(os.str(), c.tf_str);
}

TEST_P(FormatFixture, VariablePrintMatchesTensorFlow) {
  const auto& c = GetParam();
  std::ostringstream os;
  os << tf::Variable(make_tensor(c));
  EXPECT_EQ(os.str(), c.variable_str);
}

INSTANTIATE_TEST_SUITE_P(TensorFlow, FormatFixture, ::testing::ValuesIn(fixtures::format::cases()),
                         [](const ::testing::TestParamInfo<fixtures::format::Case>& info) {
                           return std::string(info.param.name);
                         });

TEST(Format, NonContiguousViewPrintsItsOwnValues) {
  tf::Tensor x = tf::constant({{1, 2, 3}, {4, 5, 6}});
  EXPECT_EQ(tf::format_values(tf::transpose(x)), "[[1 4]\n [2 5]\n [3 6]]");
  EXPECT_EQ(tf::format_values(x[{tf::all, 1}]), "[2 5]");
}

TEST(Format, TensorFlowExampleOutputs) {
  // Lines of examples/tensors.expected (TF 2 tutorial output).
  EXPECT_EQ(tf::constant(4).to_string(), "tf.Tensor(4, shape=(), dtype=int32)");
  EXPECT_EQ(tf::constant({2.0, 3.0, 4.0}).to_string(), "tf.Tensor([2. 3. 4.], shape=(3,), dtype=float32)");
  EXPECT_EQ(tf::constant({1.0, 10.0, 100.0}).to_string(), "tf.Tensor([  1.  10. 100.], shape=(3,), dtype=float32)");
  EXPECT_EQ(tf::constant({{1, 2}, {3, 4}}).to_string(), "tf.Tensor(\n[[1 2]\n [3 4]], shape=(2, 2), dtype=int32)");
  EXPECT_EQ(tf::constant("Gray wolf").to_string(), "tf.Tensor(b'Gray wolf', shape=(), dtype=string)");
}

// Dragon4 against values NumPy prints with np.format_float_positional / _scientific.
TEST(FloatFormat, ShortestDigitsPerType) {
  using tf::detail::FloatBits;
  tf::detail::FloatFormatOptions o;
  o.trim = tf::detail::Trim::kLeaveOneZero;
  EXPECT_EQ(tf::detail::format_float_positional(FloatBits::of(0.1), o), "0.1");
  EXPECT_EQ(tf::detail::format_float_positional(FloatBits::of(0.1f), o), "0.1");
  EXPECT_EQ(tf::detail::format_float_positional(FloatBits::of(tf::float16_t(0.1f)), o), "0.1");
  EXPECT_EQ(tf::detail::format_float_positional(FloatBits::of(1.0 / 3), o), "0.3333333333333333");
  EXPECT_EQ(tf::detail::format_float_positional(FloatBits::of(1.0f / 3), o), "0.33333334");
  EXPECT_EQ(tf::detail::format_float_positional(FloatBits::of(tf::float16_t(1.0f / 3)), o), "0.3333");
  EXPECT_EQ(tf::detail::format_float_positional(FloatBits::of(33554432.0f), o), "33554432.0");
  EXPECT_EQ(tf::detail::format_float_positional(FloatBits::of(-0.0), o), "-0.0");
  o.trim = tf::detail::Trim::kDptZeros;
  EXPECT_EQ(tf::detail::format_float_scientific(FloatBits::of(5e-324), o), "5e-324");
  EXPECT_EQ(tf::detail::format_float_scientific(FloatBits::of(1e-5f), o), "1e-05");
  o.precision = 3;
  o.trim = tf::detail::Trim::kKeep;
  EXPECT_EQ(tf::detail::format_float_positional(FloatBits::of(2.0 / 3), o), "0.667");
  o.unique = false;
  o.precision = 20;
  EXPECT_EQ(tf::detail::format_float_positional(FloatBits::of(0.1), o), "0.10000000000000000555");
}

}  // namespace
