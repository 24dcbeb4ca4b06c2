// CPU kernels of MaxPool, AvgPool and their gradients (MaxPoolGrad, MaxPoolGradGrad,
// AvgPoolGrad) over NHWC. float32/bfloat16 run on oneDNN where the build has it
// (onednn_pooling.h; not MaxPoolGradGrad); the own kernels below are the fallback: each window
// is walked pixel by pixel with the channels as the contiguous inner loop. Ties in a max window go to its first maximum
// in row-major order, as TF's CPU kernels. float16/bfloat16 compute in float.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "tapeflow/core/ops/conv.h"
#include "tapeflow/core/ops/pooling.h"
#include "tapeflow/kernels/cpu/compute_buffer.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/onednn_pooling.h"
#include "tapeflow/kernels/cpu/parallel.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/pooling_window.h"

namespace tapeflow::kernels::cpu {
namespace {
using ops::Window2D;

int64_t image_size(const Window2D& w) { return w.in_h * w.in_w * w.channels; }
int64_t pooled_size(const Window2D& w) { return w.out_h * w.out_w * w.channels; }
/// Grain (in rows of output pixels) so that a thread gets at least kParallelGrain element reads.
int64_t row_grain(const Window2D& w) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, w.out_w * w.channels * w.k_h * w.k_w));
}
int64_t image_grain(const Window2D& w) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, pooled_size(w) * w.k_h * w.k_w));
}

/// An input pixel's index within its image, as wide as T so that the argmax loop below
/// vectorizes (lanes of equal width); pool_window's caller checks that it fits.
template <typename T> using PixelIndex = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;

/// Folds input pixel `pix` (values p) into the running maxima of one window: strictly greater
/// wins, so ties keep the first maximum. Branch-free, so the channel loop vectorizes.
template <typename T, typename I>
void update_argmax(const T* __restrict p, I pix, int64_t c, T* __restrict best, I* __restrict arg) {
  for (int64_t ch = 0; ch < c; ++ch) {
    const T v = p[ch], b = best[ch];
    const I mask = -static_cast<I>(v > b);  // all ones where v wins (bit arithmetic, so no branch)
    best[ch] = v > b ? v : b;
    arg[ch] = (pix & mask) | (arg[ch] & ~mask);
  }
}

/// Calls f(oh, ow, arg) for every output pixel of one image, arg[c] being the input pixel
/// (ih * in_w + iw) of the first maximum of channel c's window.
template <typename T, typename F> void for_each_argmax(const Window2D& w, const T* image, F&& f) {
  using I = PixelIndex<T>;
  const int64_t c = w.channels;
  std::vector<T> best(static_cast<std::size_t>(c));
  std::vector<I> arg(static_cast<std::size_t>(c));
  for (int64_t oh = 0; oh < w.out_h; ++oh)
    for (int64_t ow = 0; ow < w.out_w; ++ow) {
      const Span2D s = window_span(w, oh, ow);
      std::fill(best.begin(), best.end(), -std::numeric_limits<T>::infinity());
      std::fill(arg.begin(), arg.end(), static_cast<I>(s.h0 * w.in_w + s.w0));
      for (int64_t ih = s.h0; ih < s.h1; ++ih)
        for (int64_t iw = s.w0; iw < s.w1; ++iw) {
          const int64_t pix = ih * w.in_w + iw;
          update_argmax(image + pix * c, static_cast<I>(pix), c, best.data(), arg.data());
        }
      f(oh, ow, static_cast<const I*>(arg.data()));
    }
}

template <typename T> void max_pool(const Window2D& w, const T* x, T* y) {
  const int64_t c = w.channels;
  parallel_for(w.batch * w.out_h, row_grain(w), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t n = r / w.out_h, oh = r % w.out_h;
      const T* image = x + n * image_size(w);
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        const Span2D s = window_span(w, oh, ow);
        T* out = y + (r * w.out_w + ow) * c;
        std::fill(out, out + c, -std::numeric_limits<T>::infinity());
        for (int64_t ih = s.h0; ih < s.h1; ++ih)
          for (int64_t iw = s.w0; iw < s.w1; ++iw) {
            const T* p = image + (ih * w.in_w + iw) * c;
            for (int64_t ch = 0; ch < c; ++ch) out[ch] = p[ch] > out[ch] ? p[ch] : out[ch];
          }
      }
    }
  });
}

// dx[first max of each window] += grad; windows overlap within an image, so threads split images.
template <typename T> void max_pool_grad(const Window2D& w, const T* x, const T* grad, T* dx) {
  const int64_t c = w.channels;
  std::fill(dx, dx + w.batch * image_size(w), T(0));
  parallel_for(w.batch, image_grain(w), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      T* dxi = dx + n * image_size(w);
      const T* g = grad + n * pooled_size(w);
      for_each_argmax(w, x + n * image_size(w), [&](int64_t oh, int64_t ow, const auto* arg) {
        const T* go = g + (oh * w.out_w + ow) * c;
        for (int64_t ch = 0; ch < c; ++ch) dxi[arg[ch] * c + ch] += go[ch];
      });
    }
  });
}

// Note [MaxPoolGrad of disjoint windows in one pass]
// When windows do not overlap (stride >= window in both dims: the usual 2x2 pool with stride 2),
// every input pixel lies in at most one window, so dx is written exactly once: grad at each
// window's first maximum and 0 at its other pixels, found from the window's values in two reads
// of them (the maximum, then the first pixel equal to it), all from cache. No zero-fill pass and
// no scatter: one read of x and grad, one write of dx, which is what PyTorch's backward from saved
// indices costs, and less than oneDNN's (the forward again for its workspace, then the backward).
// The maximum is the strict-greater chain of max_pool_grad (NaN never wins; a window of -inf and
// NaN routes to its first pixel), and the first pixel equal to it is the one that chain picks:
// results are bit-identical to max_pool_grad. Pixels no window covers (VALID's leftover rows,
// strides larger than the window) are zero-filled first.

/// Windows that do not overlap, and whether together they cover every input pixel.
bool disjoint_windows(const Window2D& w) { return w.stride_h >= w.k_h && w.stride_w >= w.k_w; }
bool windows_cover_input(const Window2D& w) {
  if (w.stride_h != w.k_h || w.stride_w != w.k_w || w.out_h == 0 || w.out_w == 0) return false;
  const Span2D first = window_span(w, 0, 0), last = window_span(w, w.out_h - 1, w.out_w - 1);
  return first.h0 == 0 && first.w0 == 0 && last.h1 == w.in_h && last.w1 == w.in_w;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"  // 32-byte vectors only inside inlined bodies (softmax.cpp)
#endif
typedef float f32x8 __attribute__((vector_size(32)));
typedef int32_t i32x8 __attribute__((vector_size(32)));
TF_ALWAYS_INLINE f32x8 load8(const float* p) {
  f32x8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// One window, channels [0, c): dx at its pixels (pix[0, m), row-major) from x and grad g.
template <typename T>
TF_ALWAYS_INLINE void disjoint_window_grad(const T* x, const T* g, T* dx, const int64_t* pix, int64_t m, int64_t c) {
  constexpr T kLow = -std::numeric_limits<T>::infinity();
  int64_t ch = 0;
  if constexpr (std::is_same_v<T, float>) {
    for (; ch + 8 <= c; ch += 8) {
      const f32x8 low = f32x8{} + kLow;
      f32x8 best = low;
      for (int64_t k = 0; k < m; ++k) {
        const f32x8 v = load8(x + pix[k] * c + ch);
        best = v > best ? v : best;
      }
      const f32x8 gv = load8(g + ch), zero{};
      i32x8 taken = best == low;  // nothing beat -inf: the first pixel takes the gradient
      for (int64_t k = 0; k < m; ++k) {
        const i32x8 eq = load8(x + pix[k] * c + ch) == best;
        const i32x8 hit = k == 0 ? (eq | taken) : (eq & ~taken);
        taken |= hit;
        const f32x8 out = hit ? gv : zero;
        std::memcpy(dx + pix[k] * c + ch, &out, sizeof out);
      }
    }
  }
  for (; ch < c; ++ch) {
    T best = kLow;
    for (int64_t k = 0; k < m; ++k) best = x[pix[k] * c + ch] > best ? x[pix[k] * c + ch] : best;
    bool taken = best == kLow;
    for (int64_t k = 0; k < m; ++k) {
      const bool eq = x[pix[k] * c + ch] == best, hit = k == 0 ? (eq || taken) : (eq && !taken);
      taken = taken || hit;
      dx[pix[k] * c + ch] = hit ? g[ch] : T(0);
    }
  }
}

/// The windows of output row r (image r / out_h) into dx; pix holds k_h * k_w indices.
template <typename T>
TF_ALWAYS_INLINE void disjoint_row_grad(const Window2D& w, const T* x, const T* grad, T* dx, int64_t r, int64_t* pix) {
  const int64_t c = w.channels, n = r / w.out_h, oh = r % w.out_h;
  const T* xi = x + n * image_size(w);
  T* dxi = dx + n * image_size(w);
  for (int64_t ow = 0; ow < w.out_w; ++ow) {
    const Span2D s = window_span(w, oh, ow);
    int64_t m = 0;
    for (int64_t ih = s.h0; ih < s.h1; ++ih)
      for (int64_t iw = s.w0; iw < s.w1; ++iw) pix[m++] = ih * w.in_w + iw;
    if (m > 0) disjoint_window_grad(xi, grad + (r * w.out_w + ow) * c, dxi, pix, m, c);
  }
}
template <typename T>
TF_TARGET_AVX2 void disjoint_row_grad_avx2(const Window2D& w, const T* x, const T* g, T* dx, int64_t r, int64_t* pix) {
  disjoint_row_grad(w, x, g, dx, r, pix);
}
template <typename T>
void disjoint_row_grad_base(const Window2D& w, const T* x, const T* g, T* dx, int64_t r, int64_t* pix) {
  disjoint_row_grad(w, x, g, dx, r, pix);
}

template <typename T> void max_pool_grad_disjoint(const Window2D& w, const T* x, const T* grad, T* dx) {
  if (!windows_cover_input(w)) std::fill(dx, dx + w.batch * image_size(w), T(0));
  const bool avx2 = cpu_has_avx2();
  // Tasks are rows of windows: they write disjoint input rows.
  parallel_for(w.batch * w.out_h, row_grain(w), [&](int64_t b, int64_t e) {
    std::vector<int64_t> pix(static_cast<std::size_t>(w.k_h * w.k_w));
    for (int64_t r = b; r < e; ++r) {
      if (avx2)
        disjoint_row_grad_avx2(w, x, grad, dx, r, pix.data());
      else
        disjoint_row_grad_base(w, x, grad, dx, r, pix.data());
    }
  });
}

// out[window] = grad[first max of the window]: the gradient of MaxPoolGrad with respect to grad.
template <typename T> void max_pool_grad_grad(const Window2D& w, const T* x, const T* grad, T* out) {
  const int64_t c = w.channels;
  parallel_for(w.batch, image_grain(w), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      const T* g = grad + n * image_size(w);
      T* o = out + n * pooled_size(w);
      for_each_argmax(w, x + n * image_size(w), [&](int64_t oh, int64_t ow, const auto* arg) {
        T* oo = o + (oh * w.out_w + ow) * c;
        for (int64_t ch = 0; ch < c; ++ch) oo[ch] = g[arg[ch] * c + ch];
      });
    }
  });
}

template <typename T> void avg_pool(const Window2D& w, const T* x, T* y) {
  const int64_t c = w.channels;
  parallel_for(w.batch * w.out_h, row_grain(w), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t n = r / w.out_h, oh = r % w.out_h;
      const T* image = x + n * image_size(w);
      for (int64_t ow = 0; ow < w.out_w; ++ow) {
        const Span2D s = window_span(w, oh, ow);
        T* out = y + (r * w.out_w + ow) * c;
        std::fill(out, out + c, T(0));
        for (int64_t ih = s.h0; ih < s.h1; ++ih)
          for (int64_t iw = s.w0; iw < s.w1; ++iw) {
            const T* p = image + (ih * w.in_w + iw) * c;
            for (int64_t ch = 0; ch < c; ++ch) out[ch] += p[ch];
          }
        const T inv = T(1) / static_cast<T>(s.count());  // only the elements inside the input
        for (int64_t ch = 0; ch < c; ++ch) out[ch] *= inv;
      }
    }
  });
}

template <typename T> void avg_pool_grad(const Window2D& w, const T* grad, T* dx) {
  const int64_t c = w.channels;
  std::fill(dx, dx + w.batch * image_size(w), T(0));
  parallel_for(w.batch, image_grain(w), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      T* dxi = dx + n * image_size(w);
      for (int64_t oh = 0; oh < w.out_h; ++oh)
        for (int64_t ow = 0; ow < w.out_w; ++ow) {
          const Span2D s = window_span(w, oh, ow);
          const T* g = grad + ((n * w.out_h + oh) * w.out_w + ow) * c;
          const T inv = T(1) / static_cast<T>(s.count());
          for (int64_t ih = s.h0; ih < s.h1; ++ih)
            for (int64_t iw = s.w0; iw < s.w1; ++iw) {
              T* p = dxi + (ih * w.in_w + iw) * c;
              for (int64_t ch = 0; ch < c; ++ch) p[ch] += g[ch] * inv;
            }
        }
    }
  });
}

const ops::PoolAttrs& pool_attrs(KernelContext& ctx) { return ctx.attr<ops::PoolAttrs>(); }

void max_pool_kernel(KernelContext& ctx) {
  const Tensor x = ctx.input(0).contiguous();
  const Window2D w = ops::pool_window(x.shape(), pool_attrs(ctx));
  // The forward keeps oneDNN's argmax for a gradient (Note [MaxPoolGrad from the forward's
  // workspace]); a temporary contiguous copy of x could never be matched again.
  if (x.storage() == ctx.input(0).storage() && onednn_max_pool_remembering(w, x, ctx.output(0))) return;
  if (onednn_max_pool(w, x.dtype(), x.raw_data(), ctx.output(0).raw_data())) return;
  visit_floating(x.dtype(), ctx.op.name, [&]<typename T>() {
    with_compute_pointers<T, 1, 1>({&x}, {&ctx.output(0)}, [&](auto in, auto out) { max_pool(w, in[0], out[0]); });
  });
}

// Inputs orig_input, orig_output, grad; the maxima are found again from orig_input, as TF's CPU kernel.
template <bool kGradGrad> void max_pool_grad_kernel(KernelContext& ctx) {
  const Tensor x = ctx.input(0).contiguous(), g = ctx.input(2).contiguous();
  const Window2D w = ops::pool_window(x.shape(), pool_attrs(ctx));
  TF_CHECK_TYPED(w.in_h * w.in_w <= INT32_MAX, UnimplementedError, ctx.op.name, "images of ", w.in_h, "x", w.in_w,
                 " pixels are too large (at most 2^31 - 1 pixels)");
  if (!kGradGrad &&
      (onednn_max_pool_grad_remembered(w, ctx.input(0), ctx.input(1), g.raw_data(), ctx.output(0).raw_data()) ||
       onednn_max_pool_grad(w, x.dtype(), x.raw_data(), g.raw_data(), ctx.output(0).raw_data())))
    return;
  visit_floating(x.dtype(), ctx.op.name, [&]<typename T>() {
    with_compute_pointers<T, 2, 1>({&x, &g}, {&ctx.output(0)}, [&](auto in, auto out) {
      if constexpr (kGradGrad)
        max_pool_grad_grad(w, in[0], in[1], out[0]);
      else if (disjoint_windows(w))
        max_pool_grad_disjoint(w, in[0], in[1], out[0]);
      else
        max_pool_grad(w, in[0], in[1], out[0]);
    });
  });
}

void avg_pool_kernel(KernelContext& ctx) {
  const Tensor x = ctx.input(0).contiguous();
  const Window2D w = ops::pool_window(x.shape(), pool_attrs(ctx));
  if (onednn_avg_pool(w, x.dtype(), x.raw_data(), ctx.output(0).raw_data())) return;
  visit_floating(x.dtype(), ctx.op.name, [&]<typename T>() {
    with_compute_pointers<T, 1, 1>({&x}, {&ctx.output(0)}, [&](auto in, auto out) { avg_pool(w, in[0], out[0]); });
  });
}

void avg_pool_grad_kernel(KernelContext& ctx) {
  const Tensor g = ctx.input(0).contiguous();
  const Window2D w = ops::pool_window(pool_attrs(ctx).sizes, pool_attrs(ctx));
  if (onednn_avg_pool_grad(w, g.dtype(), g.raw_data(), ctx.output(0).raw_data())) return;
  visit_floating(g.dtype(), ctx.op.name, [&]<typename T>() {
    with_compute_pointers<T, 1, 1>({&g}, {&ctx.output(0)}, [&](auto in, auto out) { avg_pool_grad(w, in[0], out[0]); });
  });
}

}  // namespace

void register_pooling_kernels() {
  const DeviceType cpu = DeviceType::kCPU;
  register_kernel(ops::MaxPool, cpu, max_pool_kernel);
  register_kernel(ops::MaxPoolGrad, cpu, max_pool_grad_kernel<false>);
  register_kernel(ops::MaxPoolGradGrad, cpu, max_pool_grad_kernel<true>);
  register_kernel(ops::AvgPool, cpu, avg_pool_kernel);
  register_kernel(ops::AvgPoolGrad, cpu, avg_pool_grad_kernel);
}

}  // namespace tapeflow::kernels::cpu
