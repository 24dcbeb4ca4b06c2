// CPU-vs-GPU parity of the softmax family: softmax/log_softmax over the last axis (warp rows and
// block rows) and middle axes (lanes), special values (-inf, huge logits, NaN), empty tensors,
// non-contiguous inputs, and both cross-entropies (loss and gradient through the tape).
#include <limits>

#include "tests/gpu/gpu_test_util.h"

namespace {
using namespace tapeflow::testing;

const std::vector<tf::DType> kFloating = {tf::float32, tf::float64, tf::float16, tf::bfloat16};

struct Case {
  tf::Shape shape;
  int axis;
  std::string name;
};
const std::vector<Case> kCases = {
    {{3, 4, 5}, -1, "last axis"},       {{3, 4, 5}, 1, "middle axis"},
    {{3, 4, 5}, 0, "first axis"},       {{1000, 10}, -1, "many short rows"},
    {{7, 1024}, -1, "warp limit"},      {{5, 5000}, -1, "block rows"},
    {{2, 70000}, 1, "long block rows"}, {{17}, 0, "vector"},
    {{0, 5}, -1, "empty rows"},         {{4, 0}, -1, "zero-length rows"},
    {{300, 3, 2}, 1, "short lanes"},
};

TEST_F(GpuTest, SoftmaxParity) {
  uint32_t seed = 1;
  for (tf::DType dt : kFloating) {
    for (const Case& c : kCases) {
      auto x = random_cpu(c.shape, dt, seed++);
      const int axis = c.axis;
      expect_parity([=](auto& v) { return tf::nn::softmax(v[0], axis); }, {x},
                    "softmax " + str(dt) + " " + c.shape.to_string() + " " + c.name);
      expect_parity([=](auto& v) { return tf::nn::log_softmax(v[0], axis); }, {x},
                    "log_softmax " + str(dt) + " " + c.shape.to_string() + " " + c.name);
    }
    auto t = random_transposed_cpu({6, 4, 9}, dt, seed++);
    expect_parity([](auto& v) { return tf::nn::softmax(v[0]); }, {t}, "softmax transposed " + str(dt));
    expect_parity([](auto& v) { return tf::nn::log_softmax(v[0], 1); }, {t}, "log_softmax transposed " + str(dt));
  }
}

TEST_F(GpuTest, SoftmaxSpecialValues) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  // Rows: huge logits (overflow without the max shift), a -inf entry, all -inf (NaN), a NaN.
  const std::vector<double> v = {1000, 999, -1000, 0, 1, -inf, 2, 3, -inf, -inf, -inf, -inf, 1, nan, 2, 0};
  for (tf::DType dt : {tf::float32, tf::float64}) {
    tf::Tensor x;
    {
      tf::DeviceScope on("CPU:0");
      x = tf::constant(v, {4, 4}, dt);
    }
    for (int axis : {-1, 0}) {
      expect_parity([=](auto& t) { return tf::nn::softmax(t[0], axis); }, {x}, "softmax special " + str(dt));
      expect_parity([=](auto& t) { return tf::nn::log_softmax(t[0], axis); }, {x}, "log_softmax special " + str(dt));
    }
  }
}

TEST_F(GpuTest, SoftmaxCrossEntropyParity) {
  uint32_t seed = 50;
  for (tf::DType dt : kFloating) {
    for (tf::Shape shape : {tf::Shape{8, 10}, tf::Shape{3, 4, 7}, tf::Shape{4, 3000}, tf::Shape{0, 5}}) {
      auto logits = random_cpu(shape, dt, seed++);
      tf::Tensor labels;
      {
        tf::DeviceScope on("CPU:0");
        labels = tf::nn::softmax(random_cpu(shape, dt, seed++));  // a distribution per row
      }
      expect_parity([](auto& v) { return tf::nn::softmax_cross_entropy_with_logits(v[0], v[1]); }, {labels, logits},
                    "softmax_cross_entropy " + str(dt) + " " + shape.to_string());
      for (tf::DType it : {tf::int32, tf::int64}) {
        tf::Shape lshape(std::span<const int64_t>(shape.begin(), shape.end() - 1));
        std::mt19937 gen(seed++);
        std::vector<double> idx(static_cast<std::size_t>(lshape.num_elements()));
        for (auto& i : idx) i = static_cast<double>(gen() % static_cast<uint32_t>(shape.dim(-1)));
        tf::Tensor sparse;
        {
          tf::DeviceScope on("CPU:0");
          sparse = tf::constant(idx, lshape, it);
        }
        expect_parity([](auto& v) { return tf::nn::sparse_softmax_cross_entropy_with_logits(v[0], v[1]); },
                      {sparse, logits},
                      "sparse_softmax_cross_entropy " + str(dt) + " " + str(it) + " " + shape.to_string());
      }
    }
  }
}

TEST_F(GpuTest, CrossEntropyGradientParity) {
  // The gradient (the kernels' second output) through the tape, on each device.
  auto logits = random_cpu({16, 10}, tf::float32, 91);
  tf::Tensor labels;
  {
    tf::DeviceScope on("CPU:0");
    labels = tf::constant(std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5}, {16}, tf::int32);
  }
  auto grad = [](const std::vector<tf::Tensor>& v) {
    tf::GradientTape tape;
    tape.watch(v[1]);
    auto loss = tf::reduce_mean(tf::nn::sparse_softmax_cross_entropy_with_logits(v[0], v[1]));
    tape.stop();
    return *tape.gradient(loss, v[1]);
  };
  expect_parity(grad, {labels, logits}, "sparse cross-entropy gradient");
}

TEST_F(GpuTest, SparseCrossEntropyBadLabelIsNaNOnGpu) {
  // TF's GPU kernel: an out-of-range label gives NaN (no host synchronization to raise).
  tf::DeviceScope on("GPU:0");
  auto logits = tf::constant(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}, tf::float32);
  auto labels = tf::constant(std::vector<double>{1, 7}, {2}, tf::int32);
  auto loss = tf::nn::sparse_softmax_cross_entropy_with_logits(labels, logits);
  auto v = values_as_double(loss.cpu());
  EXPECT_NEAR(v[0], std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 2.0, 1e-6);
  EXPECT_TRUE(std::isnan(v[1]));
}

}  // namespace
