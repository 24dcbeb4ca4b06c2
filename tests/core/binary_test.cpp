// The binary ops' errors and operator overloads. Their values (every op and dtype, broadcast,
// strided, scalar, empty and special inputs, integer division and its errors) are the op table's:
// tests/core/op_table_binary_test.cpp.
#include <gtest/gtest.h>

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

}  // namespace
