// The creation ops (fill, range, ...) on GPU:0 against CPU:0.
#include "tests/gpu/gpu_test_util.h"

namespace {
using namespace tapeflow::testing;
using Fn = std::function<tf::Tensor(const std::vector<tf::Tensor>&)>;

TEST_F(GpuTest, CreationOpsOnGpu) {
  Fn none_zeros = [](auto&) { return tf::zeros({3, 5}, tf::int64); };
  expect_parity(none_zeros, {}, "zeros");
  expect_parity([](auto&) { return tf::fill({1001}, 2.5, tf::float16); }, {}, "fill f16");
  expect_parity([](auto&) { return tf::ones({4}, tf::bool_); }, {}, "ones bool");
  expect_parity([](auto&) { return tf::range(3, 100, 7); }, {}, "range int");
  expect_parity([](auto&) { return tf::range(0.5, 10.0, 0.25); }, {}, "range float");
  expect_parity([](auto&) { return tf::linspace(-1, 1, 101); }, {}, "linspace");
  expect_parity([](auto&) { return tf::eye(5, 7); }, {}, "eye");
}

}  // namespace
