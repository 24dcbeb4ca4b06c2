// The op table's rows of the convolution, pooling and batch-normalization family
// (tests/support/op_table.h): Conv2D and its two backprop ops, MaxPool/AvgPool and their gradients,
// FusedBatchNormV3 (training and inference) and its gradient, each against a long-double reference
// computed here from TF's definitions (the window arithmetic included: SAME's pad_before =
// pad_total / 2), never against another kernel of ours. Sums carry a rounding budget relative to
// their condition ((terms + 2)·eps·Σ|terms|, as matmul's rows), never an absolute tolerance.
// Samples: odd sizes, strides, dilations, SAME padding with asymmetric pads, batch 1 and 0,
// channels 1 and 3, a strided (non-contiguous) input, special values, and a larger case that
// takes the kernels' parallel paths. Run on CPU:0 by tests/core/op_table_<family>_test.cpp and on
// GPU:0 by tests/gpu/op_table_<family>_test.cpp (conv, pooling, batch_norm).
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/support/op_table_reduction.h"

namespace tapeflow::testing::op_table {

// ---- window arithmetic (TF's GetWindowedOutputSize, written out again here) -----------------

struct Axis1D {
  int64_t in = 0, k = 1, stride = 1, dilation = 1, out = 0, pad_before = 0;
};

inline Axis1D window_axis(int64_t in, int64_t k, int64_t stride, int64_t dilation, const std::string& padding) {
  Axis1D a{in, k, stride, dilation, 0, 0};
  const int64_t effective = (k - 1) * dilation + 1;
  if (padding == "VALID") {
    a.out = in >= effective ? (in - effective) / stride + 1 : 0;
  } else {
    a.out = (in + stride - 1) / stride;
    a.pad_before = std::max<int64_t>((a.out - 1) * stride + effective - in, 0) / 2;
  }
  return a;
}

/// The eps of the type a kernel accumulates `dt` in (float16/bfloat16 compute in float).
inline double compute_eps(DType dt) { return std::ldexp(1.0, dt == DType::kFloat64 ? -53 : -24); }

inline std::vector<double> values_of(const Tensor& t) {
  return cast(t, DType::kFloat64).contiguous().to_vector<double>();
}

// ---- Conv2D and its backprop ops -----------------------------------------------------------

struct ConvGeometry {
  int64_t n = 0, c = 0, o = 0;
  Axis1D h, w;
};

inline ConvGeometry conv_geometry(const Shape& x, const Shape& f, int64_t stride, int64_t dilation,
                                  const std::string& padding) {
  return {x[0], x[3], f[3], window_axis(x[1], f[0], stride, dilation, padding),
          window_axis(x[2], f[1], stride, dilation, padding)};
}

/// Calls visit(x index, filter index, out index) for every product of the convolution.
template <typename F> void for_each_conv_term(const ConvGeometry& g, F&& visit) {
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t oh = 0; oh < g.h.out; ++oh)
      for (int64_t ow = 0; ow < g.w.out; ++ow)
        for (int64_t kh = 0; kh < g.h.k; ++kh) {
          const int64_t ih = oh * g.h.stride - g.h.pad_before + kh * g.h.dilation;
          if (ih < 0 || ih >= g.h.in) continue;
          for (int64_t kw = 0; kw < g.w.k; ++kw) {
            const int64_t iw = ow * g.w.stride - g.w.pad_before + kw * g.w.dilation;
            if (iw < 0 || iw >= g.w.in) continue;
            for (int64_t c = 0; c < g.c; ++c)
              for (int64_t o = 0; o < g.o; ++o)
                visit(((n * g.h.in + ih) * g.w.in + iw) * g.c + c, ((kh * g.w.k + kw) * g.c + c) * g.o + o,
                      ((n * g.h.out + oh) * g.w.out + ow) * g.o + o);
          }
        }
}

/// Accumulates Σ a·b into `exact` and Σ|a·b| into `size` at index `at`.
struct SumWithBudget {
  std::vector<long double> sum, abs_sum;
  std::vector<int64_t> terms;
  explicit SumWithBudget(std::size_t n) : sum(n, 0), abs_sum(n, 0), terms(n, 0) {}
  void add(std::size_t at, long double t) {
    sum[at] += t;
    abs_sum[at] += std::fabs(t);
    ++terms[at];
  }
  /// The exact values and the budget (terms + 2)·eps·Σ|t| of a kernel accumulating in `dt`.
  void expect(const Tensor& got, DType dt, const std::string& what, const std::string& layout) const {
    std::vector<double> exact(sum.size()), slack(sum.size());
    for (std::size_t i = 0; i < sum.size(); ++i) {
      exact[i] = static_cast<double>(sum[i]);
      slack[i] = static_cast<double>(abs_sum[i]) * static_cast<double>(terms[i] + 2) * compute_eps(dt);
    }
    expect_within_ulps(
        got, exact, 1.0, what + " " + layout, [](std::size_t i) { return "element " + std::to_string(i); }, slack);
  }
};

/// conv2d, conv2d_backprop_input and conv2d_backprop_filter of x (N, H, W, C) and f (KH, KW, C, O)
/// with an output gradient dy, each against the long-double sums of its products.
inline void check_conv2d(const Tensor& x, const Tensor& f, int64_t stride, int64_t dilation, const std::string& padding,
                         const std::string& layout, uint32_t seed) {
  const DType dt = x.dtype();
  SCOPED_TRACE(std::string("conv2d ") + std::string(dtype_name(dt)) + " " + layout + " stride " +
               std::to_string(stride) + " dilation " + std::to_string(dilation) + " " + padding);
  const ConvGeometry g = conv_geometry(x.shape(), f.shape(), stride, dilation, padding);
  const Tensor y = nn::conv2d(x, f, stride, padding, dilation);
  ASSERT_EQ(y.dtype(), dt);
  ASSERT_EQ(y.shape(), Shape({g.n, g.h.out, g.w.out, g.o}));
  const std::vector<double> xv = values_of(x), fv = values_of(f);
  SumWithBudget fwd(static_cast<std::size_t>(y.shape().num_elements()));
  for_each_conv_term(g, [&](int64_t xi, int64_t fi, int64_t oi) {
    fwd.add(static_cast<std::size_t>(oi),
            static_cast<long double>(xv[static_cast<std::size_t>(xi)]) * fv[static_cast<std::size_t>(fi)]);
  });
  fwd.expect(y, dt, "Conv2D", layout);

  const Tensor dy = ordinary_tensor(dt, y.shape(), -2, 2, seed);
  const std::vector<double> dyv = values_of(dy);
  const Tensor dx = nn::conv2d_backprop_input(x.shape(), f, dy, stride, padding, dilation);
  ASSERT_EQ(dx.shape(), x.shape());
  SumWithBudget bin(static_cast<std::size_t>(x.shape().num_elements()));
  for_each_conv_term(g, [&](int64_t xi, int64_t fi, int64_t oi) {
    bin.add(static_cast<std::size_t>(xi),
            static_cast<long double>(dyv[static_cast<std::size_t>(oi)]) * fv[static_cast<std::size_t>(fi)]);
  });
  bin.expect(dx, dt, "Conv2DBackpropInput", layout);

  const Tensor df = nn::conv2d_backprop_filter(x, f.shape(), dy, stride, padding, dilation);
  ASSERT_EQ(df.shape(), f.shape());
  SumWithBudget bfl(static_cast<std::size_t>(f.shape().num_elements()));
  for_each_conv_term(g, [&](int64_t xi, int64_t fi, int64_t oi) {
    bfl.add(static_cast<std::size_t>(fi),
            static_cast<long double>(xv[static_cast<std::size_t>(xi)]) * dyv[static_cast<std::size_t>(oi)]);
  });
  bfl.expect(df, dt, "Conv2DBackpropFilter", layout);
}

inline void check_conv2d_rows(DType dt, uint32_t seed) {
  auto make = [&](const Shape& s, uint32_t sd) { return ordinary_tensor(dt, s, -2, 2, sd); };
  check_conv2d(make({2, 7, 6, 3}, seed), make({3, 3, 3, 4}, seed + 1), 1, 1, "SAME", "(2, 7, 6, 3) * (3, 3, 3, 4)",
               seed + 2);
  check_conv2d(make({2, 7, 6, 3}, seed), make({3, 3, 3, 4}, seed + 1), 1, 1, "VALID", "(2, 7, 6, 3) * (3, 3, 3, 4)",
               seed + 3);
  // Even kernel, stride 2: SAME pads 1 before and 2 after (pad_total 3).
  check_conv2d(make({1, 9, 8, 1}, seed + 4), make({4, 4, 1, 2}, seed + 5), 2, 1, "SAME", "batch 1, channels 1, 4x4 /2",
               seed + 6);
  check_conv2d(make({1, 9, 8, 1}, seed + 4), make({4, 4, 1, 2}, seed + 5), 2, 1, "VALID", "batch 1, channels 1, 4x4 /2",
               seed + 7);
  check_conv2d(make({2, 9, 10, 2}, seed + 8), make({3, 2, 2, 3}, seed + 9), 1, 2, "SAME", "dilation 2", seed + 10);
  check_conv2d(make({2, 9, 10, 2}, seed + 8), make({3, 2, 2, 3}, seed + 9), 1, 2, "VALID", "dilation 2", seed + 11);
  check_conv2d(make({3, 5, 5, 4}, seed + 12), make({1, 1, 4, 5}, seed + 13), 1, 1, "VALID", "1x1 (a gemm)", seed + 14);
  check_conv2d(make({0, 5, 5, 2}, seed), make({3, 3, 2, 2}, seed + 15), 1, 1, "SAME", "empty batch", seed + 16);
  const Tensor wide = make({2, 7, 6, 6}, seed + 17);
  const Tensor strided = wide[{all, all, all, slice(std::nullopt, std::nullopt, 2)}];
  ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
  check_conv2d(strided, make({3, 3, 3, 2}, seed + 18), 1, 1, "SAME", "strided input [..., ::2]", seed + 19);
  check_conv2d(make({4, 16, 16, 8}, seed + 20), make({5, 5, 8, 16}, seed + 21), 1, 1, "SAME", "large", seed + 22);
  if (is_floating(dt)) {
    const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> v = uniform_values(2 * 4 * 4, -2, 2, seed + 23);
    v[5] = inf, v[12] = -inf, v[22] = nan;
    check_conv2d(cast(constant(v, Shape{2, 4, 4, 1}, DType::kFloat64), dt), make({2, 2, 1, 2}, seed + 24), 1, 1, "SAME",
                 "inf, nan inputs", seed + 25);
  }
}

// ---- MaxPool, AvgPool and their gradients --------------------------------------------------

struct PoolGeometry {
  int64_t n = 0, c = 0;
  Axis1D h, w;
};

/// Calls visit(out index, the in-range input indices of its window in row-major window order).
template <typename F> void for_each_pool_window(const PoolGeometry& g, F&& visit) {
  std::vector<int64_t> window;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t oh = 0; oh < g.h.out; ++oh)
      for (int64_t ow = 0; ow < g.w.out; ++ow)
        for (int64_t c = 0; c < g.c; ++c) {
          window.clear();
          for (int64_t kh = 0; kh < g.h.k; ++kh) {
            const int64_t ih = oh * g.h.stride - g.h.pad_before + kh;
            if (ih < 0 || ih >= g.h.in) continue;
            for (int64_t kw = 0; kw < g.w.k; ++kw) {
              const int64_t iw = ow * g.w.stride - g.w.pad_before + kw;
              if (iw >= 0 && iw < g.w.in) window.push_back(((n * g.h.in + ih) * g.w.in + iw) * g.c + c);
            }
          }
          visit(((n * g.h.out + oh) * g.w.out + ow) * g.c + c, window);
        }
}

/// max_pool2d and avg_pool2d of x (N, H, W, C) and their gradients (through the tape: MaxPoolGrad,
/// AvgPoolGrad) for an output gradient dy: the maximum exactly, its gradient routed to the first
/// maximum of each window (TF's CPU rule), the mean over the window's in-range elements.
inline void check_pooling(const Tensor& x, int64_t k, int64_t stride, const std::string& padding,
                          const std::string& layout, uint32_t seed) {
  const DType dt = x.dtype();
  SCOPED_TRACE(std::string("pool2d ") + std::string(dtype_name(dt)) + " " + layout + " " + std::to_string(k) + "x" +
               std::to_string(k) + " /" + std::to_string(stride) + " " + padding);
  const PoolGeometry g{x.shape()[0], x.shape()[3], window_axis(x.shape()[1], k, stride, 1, padding),
                       window_axis(x.shape()[2], k, stride, 1, padding)};
  const Shape out_shape{g.n, g.h.out, g.w.out, g.c};
  const std::vector<double> xv = values_of(x);
  const Tensor dy = ordinary_tensor(dt, out_shape, -2, 2, seed);
  const std::vector<double> dyv = values_of(dy);
  const auto count = static_cast<std::size_t>(out_shape.num_elements());
  const auto in_count = static_cast<std::size_t>(x.shape().num_elements());
  for (bool is_max : {true, false}) {
    SCOPED_TRACE(is_max ? "max" : "avg");
    GradientTape tape;
    tape.watch(x);
    const Tensor y = is_max ? nn::max_pool2d(x, k, stride, padding) : nn::avg_pool2d(x, k, stride, padding);
    const Tensor loss = reduce_sum(y * dy);
    tape.stop();
    ASSERT_EQ(y.dtype(), dt);
    ASSERT_EQ(y.shape(), out_shape);
    std::vector<double> exact(count), slack(count, 0.0);
    std::vector<std::size_t> argmax(count);
    SumWithBudget grad(in_count);
    for_each_pool_window(g, [&](int64_t oi, const std::vector<int64_t>& window) {
      const auto o = static_cast<std::size_t>(oi);
      if (is_max) {
        std::size_t arg = static_cast<std::size_t>(window[0]);
        for (int64_t i : window)
          if (xv[static_cast<std::size_t>(i)] > xv[arg]) arg = static_cast<std::size_t>(i);
        exact[o] = xv[arg];
        argmax[o] = arg;
        grad.add(arg, dyv[o]);
      } else {
        long double s = 0, abs_s = 0;
        for (int64_t i : window)
          s += xv[static_cast<std::size_t>(i)], abs_s += std::fabs(xv[static_cast<std::size_t>(i)]);
        const auto m = static_cast<long double>(window.size());
        exact[o] = static_cast<double>(s / m);
        slack[o] = static_cast<double>(abs_s / m) * static_cast<double>(window.size() + 2) * compute_eps(dt);
        for (int64_t i : window) grad.add(static_cast<std::size_t>(i), dyv[o] / m);
      }
    });
    expect_within_ulps(
        y, exact, is_max ? 0.0 : 1.0, is_max ? "MaxPool" : "AvgPool",
        [](std::size_t i) { return "output " + std::to_string(i); }, slack);
    const std::optional<Tensor> dx = tape.gradient(loss, x);
    ASSERT_TRUE(dx.has_value());
    // The loss's own product dy·y adds one rounding per term: the gradient is dy routed, exact
    // but for the sums of overlapping windows (and AvgPool's division).
    grad.expect(*dx, dt, is_max ? "MaxPoolGrad" : "AvgPoolGrad", layout);
    if (is_max) {  // MaxPoolGradGrad: an input-shaped gradient read at each window's first maximum
      ops::PoolAttrs attrs;
      attrs.ksize[0] = attrs.ksize[1] = k;
      attrs.strides[0] = attrs.strides[1] = stride;
      attrs.padding = padding == "SAME" ? ops::Padding::kSame : ops::Padding::kValid;
      const Tensor gin = ordinary_tensor(dt, x.shape(), -2, 2, seed + 1);
      const std::vector<double> gv = values_of(gin);
      std::vector<double> want(count);
      for (std::size_t o = 0; o < count; ++o) want[o] = gv[argmax[o]];
      expect_within_ulps(ops::max_pool_grad_grad(x, y, gin, attrs), want, 0.0, "MaxPoolGradGrad",
                         [](std::size_t i) { return "output " + std::to_string(i); });
    }
  }
}

inline void check_pooling_rows(DType dt, uint32_t seed) {
  auto make = [&](const Shape& s, uint32_t sd) { return ordinary_tensor(dt, s, -3, 3, sd); };
  check_pooling(make({2, 8, 8, 3}, seed), 2, 2, "VALID", "(2, 8, 8, 3)", seed + 1);
  check_pooling(make({2, 7, 9, 3}, seed + 2), 2, 2, "SAME", "(2, 7, 9, 3) odd", seed + 3);
  check_pooling(make({2, 7, 9, 3}, seed + 2), 3, 2, "VALID", "overlapping 3x3 /2", seed + 4);
  check_pooling(make({1, 7, 9, 1}, seed + 5), 3, 2, "SAME", "overlapping, batch 1, channels 1", seed + 6);
  check_pooling(make({1, 6, 6, 2}, seed + 7), 4, 3, "SAME", "4x4 /3 (asymmetric pads)", seed + 8);
  check_pooling(make({0, 4, 4, 2}, seed), 2, 2, "VALID", "empty batch", seed + 9);
  const Tensor wide = make({2, 6, 6, 8}, seed + 10);
  const Tensor strided = wide[{all, all, all, slice(std::nullopt, std::nullopt, 2)}];
  ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
  check_pooling(strided, 2, 2, "VALID", "strided input [..., ::2]", seed + 11);
  check_pooling(make({8, 28, 28, 16}, seed + 12), 2, 2, "VALID", "large", seed + 13);
  // ±inf inputs: the maximum is exact, the mean inf (or NaN for inf - inf).
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> v = uniform_values(4 * 4, -2, 2, seed + 14);
  v[0] = inf, v[5] = -inf, v[10] = inf, v[11] = -inf;
  check_pooling(cast(constant(v, Shape{1, 4, 4, 1}, DType::kFloat64), dt), 2, 2, "VALID", "inf inputs", seed + 15);
}

// ---- FusedBatchNormV3 and its gradient -----------------------------------------------------

/// fused_batch_norm of x (..., C) in training (batch statistics; the variance output unbiased)
/// and inference (given mean and variance), and in training its gradient with respect to x,
/// scale and offset (FusedBatchNormGradV3 through the tape), against the long-double formulas.
inline void check_fused_batch_norm(const Tensor& x, const std::string& layout, uint32_t seed) {
  const DType dt = x.dtype();
  SCOPED_TRACE(std::string("fused_batch_norm ") + std::string(dtype_name(dt)) + " " + layout);
  const DType pdt = dt == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32;
  const int64_t c = x.shape()[x.shape().rank() - 1];
  const auto count = static_cast<std::size_t>(x.shape().num_elements());
  const int64_t n = c > 0 ? x.shape().num_elements() / c : 0;
  const Tensor scale = ordinary_tensor(pdt, Shape{c}, 0.5, 2, seed),
               offset = ordinary_tensor(pdt, Shape{c}, -1, 1, seed + 1);
  const std::vector<double> xv = values_of(x), sv = values_of(scale), ov = values_of(offset);
  const double epsilon = 0.001;
  const double eps = compute_eps(dt);
  auto ch = [&](std::size_t i) { return i % static_cast<std::size_t>(c); };
  // Batch statistics in long double.
  std::vector<long double> mean(static_cast<std::size_t>(c), 0), var(static_cast<std::size_t>(c), 0),
      abs_mean(static_cast<std::size_t>(c), 0);
  for (std::size_t i = 0; i < count; ++i) mean[ch(i)] += xv[i], abs_mean[ch(i)] += std::fabs(xv[i]);
  for (std::size_t j = 0; j < mean.size(); ++j) mean[j] /= n, abs_mean[j] /= n;
  for (std::size_t i = 0; i < count; ++i) var[ch(i)] += (xv[i] - mean[ch(i)]) * (xv[i] - mean[ch(i)]);
  for (long double& v : var) v /= n;

  GradientTape tape;
  tape.watch(x);
  tape.watch(scale);
  tape.watch(offset);
  const nn::FusedBatchNormOutputs r = nn::fused_batch_norm(x, scale, offset, {.epsilon = epsilon});
  const Tensor dy = ordinary_tensor(dt, x.shape(), -2, 2, seed + 2);
  const Tensor loss = reduce_sum(cast(r.y * dy, DType::kFloat64));
  tape.stop();
  ASSERT_EQ(r.y.dtype(), dt);
  ASSERT_EQ(r.y.shape(), x.shape());
  ASSERT_EQ(r.mean.dtype(), pdt);  // statistics in float32 for the halves, as TF
  ASSERT_EQ(r.variance.dtype(), pdt);
  // y = (x - mean)·rsqrt(var + ε)·scale + offset: the mean's and variance's sums (n terms each)
  // and a few roundings, relative to the sizes that meet in the subtraction.
  std::vector<double> exact(count), slack(count);
  std::vector<long double> inv(mean.size());
  for (std::size_t j = 0; j < mean.size(); ++j) inv[j] = 1 / std::sqrt(var[j] + epsilon);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t j = ch(i);
    const long double xhat = (xv[i] - mean[j]) * inv[j];
    exact[i] = static_cast<double>(xhat * sv[j] + ov[j]);
    slack[i] = static_cast<double>(
        (static_cast<long double>(n) + 8) * eps *
        ((std::fabs(xv[i]) + abs_mean[j]) * inv[j] * std::fabs(sv[j]) + std::fabs(xhat * sv[j]) + std::fabs(ov[j])));
  }
  expect_within_ulps(
      r.y, exact, 1.0, "FusedBatchNormV3 y", [](std::size_t i) { return "element " + std::to_string(i); }, slack);
  if (n > 1) {
    std::vector<double> m(mean.size()), v(mean.size()), ms(mean.size()), vs(mean.size());
    for (std::size_t j = 0; j < mean.size(); ++j) {
      m[j] = static_cast<double>(mean[j]);
      v[j] = static_cast<double>(var[j] * n / (n - 1));
      ms[j] = static_cast<double>((n + 2) * eps * abs_mean[j]);
      vs[j] = static_cast<double>((n + 8) * eps * (var[j] + abs_mean[j] * abs_mean[j]) * n / (n - 1));
    }
    expect_within_ulps(
        r.mean, m, 1.0, "FusedBatchNormV3 batch mean", [](std::size_t j) { return "channel " + std::to_string(j); },
        ms);
    expect_within_ulps(
        r.variance, v, 1.0, "FusedBatchNormV3 batch variance (unbiased)",
        [](std::size_t j) { return "channel " + std::to_string(j); }, vs);
  }
  // Gradients: with x̂ = (x - mean)·inv, dL/doffset = Σ dy, dL/dscale = Σ dy·x̂, and
  // dL/dx = scale·inv·(dy - mean(dy) - x̂·mean(dy·x̂)).
  const std::vector<double> dyv = values_of(dy);
  std::vector<long double> sum_dy(mean.size(), 0), sum_dy_xhat(mean.size(), 0), abs_dy(mean.size(), 0),
      abs_dy_xhat(mean.size(), 0);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t j = ch(i);
    const long double xhat = (xv[i] - mean[j]) * inv[j];
    sum_dy[j] += dyv[i], abs_dy[j] += std::fabs(dyv[i]);
    sum_dy_xhat[j] += dyv[i] * xhat, abs_dy_xhat[j] += std::fabs(dyv[i] * xhat);
  }
  const auto grads = tape.gradient(loss, std::vector<Source>{x, scale, offset});
  ASSERT_TRUE(grads[0] && grads[1] && grads[2]);
  std::vector<double> gx(count), gxs(count), gs(mean.size()), gss(mean.size()), go(mean.size()), gos(mean.size());
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t j = ch(i);
    const long double xhat = (xv[i] - mean[j]) * inv[j];
    gx[i] = static_cast<double>(sv[j] * inv[j] * (dyv[i] - sum_dy[j] / n - xhat * sum_dy_xhat[j] / n));
    gxs[i] = static_cast<double>((static_cast<long double>(n) + 8) * eps * std::fabs(sv[j]) * inv[j] *
                                 (std::fabs(dyv[i]) + abs_dy[j] / n + std::fabs(xhat) * abs_dy_xhat[j] / n +
                                  (std::fabs(xv[i]) + abs_mean[j]) * inv[j] * abs_dy_xhat[j] / n));
  }
  for (std::size_t j = 0; j < mean.size(); ++j) {
    go[j] = static_cast<double>(sum_dy[j]);
    gos[j] = static_cast<double>((n + 2) * eps * abs_dy[j]);
    gs[j] = static_cast<double>(sum_dy_xhat[j]);
    gss[j] = static_cast<double>((n + 8) * eps * (abs_dy_xhat[j] + abs_dy[j] * abs_mean[j] * inv[j]));
  }
  auto at = [](std::size_t i) { return "element " + std::to_string(i); };
  expect_within_ulps(*grads[0], gx, 1.0, "FusedBatchNormGradV3 x_backprop", at, gxs);
  expect_within_ulps(*grads[1], gs, 1.0, "FusedBatchNormGradV3 scale_backprop", at, gss);
  expect_within_ulps(*grads[2], go, 1.0, "FusedBatchNormGradV3 offset_backprop", at, gos);

  // Inference: the given mean and variance, no batch statistics.
  const Tensor given_mean = ordinary_tensor(pdt, Shape{c}, -1, 1, seed + 3),
               given_var = ordinary_tensor(pdt, Shape{c}, 0.25, 4, seed + 4);
  const std::vector<double> gm = values_of(given_mean), gv = values_of(given_var);
  const nn::FusedBatchNormOutputs inf = nn::fused_batch_norm(
      x, scale, offset, {.mean = given_mean, .variance = given_var, .epsilon = epsilon, .is_training = false});
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t j = ch(i);
    const long double g = 1 / std::sqrt(static_cast<long double>(gv[j]) + epsilon);
    const long double xhat = (xv[i] - gm[j]) * g;
    exact[i] = static_cast<double>(xhat * sv[j] + ov[j]);
    slack[i] = static_cast<double>(8 * eps *
                                   ((std::fabs(xv[i]) + std::fabs(gm[j])) * g * std::fabs(sv[j]) + std::fabs(ov[j])));
  }
  expect_within_ulps(
      inf.y, exact, 1.0, "FusedBatchNormV3 inference y", [](std::size_t i) { return "element " + std::to_string(i); },
      slack);
}

inline void check_batch_norm_rows(DType dt, uint32_t seed) {
  auto make = [&](const Shape& s, uint32_t sd) { return ordinary_tensor(dt, s, -3, 5, sd); };
  check_fused_batch_norm(make({2, 5, 7, 3}, seed), "(2, 5, 7, 3)", seed + 1);
  check_fused_batch_norm(make({1, 3, 3, 1}, seed + 2), "batch 1, channels 1", seed + 3);
  check_fused_batch_norm(make({6, 4}, seed + 4), "rank 2 (6, 4)", seed + 5);
  const Tensor wide = make({2, 4, 5, 6}, seed + 6);
  const Tensor strided = wide[{all, all, all, slice(std::nullopt, std::nullopt, 2)}];
  ASSERT_FALSE(strided.is_contiguous()) << "the strided case must really be strided";
  check_fused_batch_norm(strided, "strided input [..., ::2]", seed + 7);
  check_fused_batch_norm(make({16, 14, 14, 32}, seed + 8), "large", seed + 9);
}

/// The family's tables on the current device (a DeviceScope picks it), in every floating dtype
/// with the same seeds on CPU:0 and GPU:0.
inline void check_conv2d_table() { for_each_dtype(kFloatingDTypes, 23000, 101, check_conv2d_rows); }
inline void check_pooling_table() { for_each_dtype(kFloatingDTypes, 23500, 101, check_pooling_rows); }
inline void check_batch_norm_table() { for_each_dtype(kFloatingDTypes, 24000, 101, check_batch_norm_rows); }

}  // namespace tapeflow::testing::op_table
