// _FusedMatMul and _FusedConv2D on CPU: the same bits as the ops they replace (MatMul/Conv2D,
// BiasAdd, Relu) in float32 and float64, and typed errors for bad inputs.
#include <gtest/gtest.h>

#include "tapeflow/core/ops/fused_contraction.h"
#include "tapeflow/tapeflow.h"

namespace {

tf::Tensor uniform(tf::Shape shape, tf::DType dtype, int seed) {
  return tf::cast(tf::random::uniform(std::move(shape), {.minval = -1, .maxval = 1, .seed = seed}), dtype);
}

template <typename T> void expect_same_bits(const tf::Tensor& a, const tf::Tensor& b) {
  ASSERT_EQ(a.shape(), b.shape());
  EXPECT_EQ(a.to_vector<T>(), b.to_vector<T>());
}

TEST(FusedMatMul, EqualsMatMulBiasAddRelu) {
  for (tf::DType dt : {tf::float32, tf::float64}) {
    for (bool relu : {false, true}) {
      for (bool ta : {false, true}) {
        auto a = uniform(ta ? tf::Shape{5, 3} : tf::Shape{3, 5}, dt, 1), b = uniform({5, 4}, dt, 2),
             bias = uniform({4}, dt, 3);
        tf::Tensor want = tf::nn::bias_add(tf::matmul(a, b, ta, false), bias);
        if (relu) want = tf::nn::relu(want);
        tf::ops::MatMulAttrs attrs;
        attrs.transpose_a = ta;
        tf::Tensor got = tf::ops::fused_matmul(a, b, bias, attrs, relu);
        if (dt == tf::float32)
          expect_same_bits<float>(got, want);
        else
          expect_same_bits<double>(got, want);
      }
    }
  }
}

TEST(FusedConv2D, EqualsConv2DBiasAddRelu) {
  for (tf::DType dt : {tf::float32, tf::float64}) {
    for (bool relu : {false, true}) {
      auto x = uniform({2, 5, 6, 3}, dt, 4), f = uniform({3, 2, 3, 4}, dt, 5), bias = uniform({4}, dt, 6);
      tf::ops::Conv2DAttrs attrs;
      attrs.strides[0] = 2;
      attrs.padding = tf::ops::Padding::kSame;
      tf::Tensor want = tf::nn::bias_add(tf::ops::conv2d(x, f, attrs), bias);
      if (relu) want = tf::nn::relu(want);
      tf::Tensor got = tf::ops::fused_conv2d(x, f, bias, attrs, relu);
      if (dt == tf::float32)
        expect_same_bits<float>(got, want);
      else
        expect_same_bits<double>(got, want);
    }
  }
}

TEST(FusedMatMul, BadInputsRaiseTypedErrors) {
  auto a = tf::ones({2, 3}), b = tf::ones({3, 4});
  tf::ops::MatMulAttrs attrs;
  EXPECT_THROW(tf::ops::fused_matmul(a, b, tf::ones({3}), attrs, false), tf::errors::InvalidArgumentError);
  EXPECT_THROW(tf::ops::fused_matmul(a, tf::ones({2, 4}), tf::ones({4}), attrs, false),
               tf::errors::InvalidArgumentError);
  EXPECT_THROW(tf::ops::fused_matmul(tf::ones({2, 3}, tf::int32), tf::ones({3, 4}, tf::int32), tf::ones({4}, tf::int32),
                                     attrs, false),
               tf::errors::InvalidArgumentError);
  EXPECT_THROW(tf::ops::fused_matmul(a, b, tf::ones({4}, tf::float64), attrs, false), tf::errors::InvalidArgumentError);
  EXPECT_THROW(tf::ops::fused_conv2d(tf::ones({1, 4, 4, 2}), tf::ones({2, 2, 3, 1}), tf::ones({1}), {}, false),
               tf::errors::InvalidArgumentError);
}

}  // namespace
