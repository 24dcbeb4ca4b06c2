#include <gtest/gtest.h>

#include "tapeflow/tapeflow.h"

namespace {

TEST(Binary, AddSameShape) {
  auto a = tf::constant({{1.f, 2.f}, {3.f, 4.f}});
  auto b = tf::constant({{10.f, 20.f}, {30.f, 40.f}});
  auto c = a + b;
  EXPECT_EQ(c.shape(), (tf::Shape{2, 2}));
  EXPECT_EQ(c.dtype(), tf::float32);
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{11, 22, 33, 44}));
}

TEST(Binary, BroadcastRowAndColumn) {
  auto a = tf::constant({{1}, {2}, {3}});  // (3, 1) int32
  auto b = tf::constant({10, 20});         // (2,)
  auto c = a * b;
  EXPECT_EQ(c.shape(), (tf::Shape{3, 2}));
  EXPECT_EQ(c.to_vector<int32_t>(), (std::vector<int32_t>{10, 20, 20, 40, 30, 60}));
}

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

TEST(Binary, IntegerDivisionGivesFloat64AndFloorOps) {
  auto a = tf::constant({7, -7});
  auto b = tf::constant({2, 2});
  auto q = a / b;
  EXPECT_EQ(q.dtype(), tf::float64);
  EXPECT_EQ(q.to_vector<double>(), (std::vector<double>{3.5, -3.5}));
  EXPECT_EQ(tf::floordiv(a, b).to_vector<int32_t>(), (std::vector<int32_t>{3, -4}));
  EXPECT_EQ((a % b).to_vector<int32_t>(), (std::vector<int32_t>{1, 1}));
  EXPECT_THROW(tf::floordiv(a, tf::constant({0, 1})), tf::errors::InvalidArgumentError);
}

TEST(Binary, Comparisons) {
  auto a = tf::constant({1, 5, 3});
  auto b = tf::constant({2, 5, 1});
  EXPECT_EQ(tf::less(a, b).to_vector<bool>(), (std::vector<bool>{true, false, false}));
  EXPECT_EQ((a == b).dtype(), tf::bool_);
  EXPECT_EQ((a >= b).to_vector<bool>(), (std::vector<bool>{false, true, true}));
}

}  // namespace
