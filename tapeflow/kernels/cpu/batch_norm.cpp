// CPU kernels of FusedBatchNormV3 and FusedBatchNormGradV3 over the last (channel) axis: x is
// a (rows, C) matrix. float32/bfloat16 x run on oneDNN where the build has it
// (onednn_batch_norm.h); the own kernels below are the fallback: statistics are per-channel
// sums accumulated in double (channel_sums.h), then an elementwise pass. x/y are T, the
// per-channel vectors U (float32, or float64 for float64 x). The saved statistics
// (reserve_space_1/2) are the batch mean and biased variance.
#include <cmath>
#include <type_traits>
#include <vector>

#include "tapeflow/core/ops/batch_norm.h"
#include "tapeflow/kernels/batch_norm.h"
#include "tapeflow/kernels/cpu/channel_sums.h"
#include "tapeflow/kernels/cpu/onednn_batch_norm.h"
#include "tapeflow/kernels/cpu/parallel.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cpu {
namespace {

template <typename U> const U* ptr(const Tensor& t) { return static_cast<const U*>(t.raw_data()); }
template <typename U> U* mut(Tensor& t) { return static_cast<U*>(t.raw_data()); }

/// y = (x - mean) * inv_std * scale + offset, computed as x * mul + add per channel.
template <typename T>
void normalize(const T* x, int64_t rows, int64_t c, const std::vector<double>& mul, const std::vector<double>& add,
               T* y) {
  parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, c)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r)
      for (int64_t ch = 0; ch < c; ++ch) {
        const auto i = static_cast<std::size_t>(ch);
        y[r * c + ch] = T(static_cast<compute_t<T>>(static_cast<double>(x[r * c + ch]) * mul[i] + add[i]));
      }
  });
}

/// The forward on oneDNN, when it runs it: the statistics it normalized with into mean/var.
template <typename T, typename U>
bool onednn_forward(KernelContext& ctx, const Tensor& x, const Tensor& scale, const Tensor& offset,
                    const Tensor& old_mean, const Tensor& old_var, std::vector<double>& mean,
                    std::vector<double>& var) {
  if constexpr (!std::is_same_v<U, float>) {
    return false;
  } else {
    const auto& attrs = ctx.attr<ops::FusedBatchNormAttrs>();
    const int64_t c = x.shape().dim(-1), rows = c ? x.size() / c : 0;
    BatchNormChannels ch{.scale = ptr<float>(scale), .offset = ptr<float>(offset)};
    if (!attrs.is_training) {
      ch.mean = ptr<float>(old_mean);
      ch.variance = ptr<float>(old_var);
    }
    float *batch_mean = mut<float>(ctx.output(3)), *batch_var = mut<float>(ctx.output(4));
    if (!onednn_fused_batch_norm(x.dtype(), rows, c, attrs.epsilon, attrs.is_training, x.raw_data(), ch,
                                 ctx.output(0).raw_data(), batch_mean, batch_var))
      return false;
    const float* m = attrs.is_training ? batch_mean : ch.mean;
    const float* v = attrs.is_training ? batch_var : ch.variance;
    for (std::size_t i = 0; i < mean.size(); ++i) {
      mean[i] = static_cast<double>(m[i]);
      var[i] = static_cast<double>(v[i]);
    }
    return true;
  }
}

template <typename T, typename U> void fused_batch_norm(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::FusedBatchNormAttrs>();
  const Tensor x = ctx.input(0).contiguous(), scale = ctx.input(1).contiguous(), offset = ctx.input(2).contiguous();
  const Tensor old_mean = ctx.input(3).contiguous(), old_var = ctx.input(4).contiguous();
  const int64_t c = x.shape().dim(-1), rows = c ? x.size() / c : 0;
  const auto cs = static_cast<std::size_t>(c);
  const T* xp = ptr<T>(x);
  std::vector<double> mean(cs), var(cs);
  if (!onednn_forward<T, U>(ctx, x, scale, offset, old_mean, old_var, mean, var)) {
    if (attrs.is_training) {
      const auto sum = channel_sums<double, 1>(rows, c, [&](int64_t r, const std::array<double*, 1>& acc) {
        for (int64_t ch = 0; ch < c; ++ch) acc[0][ch] += static_cast<double>(xp[r * c + ch]);
      });
      for (std::size_t i = 0; i < cs; ++i) mean[i] = sum[0][i] / static_cast<double>(rows);
      const auto sq = channel_sums<double, 1>(rows, c, [&](int64_t r, const std::array<double*, 1>& acc) {
        for (int64_t ch = 0; ch < c; ++ch) {
          const double d = static_cast<double>(xp[r * c + ch]) - mean[static_cast<std::size_t>(ch)];
          acc[0][ch] += d * d;
        }
      });
      for (std::size_t i = 0; i < cs; ++i) var[i] = sq[0][i] / static_cast<double>(rows);
    } else {
      for (std::size_t i = 0; i < cs; ++i) {
        mean[i] = static_cast<double>(ptr<U>(old_mean)[i]);
        var[i] = static_cast<double>(ptr<U>(old_var)[i]);
      }
    }
    std::vector<double> mul(cs), add(cs);
    for (std::size_t i = 0; i < cs; ++i) {
      mul[i] = static_cast<double>(ptr<U>(scale)[i]) / std::sqrt(var[i] + attrs.epsilon);
      add[i] = static_cast<double>(ptr<U>(offset)[i]) - mean[i] * mul[i];
    }
    normalize(xp, rows, c, mul, add, mut<T>(ctx.output(0)));
  }

  // batch_mean / batch_variance: the batch's (unbiased variance), averaged into the running
  // statistics by exponential_avg_factor; in inference the given statistics.
  U *out_mean = mut<U>(ctx.output(1)), *out_var = mut<U>(ctx.output(2));
  U *saved_mean = mut<U>(ctx.output(3)), *saved_var = mut<U>(ctx.output(4));
  const double f = attrs.exponential_avg_factor;
  const double bessel = bessel_correction(rows);
  for (std::size_t i = 0; i < cs; ++i) {
    saved_mean[i] = static_cast<U>(mean[i]);
    saved_var[i] = static_cast<U>(var[i]);
    if (!attrs.is_training) {
      out_mean[i] = static_cast<U>(mean[i]);
      out_var[i] = static_cast<U>(var[i]);
    } else {
      const bool averaged = f != 1.0;  // else the running inputs are empty
      const double running_mean = averaged ? static_cast<double>(ptr<U>(old_mean)[i]) : 0.0;
      const double running_var = averaged ? static_cast<double>(ptr<U>(old_var)[i]) : 0.0;
      out_mean[i] = static_cast<U>(running_average(running_mean, mean[i], f));
      out_var[i] = static_cast<U>(running_average(running_var, var[i] * bessel, f));
    }
  }
}

// Training: dx = scale * inv_std * (dy - mean(dy) - x_hat * mean(dy * x_hat)); inference
// (statistics are constants): dx = dy * scale * inv_std. Both: d_scale = sum(dy * x_hat),
// d_offset = sum(dy).
template <typename T, typename U> void fused_batch_norm_grad(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::FusedBatchNormAttrs>();
  const Tensor dy = ctx.input(0).contiguous(), x = ctx.input(1).contiguous(), scale = ctx.input(2).contiguous();
  const Tensor mean_t = ctx.input(3).contiguous(), var_t = ctx.input(4).contiguous();
  const int64_t c = x.shape().dim(-1), rows = c ? x.size() / c : 0;
  if constexpr (std::is_same_v<U, float>) {
    const BatchNormChannels ch{.scale = ptr<float>(scale), .mean = ptr<float>(mean_t), .variance = ptr<float>(var_t)};
    if (onednn_fused_batch_norm_grad(x.dtype(), rows, c, attrs.epsilon, attrs.is_training, dy.raw_data(), x.raw_data(),
                                     ch, ctx.output(0).raw_data(), mut<float>(ctx.output(1)),
                                     mut<float>(ctx.output(2))))
      return;
  }
  const auto cs = static_cast<std::size_t>(c);
  const T *xp = ptr<T>(x), *gp = ptr<T>(dy);
  std::vector<double> mean(cs), inv_std(cs);
  for (std::size_t i = 0; i < cs; ++i) {
    mean[i] = static_cast<double>(ptr<U>(mean_t)[i]);
    inv_std[i] = 1.0 / std::sqrt(static_cast<double>(ptr<U>(var_t)[i]) + attrs.epsilon);
  }
  // sums[0] = sum(dy), sums[1] = sum(dy * (x - mean)).
  const auto sums = channel_sums<double, 2>(rows, c, [&](int64_t r, const std::array<double*, 2>& acc) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const double g = static_cast<double>(gp[r * c + ch]);
      acc[0][ch] += g;
      acc[1][ch] += g * (static_cast<double>(xp[r * c + ch]) - mean[static_cast<std::size_t>(ch)]);
    }
  });
  U *d_scale = mut<U>(ctx.output(1)), *d_offset = mut<U>(ctx.output(2));
  // dx = a * dy + b * x + k per channel.
  std::vector<double> a(cs), b(cs), k(cs);
  const double n = static_cast<double>(rows);
  for (std::size_t i = 0; i < cs; ++i) {
    d_offset[i] = static_cast<U>(sums[0][i]);
    d_scale[i] = static_cast<U>(sums[1][i] * inv_std[i]);
    const double s = static_cast<double>(ptr<U>(scale)[i]) * inv_std[i];
    a[i] = s;
    b[i] = 0;
    k[i] = 0;
    if (attrs.is_training && rows > 0) {
      // x_hat * mean(dy * x_hat) = (x - mean) * inv_std^2 * sums[1] / n.
      b[i] = -s * inv_std[i] * inv_std[i] * sums[1][i] / n;
      k[i] = -s * sums[0][i] / n - b[i] * mean[i];
    }
  }
  T* dx = mut<T>(ctx.output(0));
  parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, c)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r)
      for (int64_t ch = 0; ch < c; ++ch) {
        const auto i = static_cast<std::size_t>(ch);
        const double v = a[i] * static_cast<double>(gp[r * c + ch]) + b[i] * static_cast<double>(xp[r * c + ch]) + k[i];
        dx[r * c + ch] = T(static_cast<compute_t<T>>(v));
      }
  });
}

template <template <typename, typename> class Kernel> void by_dtype(KernelContext& ctx) {
  // Input 0 (x, or y_backprop) has x's dtype; the per-channel vectors are float64 only for float64.
  visit_floating(ctx.input(0).dtype(), ctx.op.name, [&]<typename T>() {
    if constexpr (std::is_same_v<T, double>)
      Kernel<double, double>::run(ctx);
    else
      Kernel<T, float>::run(ctx);
  });
}
template <typename T, typename U> struct Forward {
  static void run(KernelContext& ctx) { fused_batch_norm<T, U>(ctx); }
};
template <typename T, typename U> struct Backward {
  static void run(KernelContext& ctx) { fused_batch_norm_grad<T, U>(ctx); }
};

}  // namespace

void register_batch_norm_kernels() {
  register_kernel(ops::FusedBatchNormV3, DeviceType::kCPU, by_dtype<Forward>);
  register_kernel(ops::FusedBatchNormGradV3, DeviceType::kCPU, by_dtype<Backward>);
}

}  // namespace tapeflow::kernels::cpu
