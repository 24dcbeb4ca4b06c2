// The binary ops' errors and operator overloads. Their values (every op and dtype, broadcast,
// strided, scalar, empty and special inputs, integer division and its errors) are the op table's:
// tests/core/op_table_binary_test.cpp.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace {

TEST(Binary, MixedDtypesAreAnError) {
  auto a = tf::constant({1, 2});
  auto b = tf::constant({1.f, 2.f});
  EXPECT_THROW(a + b, tf::errors::InvalidArgumentError);
}

TEST(Binary, IncompatibleShapes) {
  auto a = tf::constant({1.f, 2.f, 3.f});
  auto b = tf::constant({1.f, 2.f});
  try {
    (void)(a + b);
    FAIL();
  } catch (const tf::errors::InvalidArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("Incompatible shapes: (3,) vs. (2,)"), std::string::npos) << e.what();
  }
}

TEST(Binary, ScalarOperandTakesTensorDtype) {
  auto a = tf::constant({1.5f, 2.5f});
  EXPECT_EQ((a + 1).to_vector<float>(), (std::vector<float>{2.5f, 3.5f}));
  EXPECT_EQ((2 * a).to_vector<float>(), (std::vector<float>{3.f, 5.f}));
}

// Each operator is its op (whose values the op table checks), with Python's semantics: / is true
// division, % takes the divisor's sign.
TEST(Binary, OperatorsAreTheirOps) {
  auto a = tf::constant({7, -7, 3});
  auto b = tf::constant({2, 2, 3});
  using V = std::vector<int32_t>;
  using B = std::vector<bool>;
  EXPECT_EQ((a + b).to_vector<int32_t>(), (V{9, -5, 6}));
  EXPECT_EQ((a - b).to_vector<int32_t>(), (V{5, -9, 0}));
  EXPECT_EQ((a * b).to_vector<int32_t>(), (V{14, -14, 9}));
  EXPECT_EQ((a / b).dtype(), tf::float64);
  EXPECT_EQ((a / b).to_vector<double>(), (std::vector<double>{3.5, -3.5, 1}));
  EXPECT_EQ((a % b).to_vector<int32_t>(), (V{1, 1, 0}));
  EXPECT_EQ((a == b).to_vector<bool>(), (B{false, false, true}));
  EXPECT_EQ((a != b).to_vector<bool>(), (B{true, true, false}));
  EXPECT_EQ((a < b).to_vector<bool>(), (B{false, true, false}));
  EXPECT_EQ((a <= b).to_vector<bool>(), (B{false, true, true}));
  EXPECT_EQ((a > b).to_vector<bool>(), (B{true, false, false}));
  EXPECT_EQ((a >= b).to_vector<bool>(), (B{true, false, true}));
  auto p = tf::constant({true, true, false}), q = tf::constant({true, false, false});
  EXPECT_EQ((p && q).to_vector<bool>(), (B{true, false, false}));
  EXPECT_EQ((p || q).to_vector<bool>(), (B{true, true, false}));
}

// Outputs of 64 MB and more are written with streaming stores (Note [Streaming stores for large
// outputs], kernels/cpu/binary.cpp): the same bits as element-by-element arithmetic, for a row
// broadcast and for same-shape operands, float32 and a float64 subtraction with an int64 beside it.
TEST(Binary, LargeOutputsWithStreamingStoresKeepTheValues) {
  const int64_t rows = 4096, cols = 4096;  // 64 MB of float32
  const tf::Tensor x = tf::random::uniform({rows, cols}, {.minval = -3, .maxval = 3, .seed = 41});
  const tf::Tensor b = tf::random::uniform({cols}, {.minval = -1, .maxval = 1, .seed = 42});
  const std::vector<float> xv = x.to_vector<float>(), bv = b.to_vector<float>();
  auto expect_bits = [](const std::vector<float>& got, const std::vector<float>& want, const char* what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    int64_t bad = 0;
    for (std::size_t i = 0; i < got.size(); ++i) bad += std::memcmp(&got[i], &want[i], sizeof(float)) != 0;
    EXPECT_EQ(bad, 0) << what;
  };
  {
    std::vector<float> want(xv.size());
    for (std::size_t i = 0; i < want.size(); ++i) want[i] = xv[i] + bv[i % static_cast<std::size_t>(cols)];
    expect_bits(tf::add(x, b).to_vector<float>(), want, "x + b (row broadcast)");
  }
  {
    std::vector<float> want(xv.size());
    for (std::size_t i = 0; i < want.size(); ++i) want[i] = xv[i] * xv[i];
    expect_bits(tf::multiply(x, x).to_vector<float>(), want, "x * x (same shape)");
  }
  {
    // 2048 x 4096 float64 (64 MB) minus a column: a broadcast of stride 0 inside each row.
    const tf::Tensor xd = tf::cast(x[tf::slice(0, 2048)], tf::float64);
    const tf::Tensor col = tf::cast(tf::reshape(b[tf::slice(0, 2048)], {2048, 1}), tf::float64);
    const std::vector<double> got = tf::subtract(xd, col).to_vector<double>();
    int64_t bad = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
      const double want = static_cast<double>(xv[i]) - static_cast<double>(bv[i / static_cast<std::size_t>(cols)]);
      bad += std::memcmp(&got[i], &want, sizeof(double)) != 0;
    }
    EXPECT_EQ(bad, 0) << "x - column (float64)";
  }
}

}  // namespace
