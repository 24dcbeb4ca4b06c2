// CPU-vs-GPU parity of the reductions over every axis combination, keepdims, empty inputs,
// long rows and columns (the chunked two-pass path), non-contiguous inputs, argmax/argmin with
// ties and NaN, any/all, cumsum/cumprod, top_k (ties, NaN, -0.0).
#include "tests/gpu/gpu_test_util.h"

namespace {
using namespace tapeflow::testing;
using Fn = std::function<tf::Tensor(const std::vector<tf::Tensor>&)>;

const std::vector<tf::DType> kNumeric = {tf::float32, tf::float64, tf::float16, tf::bfloat16, tf::int32, tf::int64};

struct Case {
  tf::Shape shape;
  tf::Axes axes;
  std::string name;
};
const std::vector<Case> kCases = {
    {{3, 4, 5}, {}, "all"},           {{3, 4, 5}, 0, "axis 0"},
    {{3, 4, 5}, 1, "axis 1"},         {{3, 4, 5}, -1, "axis -1"},
    {{3, 4, 5}, {0, 2}, "axes 0,2"},  {{3, 4, 5}, {0, 1}, "axes 0,1 (columns)"},
    {{1000, 37}, 1, "short rows"},    {{37, 1000}, 1, "rows"},
    {{37, 1000}, 0, "columns"},       {{5, 100003}, 1, "long rows"},
    {{100003, 3}, 0, "long columns"}, {{1 << 20}, {}, "one long row"},
    {{0, 5}, 0, "empty reduced"},     {{0, 5}, 1, "empty outer"},
    {{4, 0}, 1, "empty rows"},        {{}, {}, "scalar"},
};

using Reduce = tf::Tensor (*)(const tf::Tensor&, tf::Axes, bool);

void reduce_parity(const std::string& name, Reduce r, const std::vector<tf::DType>& dtypes, Range range,
                   double tol_scale = 1, int64_t max_elements = INT64_MAX) {
  uint32_t seed = 1;
  for (tf::DType dt : dtypes) {
    for (const Case& c : kCases) {
      if (c.shape.num_elements() > max_elements) continue;
      auto x = random_cpu(c.shape, dt, seed++, range);
      // float16/bfloat16 sums of many terms: the CPU accumulates in double, the GPU in float.
      double tol = parity_tolerance(dt) * tol_scale;
      if (tf::is_floating(dt) && dt != tf::float64 && c.shape.num_elements() > 10000) tol = std::max(tol, 1e-4);
      for (bool keep : {false, true}) {
        tf::Axes axes = c.axes;
        expect_parity([=](auto& v) { return r(v[0], axes, keep); }, {x},
                      name + " " + str(dt) + " " + c.shape.to_string() + " " + c.name + (keep ? " keepdims" : ""), tol);
      }
    }
    auto t = random_transposed_cpu({7, 300, 9}, dt, seed++, range);
    expect_parity([=](auto& v) { return r(v[0], {1}, false); }, {t}, name + " transposed " + str(dt),
                  parity_tolerance(dt) * tol_scale);
    expect_parity(
        [=](auto& v) {
          return r(v[0], {0, 2}, false);
        },
        {t}, name + " transposed axes 0,2 " + str(dt), parity_tolerance(dt) * tol_scale);
  }
}

TEST_F(GpuTest, SumMeanParity) {
  reduce_parity("reduce_sum", tf::reduce_sum, kNumeric, Range::kSigned, 10);
  reduce_parity("reduce_mean", tf::reduce_mean, kNumeric, Range::kSigned, 10);
}

TEST_F(GpuTest, MaxMinProdParity) {
  reduce_parity("reduce_max", tf::reduce_max, kNumeric, Range::kSigned);
  reduce_parity("reduce_min", tf::reduce_min, kNumeric, Range::kSigned);
  // Products of values near 1, over short spans so that float32 partial products stay finite (the
  // CPU multiplies in double); ints (1 and 2) wrap alike on both.
  reduce_parity("reduce_prod", tf::reduce_prod, {tf::float32, tf::float64, tf::int32, tf::int64}, Range::kNearOne, 10,
                40000);
}

TEST_F(GpuTest, AnyAllParity) {
  reduce_parity("reduce_any", tf::reduce_any, {tf::bool_}, Range::kSigned);
  reduce_parity("reduce_all", tf::reduce_all, {tf::bool_}, Range::kSigned);
  tf::Tensor ones;
  {
    tf::DeviceScope on("CPU:0");
    ones = tf::ones({3, 70000}, tf::bool_);
  }
  expect_parity([](auto& v) { return tf::reduce_all(v[0], 1); }, {ones}, "reduce_all all true");
  expect_parity([](auto& v) { return tf::reduce_any(tf::logical_not(v[0])); }, {ones}, "reduce_any all false");
}

TEST_F(GpuTest, ArgMaxArgMinParity) {
  uint32_t seed = 500;
  for (tf::DType dt : {tf::float32, tf::float64, tf::float16, tf::bfloat16, tf::int32, tf::int64, tf::int8}) {
    for (const tf::Shape& s : {tf::Shape{3, 4, 5}, tf::Shape{37, 1000}, tf::Shape{100003}, tf::Shape{5, 100003}}) {
      auto x = random_cpu(s, dt, seed++);  // ints in [-5, 5]: many ties, the lowest index must win
      for (int axis = 0; axis < s.rank(); ++axis) {
        for (tf::DType out : {tf::int64, tf::int32}) {
          expect_parity([=](auto& v) { return tf::argmax(v[0], axis, out); }, {x},
                        "argmax " + str(dt) + " " + s.to_string() + " axis " + std::to_string(axis));
          expect_parity([=](auto& v) { return tf::argmin(v[0], axis, out); }, {x},
                        "argmin " + str(dt) + " " + s.to_string() + " axis " + std::to_string(axis));
        }
      }
    }
    auto t = random_transposed_cpu({40, 3}, dt, seed++);
    expect_parity([](auto& v) { return tf::argmax(v[0], 1); }, {t}, "argmax transposed " + str(dt));
  }
  tf::Tensor nan;
  {
    tf::DeviceScope on("CPU:0");
    nan = tf::constant({{1.f, NAN, 3.f, NAN}, {5.f, 5.f, -1.f, -1.f}});
  }
  expect_parity([](auto& v) { return tf::argmax(v[0], 1); }, {nan}, "argmax nan");
  expect_parity([](auto& v) { return tf::argmin(v[0], 1); }, {nan}, "argmin nan");
  expect_parity([](auto& v) { return tf::reduce_max(v[0], 1); }, {nan}, "reduce_max nan");
}

TEST_F(GpuTest, CumsumCumprodParity) {
  uint32_t seed = 900;
  for (tf::DType dt : {tf::float32, tf::float64, tf::float16, tf::int32, tf::int64}) {
    auto x = random_cpu({4, 33, 5}, dt, seed++, Range::kNearOne);
    for (int axis = 0; axis < 3; ++axis)
      for (bool exclusive : {false, true})
        for (bool reverse : {false, true}) {
          std::string tag =
              str(dt) + " axis " + std::to_string(axis) + (exclusive ? " exclusive" : "") + (reverse ? " reverse" : "");
          expect_parity([=](auto& v) { return tf::cumsum(v[0], axis, exclusive, reverse); }, {x}, "cumsum " + tag);
          expect_parity([=](auto& v) { return tf::cumprod(v[0], axis, exclusive, reverse); }, {x}, "cumprod " + tag);
        }
  }
}

TEST_F(GpuTest, TopKParity) {
  uint32_t seed = 300;
  for (tf::DType dt : kNumeric) {
    for (auto [shape, k] : std::vector<std::pair<tf::Shape, int>>{
             {{10}, 3}, {{4, 50}, 5}, {{3, 2, 1000}, 10}, {{7, 9}, 9}, {{5, 4}, 0}, {{0, 6}, 2}, {{2, 3000}, 1}}) {
      // Few distinct integers, so ties are common and must keep the lower index first.
      auto x = random_cpu(shape, dt, seed++);
      const int kk = k;
      expect_parity([=](auto& v) { return tf::top_k(v[0], kk).values; }, {x},
                    "top_k values " + str(dt) + " " + shape.to_string(), 0.0);
      expect_parity([=](auto& v) { return tf::top_k(v[0], kk).indices; }, {x},
                    "top_k indices " + str(dt) + " " + shape.to_string(), 0.0);
    }
  }
  // NaN ranks first, -0.0 ties with 0.0, -inf last.
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  tf::Tensor special;
  {
    tf::DeviceScope on("CPU:0");
    special = tf::constant(std::vector<double>{1, nan, -0.0, 0.0, -inf, inf, nan, 1}, {8});
  }
  expect_parity([](auto& v) { return tf::top_k(v[0], 8).indices; }, {special}, "top_k special indices", 0.0);
  expect_parity([](auto& v) { return tf::top_k(v[0], 8).values; }, {special}, "top_k special values", 0.0);
}

}  // namespace
