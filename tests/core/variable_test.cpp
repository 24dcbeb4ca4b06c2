// Variables: creation, names, assign/assign_add/assign_sub, snapshot semantics of reads,
// handle semantics of copies, and typed errors on mismatched assigns.
#include <gtest/gtest.h>

#include "tests/core/test_util.h"

namespace {

TEST(Variable, NameTrainableAndReads) {
  tf::Variable v(tf::constant({1.f, 2.f}), {.name = "v", .trainable = true});
  EXPECT_EQ(v.name(), "v:0");
  EXPECT_TRUE(v.trainable());
  EXPECT_EQ(v.shape(), (tf::Shape{2}));
  EXPECT_EQ(v.dtype(), tf::float32);
  EXPECT_EQ(v.device(), tf::kCPU0);
  EXPECT_EQ((v + 1).to_vector<float>(), (std::vector<float>{2.f, 3.f}));
  tf::Variable w(tf::constant(0), {.name = "step", .trainable = false});
  EXPECT_FALSE(w.trainable());
  EXPECT_EQ(w.dtype(), tf::int32);
  tf::Variable d(tf::constant({1, 2}), {.dtype = tf::float64});
  EXPECT_EQ(d.dtype(), tf::float64);
  EXPECT_EQ(tf::Variable(3.0f).item<float>(), 3.0f);
}

TEST(Variable, AssignFamily) {
  tf::Variable v(tf::constant({1.f, 2.f}));
  v.assign(tf::constant({5.f, 6.f}));
  EXPECT_EQ(v.to_vector<float>(), (std::vector<float>{5.f, 6.f}));
  v.assign_add(tf::constant({1.f, 1.f}));
  EXPECT_EQ(v.to_vector<float>(), (std::vector<float>{6.f, 7.f}));
  v.assign_sub(tf::constant({2.f, 3.f}));
  EXPECT_EQ(v.read_value().to_vector<float>(), (std::vector<float>{4.f, 4.f}));
}

TEST(Variable, ReadsAreSnapshotsAndCopiesAreHandles) {
  tf::Variable v(tf::constant({1.f, 2.f}));
  tf::Tensor before = v.read_value();
  tf::Variable alias = v;  // same variable, as a Python name would be
  alias.assign_add(tf::constant({10.f, 10.f}));
  EXPECT_EQ(before.to_vector<float>(), (std::vector<float>{1.f, 2.f}));
  EXPECT_EQ(v.to_vector<float>(), (std::vector<float>{11.f, 12.f}));
  EXPECT_TRUE(alias == v);
  // The variable owns its buffer: changing the tensor it was built from is impossible (immutable),
  // and the variable does not alias it.
  auto init = tf::constant({7.f});
  tf::Variable u(init);
  EXPECT_NE(u.read_value().storage(), init.storage());
}

TEST(Variable, MismatchedAssignIsInvalidArgument) {
  tf::Variable v(tf::constant({1.f, 2.f}), {.name = "v"});
  EXPECT_TF_ERROR(v.assign(tf::constant({1.f, 2.f, 3.f})), tf::errors::InvalidArgumentError,
                  "shape (3,) to variable 'v:0' of shape (2,)");
  EXPECT_TF_ERROR(v.assign(tf::constant({1, 2})), tf::errors::InvalidArgumentError,
                  "int32 value to variable 'v:0' of dtype float32");
  EXPECT_TF_ERROR(v.assign_add(tf::constant({1.0}, tf::float64)), tf::errors::InvalidArgumentError, "float64");
  EXPECT_TF_ERROR(v.assign_sub(tf::constant({{1.f, 2.f}})), tf::errors::InvalidArgumentError, "(1, 2)");
  tf::Variable empty;
  EXPECT_TF_ERROR(empty.read_value(), tf::errors::FailedPreconditionError, "uninitialized");
}

TEST(Variable, LivesWhereCreated) {
  tf::Variable v;
  {
    tf::DeviceScope on("CPU:0");
    v = tf::Variable(tf::constant({1.f}));
  }
  EXPECT_EQ(v.device(), tf::kCPU0);
}

}  // namespace
