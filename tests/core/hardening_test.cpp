// Regression tests of issue 12's defects in core: Python's rule for Shape indices, overflow-checked
// shape arithmetic (element counts, byte counts, tile/pad/concat/broadcast results), numbers that
// do not fit a tensor's dtype, and host allocation failures as ResourceExhaustedError (in a child
// process under RLIMIT_AS, so this binary keeps its address space).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <string>

#include "tests/core/test_util.h"

namespace {

TEST(ShapeIndex, NegativeIndexCountsFromTheEnd) {
  // The seed's rank_4_tensor.shape[-1] (TF: 5) and shape[-4] (3).
  auto t = tf::zeros({3, 2, 4, 5});
  EXPECT_EQ(t.shape()[-1], 5);
  EXPECT_EQ(t.shape()[-4], 3);
  EXPECT_EQ(t.shape()[0], 3);
  EXPECT_EQ(t.shape().dim(-2), 4);
  tf::Shape s{7, 8};
  s[-1] = 9;  // the mutable form follows the same rule
  EXPECT_EQ(s, (tf::Shape{7, 9}));
}

TEST(ShapeIndex, OutOfRangeIsATypedError) {
  auto t = tf::zeros({3, 2, 4, 5});
  EXPECT_TF_ERROR(t.shape()[4], tf::errors::InvalidArgumentError,
                  "Shape index 4 is out of range for shape (3, 2, 4, 5)");
  EXPECT_TF_ERROR(t.shape()[-5], tf::errors::InvalidArgumentError, "Shape index -5 is out of range");
  EXPECT_TF_ERROR(tf::Shape{}[0], tf::errors::InvalidArgumentError, "of rank 0");
  EXPECT_TF_ERROR(t.shape()[INT_MIN], tf::errors::InvalidArgumentError, "out of range");
}

TEST(ShapeOverflow, ElementCountPast2To63RaisesAsTf) {
  // TF: InvalidArgumentError "Encountered overflow when multiplying 4611686018427387904 with
  // 2147483648, result: -1" (TensorShape::AddDim).
  EXPECT_TF_ERROR(tf::zeros({1LL << 31, 1LL << 31, 1LL << 31}), tf::errors::InvalidArgumentError,
                  "Encountered overflow when multiplying 4611686018427387904 with 2147483648, result: -1");
  EXPECT_TF_ERROR((tf::Shape{1LL << 40, 1LL << 40}.num_elements()), tf::errors::InvalidArgumentError,
                  "Encountered overflow");
  // A zero dimension first keeps the count at 0, as in TF: a legal empty tensor.
  auto empty = tf::zeros({0, 1LL << 40, 1LL << 40});
  EXPECT_EQ(empty.size(), 0);
  EXPECT_EQ(tf::reduce_sum(empty).item<float>(), 0.f);
}

TEST(ShapeOverflow, ByteCountPast2To64IsResourceExhaustedNotACrash) {
  // 2^62 float32 elements are 2^64 bytes: the count fits int64 but the bytes wrap to 0.
  EXPECT_TF_ERROR(tf::ones({1LL << 31, 1LL << 31}), tf::errors::ResourceExhaustedError,
                  "OOM when allocating tensor with shape[2147483648,2147483648] and type float");
  EXPECT_TF_ERROR(tf::ones({1LL << 31, 1LL << 31}), tf::errors::ResourceExhaustedError, "[Op:Fill]");
  // Fits size_t but not any machine: the allocator refuses, still typed, still naming the op.
  EXPECT_TF_ERROR(tf::zeros({1LL << 40, 1LL << 20}, tf::float64), tf::errors::ResourceExhaustedError,
                  "shape[1099511627776,1048576] and type double");
  // The process is still usable.
  EXPECT_EQ((tf::ones({2}) + 1).to_vector<float>(), (std::vector<float>{2.f, 2.f}));
}

TEST(ShapeOverflow, DerivedShapesAreChecked) {
  auto x = tf::ones({2, 3});
  EXPECT_TF_ERROR(tf::tile(x, {1LL << 62, 1LL << 62}), tf::errors::InvalidArgumentError, "");
  EXPECT_TF_ERROR(tf::tile(x, {INT64_MAX, 1}), tf::errors::InvalidArgumentError, "");
  EXPECT_TF_ERROR(tf::pad(x, {{INT64_MAX, INT64_MAX}, {0, 0}}), tf::errors::InvalidArgumentError, "");
  EXPECT_TF_ERROR(tf::broadcast_to(tf::ones({1, 3}), {1LL << 62, 1LL << 62, 3}), tf::errors::InvalidArgumentError,
                  "Encountered overflow");
  EXPECT_TF_ERROR(tf::reshape(x, {1LL << 62, 1LL << 62}), tf::errors::InvalidArgumentError, "");
  auto huge = tf::zeros({0, INT64_MAX});
  EXPECT_TF_ERROR(tf::concat({huge, huge}, 1), tf::errors::InvalidArgumentError, "");
}

TEST(ScalarOperand, AFloatDoesNotBecomeAnInt32) {
  // TF: tf.constant([1, 2]) * 2.5 raises "Cannot convert 2.5 to EagerTensor of dtype int32".
  auto a = tf::constant({1, 2});
  EXPECT_TF_ERROR(a * 2.5, tf::errors::InvalidArgumentError, "Cannot convert 2.5 to EagerTensor of dtype int32");
  EXPECT_TF_ERROR(a + 0.5f, tf::errors::InvalidArgumentError, "Cannot convert 0.5 to EagerTensor of dtype int32");
  EXPECT_TF_ERROR(tf::multiply(2.5, a), tf::errors::InvalidArgumentError, "dtype int32");
  EXPECT_EQ((a * 2).to_vector<int32_t>(), (std::vector<int32_t>{2, 4}));
  EXPECT_EQ((tf::constant({1.f, 2.f}) * 2).to_vector<float>(), (std::vector<float>{2.f, 4.f}));
  EXPECT_EQ((tf::constant({1.f, 2.f}) * 2.5).to_vector<float>(), (std::vector<float>{2.5f, 5.f}));
}

TEST(ScalarOperand, AnIntegerOutsideTheDtypeRaises) {
  auto i8 = tf::constant({1, 2}, tf::int8);
  EXPECT_TF_ERROR(i8 + 300, tf::errors::InvalidArgumentError, "Cannot convert 300 to EagerTensor of dtype int8");
  EXPECT_TF_ERROR(tf::constant({1}, tf::uint8) - (-1), tf::errors::InvalidArgumentError, "dtype uint8");
  EXPECT_TF_ERROR(tf::constant({1}) * (int64_t{1} << 40), tf::errors::InvalidArgumentError, "dtype int32");
  EXPECT_TF_ERROR(tf::constant({1}, tf::int64) * UINT64_MAX, tf::errors::InvalidArgumentError, "dtype int64");
  EXPECT_EQ((i8 + 100).to_vector<int8_t>(), (std::vector<int8_t>{101, 102}));
  EXPECT_EQ((tf::constant({1}, tf::int64) * (int64_t{1} << 40)).item<int64_t>(), int64_t{1} << 40);
  EXPECT_TF_ERROR(tf::fill({2}, 2.5, tf::int32), tf::errors::InvalidArgumentError, "Cannot convert 2.5");
  EXPECT_TF_ERROR(tf::pad(tf::constant({1, 2}), {{1, 1}}, "CONSTANT", 0.5), tf::errors::InvalidArgumentError,
                  "Cannot convert 0.5 to EagerTensor of dtype int32");
  EXPECT_TF_ERROR(tf::one_hot(tf::constant({0, 1}), 2, 7.5, 0, -1, tf::int32), tf::errors::InvalidArgumentError,
                  "Cannot convert 7.5");
  EXPECT_TF_ERROR(tf::clip_by_value(tf::constant({1, 5}), 0.5, 3), tf::errors::InvalidArgumentError,
                  "Cannot convert 0.5");
  EXPECT_EQ(tf::pad(tf::constant({1, 2}), {{1, 0}}, "CONSTANT", 9).to_vector<int32_t>(),
            (std::vector<int32_t>{9, 1, 2}));
}

// Runs `body` in a forked child under a 1 GiB address-space limit and returns the child's exit
// code (the parent's limits, and so this test binary, are untouched).
int run_with_address_limit(void (*body)()) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    rlimit lim{};
    lim.rlim_cur = lim.rlim_max = rlim_t{1} << 30;
    if (setrlimit(RLIMIT_AS, &lim) != 0) _exit(90);
    body();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(HostAllocation, FailureIsResourceExhaustedNamingOpAndSize) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer maps terabytes of shadow memory, which no RLIMIT_AS leaves room for";
#endif
  (void)tf::ones({1});  // initialize the registry (and OpenMP) before the limit
  const int code = run_with_address_limit([] {
    try {
      auto big = tf::ones({1LL << 30, 2});  // 8 GiB under a 1 GiB limit
      _exit(1);
    } catch (const tf::errors::ResourceExhaustedError& e) {
      const std::string m = e.what();
      if (m.find("OOM when allocating tensor with shape[1073741824,2] and type float") == std::string::npos) _exit(2);
      if (m.find("8589934592 bytes") == std::string::npos) _exit(3);
      if (e.op() != "Fill") _exit(4);
    } catch (const std::bad_alloc&) { _exit(5); } catch (...) {
      _exit(6);
    }
    // Still usable after the failure: a normal op runs and gives the right values.
    auto y = tf::constant({1.f, 2.f}) * 3;
    if (y.to_vector<float>() != std::vector<float>{3.f, 6.f}) _exit(7);
    // A failure inside a kernel's own scratch (std::vector) is typed too: MatMul of a huge
    // broadcast would need gigabytes of output.
    try {
      auto a = tf::ones({1 << 15, 1});
      auto b = tf::ones({1, 1 << 15});
      auto c = tf::matmul(a, b);  // 4 GiB output
      _exit(8);
    } catch (const tf::errors::ResourceExhaustedError& e) {
      if (e.op().empty()) _exit(9);
    } catch (...) { _exit(10); }
  });
  EXPECT_EQ(code, 0) << "child exit code " << code
                     << " (1: no error, 2-4: wrong message/op, 5: std::bad_alloc, 6: other exception, "
                        "7: unusable afterwards, 8-10: matmul output)";
}

}  // namespace
