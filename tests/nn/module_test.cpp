// tf::Module: tracking, deterministic order, paths and Keras-style unique names.
#include <gtest/gtest.h>

#include "tests/core/test_util.h"

namespace {
namespace K = tf::keras;

struct Dense : tf::Module {
  tf::Variable w, b;
  Dense(int in, int out)
      : tf::Module("dense"),
        w(track("w", tf::Variable(tf::ones({in, out})))),
        b(track("b", tf::Variable(tf::zeros({out}), {.trainable = false}))) {}
  tf::Tensor operator()(const tf::Tensor& x) { return tf::nn::relu(tf::matmul(x, w) + b); }
};

struct Model : tf::Module {
  Dense d1, d2;
  Model() : tf::Module("model"), d1(track("dense", Dense(3, 4))), d2(track("dense_1", Dense(4, 2))) {}
  tf::Tensor operator()(const tf::Tensor& x) { return d2(d1(x)); }
};

TEST(Module, TracksVariablesAndSubmodulesInOrder) {
  K::backend::clear_session();
  Model m;
  EXPECT_EQ(m.name(), "model");
  EXPECT_EQ(m.d1.name(), "dense");
  EXPECT_EQ(m.d2.name(), "dense_1");
  auto named = m.named_variables();
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[0].first, "model/dense/w");
  EXPECT_EQ(named[1].first, "model/dense/b");
  EXPECT_EQ(named[2].first, "model/dense_1/w");
  EXPECT_EQ(named[3].first, "model/dense_1/b");
  EXPECT_TRUE(named[2].second == m.d2.w);
  auto tv = m.trainable_variables();
  ASSERT_EQ(tv.size(), 2u);
  EXPECT_TRUE(tv[0] == m.d1.w);
  EXPECT_TRUE(tv[1] == m.d2.w);
  EXPECT_EQ(m.variables().size(), 4u);
  EXPECT_EQ(m.non_trainable_variables().size(), 2u);
  auto subs = m.submodules();
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_TRUE(subs[0] == m.d1);
  EXPECT_EQ(subs[1].name(), "dense_1");
  tf::testing::expect_values(m(tf::ones({1, 3})), {1, 2}, {12, 12});
}

TEST(Module, CopiesShareStateAndFreezingHidesTrainables) {
  K::backend::clear_session();
  Model m;
  Model copy = m;
  EXPECT_TRUE(copy == m);
  copy.d1.set_trainable(false);
  ASSERT_EQ(m.trainable_variables().size(), 1u);
  EXPECT_TRUE(m.trainable_variables()[0] == m.d2.w);
}

TEST(Module, SharedVariablesAreListedOnce) {
  K::backend::clear_session();
  struct Twice : tf::Module {
    tf::Variable v;
    Twice() : tf::Module("twice"), v(track("a", tf::Variable(1.0f))) { track("b", v); }
  } t;
  EXPECT_EQ(t.variables().size(), 1u);
}

TEST(Module, UniqueNamesRestartAfterClearSession) {
  K::backend::clear_session();
  EXPECT_EQ(tf::Module("block").name(), "block");
  EXPECT_EQ(tf::Module("block").name(), "block_1");
  EXPECT_EQ(tf::Module("exact", {.unique = false}).name(), "exact");
  EXPECT_EQ(tf::Module("exact", {.unique = false}).name(), "exact");
  K::backend::clear_session();
  EXPECT_EQ(tf::Module("block").name(), "block");
}

}  // namespace
