// The AVX2 and the baseline bodies of the CPU kernels (Note [CPU kernels per instruction set]),
// switched by kernels::cpu::set_avx2_kernels_enabled: the op table's inputs of the reductions,
// max pooling's gradient and transposes give the same bits on both; the softmax family (FMA
// contracted on AVX2) meets the op table's tolerances on the baseline too. Skipped on a CPU
// without AVX2 (one path only).
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/onednn_runtime.h"
#include "tests/support/op_table_families.h"
#include "tests/support/op_table_reduction.h"

namespace {
namespace cpu = tapeflow::kernels::cpu;
namespace ot = tapeflow::testing::op_table;

std::vector<unsigned char> bits(const tf::Tensor& t) {
  const tf::Tensor c = t.contiguous();
  std::vector<unsigned char> b(static_cast<std::size_t>(c.size()) * tf::dtype_size(c.dtype()));
  if (!b.empty()) std::memcpy(b.data(), c.raw_data(), b.size());
  return b;
}

/// Runs f on the baseline bodies and on the AVX2 ones; every output must match bit for bit.
void expect_same_bits(const std::string& what, const std::function<std::vector<tf::Tensor>()>& f) {
  SCOPED_TRACE(what);
  cpu::set_avx2_kernels_enabled(false);
  ASSERT_FALSE(cpu::cpu_has_avx2());
  const std::vector<tf::Tensor> base = f();
  cpu::set_avx2_kernels_enabled(true);
  ASSERT_TRUE(cpu::cpu_has_avx2());
  const std::vector<tf::Tensor> avx2 = f();
  ASSERT_EQ(base.size(), avx2.size());
  for (std::size_t i = 0; i < base.size(); ++i) {
    const std::vector<unsigned char> a = bits(base[i]), b = bits(avx2[i]);
    ASSERT_EQ(a.size(), b.size()) << "output " << i;
    std::size_t first = 0;
    while (first < a.size() && a[first] == b[first]) ++first;
    EXPECT_EQ(first, a.size()) << "output " << i << " differs first at byte " << first << " of " << a.size();
  }
}

class CpuIsa : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cpu::cpu_has_avx2()) GTEST_SKIP() << "this CPU runs the baseline bodies only";
  }
  void TearDown() override { cpu::set_avx2_kernels_enabled(true); }
};

// The softmax family keeps FMA contraction in its AVX2 body (Note [CPU kernels per instruction
// set]): the two paths may differ in the last bits, so the baseline path must meet the op
// table's tolerances on its own (the op table's own tests run the AVX2 path).
TEST_F(CpuIsa, SoftmaxFamilyOnTheBaselinePathMeetsTheOpTable) {
  cpu::set_avx2_kernels_enabled(false);
  ASSERT_FALSE(cpu::cpu_has_avx2());
  ot::check_softmax_rows(tf::float32, 22511);
  ot::check_softmax_grad_rows(tf::float32, 22611);
  ot::check_softmax_cross_entropy_rows(tf::float32, 22711);
}

TEST_F(CpuIsa, ReductionsGiveTheSameBits) {
  for (tf::DType dt : {tf::float32, tf::float64}) {
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> special = ot::uniform_values(70, -3, 3, 5);
    special[3] = inf, special[40] = -inf, special[66] = nan;
    const std::vector<std::pair<std::string, tf::Tensor>> inputs = {
        {"(400, 257)", ot::ordinary_tensor(dt, tf::Shape{400, 257}, -10, 10, 23000)},
        {"(3, 70000)", ot::ordinary_tensor(dt, tf::Shape{3, 70000}, -10, 10, 23001)},
        {"(1100, 33)", ot::ordinary_tensor(dt, tf::Shape{1100, 33}, -10, 10, 23002)},
        {"special values", tf::cast(tf::constant(special, tf::Shape{7, 10}, tf::float64), dt)}};
    for (const auto& [layout, x] : inputs) {
      expect_same_bits(std::string(tf::dtype_name(dt)) + " " + layout, [&x = x] {
        std::vector<tf::Tensor> out;
        for (tf::Axes axes : {tf::Axes{}, tf::Axes{0}, tf::Axes{1}}) {
          out.push_back(tf::reduce_sum(x, axes));
          out.push_back(tf::reduce_mean(x, axes));
          out.push_back(tf::reduce_max(x, axes));
          out.push_back(tf::reduce_min(x, axes));
        }
        out.push_back(tf::argmax(x, 1));
        out.push_back(tf::argmin(x, 0));
        out.push_back(tf::transpose(x, {1, 0}).contiguous());
        return out;
      });
    }
  }
}

TEST_F(CpuIsa, MaxPoolGradGivesTheSameBits) {
  const bool onednn = cpu::onednn_enabled();
  cpu::set_onednn_enabled(false);  // the own kernel: its one-pass body is the dispatched one
  for (tf::DType dt : {tf::float32, tf::float64}) {
    const std::vector<std::pair<std::string, tf::Tensor>> inputs = {
        {"(2, 8, 8, 3)", ot::ordinary_tensor(dt, tf::Shape{2, 8, 8, 3}, -3, 3, 23100)},
        {"(8, 28, 28, 16)", ot::ordinary_tensor(dt, tf::Shape{8, 28, 28, 16}, -3, 3, 23101)},
        {"ties", tf::round(ot::ordinary_tensor(dt, tf::Shape{4, 12, 12, 8}, -2, 2, 23102))}};
    for (const auto& [layout, x] : inputs) {
      expect_same_bits(std::string(tf::dtype_name(dt)) + " " + layout, [&x = x] {
        tf::GradientTape tape;
        tape.watch(x);
        const tf::Tensor y = tf::nn::max_pool2d(x, 2, 2, "VALID");
        const tf::Tensor loss = tf::reduce_sum(y * ot::ordinary_tensor(x.dtype(), y.shape(), -2, 2, 9));
        tape.stop();
        return std::vector<tf::Tensor>{y, *tape.gradient(loss, x)};
      });
    }
  }
  cpu::set_onednn_enabled(onednn);
}

}  // namespace
