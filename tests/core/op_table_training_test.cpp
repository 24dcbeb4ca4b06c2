// The fused training ops on CPU:0: the op table's rows (tests/support/op_table_training.h), the
// composite update other dtypes take, the copy-on-write of a shared buffer and bad lists.
#include <gtest/gtest.h>

#include "tests/core/test_util.h"
#include "tests/support/op_table_training.h"

namespace {
namespace O = tf::keras::optimizers;
namespace ot = tapeflow::testing::op_table;

TEST(FusedTrainingOps, AdamAndAdamWMatchTheFormulas) { ot::check_fused_adam_rows(); }
TEST(FusedTrainingOps, SGDVariantsMatchTheFormulas) { ot::check_fused_sgd_rows(); }
TEST(FusedTrainingOps, AdagradAndRMSpropMatchTheFormulas) { ot::check_fused_adagrad_rmsprop_rows(); }

TEST(FusedTrainingOps, OtherDtypesTakeTheCompositeUpdate) {
  O::Adam adam({.learning_rate = 0.01});
  tf::Variable w(tf::constant({1.0f, -2.0f}, tf::float16));
  adam.apply_gradients({tf::constant({0.5f, 0.5f}, tf::float16)}, {w});
  // The first Adam step moves every weight by lr against the gradient's sign.
  tf::testing::expect_values(w.read_value(), {2}, {0.99, -2.01}, 1e-3);
  EXPECT_TF_ERROR(tf::training::apply_gradient_descent(std::vector<tf::Variable>{w},
                                                       std::vector<tf::Tensor>{tf::ones({2}, tf::float16)}, {}),
                  tf::errors::InvalidArgumentError, "supports float32 and float64 variables, got float16");
}

TEST(FusedTrainingOps, AReadTakenBeforeTheStepKeepsItsValue) {
  // Note [Fused training ops write in place]: a shared buffer is copied first.
  tf::Variable w(tf::constant({1.0f, 2.0f}));
  tf::Tensor before = w.read_value();
  tf::training::apply_gradient_descent(std::vector<tf::Variable>{w}, std::vector<tf::Tensor>{tf::ones({2})},
                                       {.learning_rate = 0.5});
  tf::testing::expect_values(before, {2}, {1.0, 2.0});
  tf::testing::expect_values(w.read_value(), {2}, {0.5, 1.5});
  tf::training::apply_gradient_descent(std::vector<tf::Variable>{w}, std::vector<tf::Tensor>{tf::ones({2})},
                                       {.learning_rate = 0.5});
  tf::testing::expect_values(w.read_value(), {2}, {0.0, 1.0});
}

TEST(FusedTrainingOps, RejectsMismatchedLists) {
  tf::Variable w(tf::zeros({3})), m(tf::zeros({2})), v(tf::zeros({3}));
  using Vars = std::vector<tf::Variable>;
  using Grads = std::vector<tf::Tensor>;
  EXPECT_TF_ERROR(tf::training::apply_adam(Vars{w}, Vars{m}, Vars{v}, {}, Grads{tf::zeros({3})}, {}),
                  tf::errors::InvalidArgumentError, "does not match variable");
  EXPECT_TF_ERROR(tf::training::apply_gradient_descent(Vars{w}, Grads{tf::zeros({4})}, {}),
                  tf::errors::InvalidArgumentError, "the gradient of variable");
  EXPECT_TF_ERROR(tf::training::apply_gradient_descent(Vars{w, w}, Grads{tf::zeros({3}), tf::zeros({3})}, {}),
                  tf::errors::InvalidArgumentError, "listed twice");
  EXPECT_TF_ERROR(tf::training::apply_gradient_descent(Vars{w}, Grads{}, {}), tf::errors::InvalidArgumentError,
                  "got 0 gradients for 1 variables");
}

}  // namespace
