// CPU kernels of Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter over NHWC input and
// HWIO filters. float32/bfloat16 run on oneDNN where the build has it (onednn_conv.h); the
// own kernels below are the fallback and what float64/float16 use: im2col of a chunk of images,
// then one BLAS gemm per chunk; a 1x1, stride-1, unpadded convolution is a gemm on the input
// itself. The input gradient is a gemm, then col2im. float16/bfloat16 compute in float.
#include <cblas.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <vector>

#include "tapeflow/core/ops/conv.h"
#include "tapeflow/kernels/cpu/compute_buffer.h"
#include "tapeflow/kernels/cpu/onednn_conv.h"
#include "tapeflow/kernels/cpu/parallel.h"
#include "tapeflow/kernels/cpu/registration.h"

namespace tapeflow::kernels::cpu {
namespace {
using ops::Window2D;

/// Elements of the im2col buffer per chunk of images (16 MB of floats): large enough that each
/// gemm keeps OpenBLAS's threads busy, small enough not to double a step's memory.
constexpr int64_t kColumnBudget = int64_t{1} << 22;

/// C (m, n) = alpha * op(A) op(B) + beta * C, row-major (T = float or double).
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
          float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), 1.0f, a, static_cast<blasint>(lda), b,
              static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b, int64_t ldb,
          double beta, double* c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, static_cast<blasint>(m),
              static_cast<blasint>(n), static_cast<blasint>(k), 1.0, a, static_cast<blasint>(lda), b,
              static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

int64_t patch_size(const Window2D& w) { return w.k_h * w.k_w * w.channels; }
int64_t out_pixels(const Window2D& w) { return w.out_h * w.out_w; }
/// A 1x1, stride-1, unpadded window: the input's pixels are already the im2col rows.
bool is_pointwise(const Window2D& w) {
  return w.k_h == 1 && w.k_w == 1 && w.stride_h == 1 && w.stride_w == 1 && w.pad_top == 0 && w.pad_left == 0;
}
/// Images per im2col chunk.
int64_t chunk_images(const Window2D& w) {
  const int64_t per_image = std::max<int64_t>(1, out_pixels(w) * patch_size(w));
  return std::clamp<int64_t>(kColumnBudget / per_image, 1, std::max<int64_t>(1, w.batch));
}
void check_blas_size(const char* op, std::initializer_list<int64_t> dims) {
  for (int64_t v : dims)
    TF_CHECK_TYPED(v <= INT_MAX, UnimplementedError, op, "matrix dimension ", v,
                   " exceeds what 32-bit BLAS indices can address");
}

/// An uninitialized buffer of n elements (every element is written before it is read).
template <typename T> std::unique_ptr<T[]> scratch(int64_t n) {
  return std::unique_ptr<T[]>(new T[static_cast<std::size_t>(n)]);
}

/// Writes the windows of images [n0, n1) as rows of `col`: row (n, oh, ow) holds the window's
/// elements in (kh, kw, c) order, the filter's HWIO flattening; padding reads as zero.
template <typename T> void im2col(const Window2D& w, const T* x, int64_t n0, int64_t n1, T* col) {
  const int64_t k = patch_size(w), c = w.channels, rows = (n1 - n0) * out_pixels(w);
  const int64_t row_len = w.k_w * c;  // one window row in col
  parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, k)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t ow = r % w.out_w, t = r / w.out_w, oh = t % w.out_h, n = n0 + t / w.out_h;
      const int64_t iw0 = ow * w.stride_w - w.pad_left;
      // Window columns j in [j0, j1) lie inside the input.
      const int64_t j0 = std::min(w.k_w, std::max<int64_t>(0, (-iw0 + w.dilation_w - 1) / w.dilation_w));
      const int64_t j1 = std::max(j0, std::min(w.k_w, (w.in_w - iw0 + w.dilation_w - 1) / w.dilation_w));
      T* dst = col + r * k;
      for (int64_t i = 0; i < w.k_h; ++i, dst += row_len) {
        const int64_t ih = oh * w.stride_h - w.pad_top + i * w.dilation_h;
        if (ih < 0 || ih >= w.in_h || j0 == j1) {
          std::fill(dst, dst + row_len, T(0));
          continue;
        }
        const T* row = x + (n * w.in_h + ih) * w.in_w * c;
        std::fill(dst, dst + j0 * c, T(0));
        if (w.dilation_w == 1) {  // the window's row is contiguous in the input
          std::copy(row + (iw0 + j0) * c, row + (iw0 + j1) * c, dst + j0 * c);
        } else {
          for (int64_t j = j0; j < j1; ++j) {
            const T* src = row + (iw0 + j * w.dilation_w) * c;
            std::copy(src, src + c, dst + j * c);
          }
        }
        std::fill(dst + j1 * c, dst + row_len, T(0));
      }
    }
  });
}

/// The transpose of im2col: adds each row of `col` onto the input pixels it was read from, for
/// images [n0, n1) of dx (zeroed here). Images are independent, so they are split across threads.
template <typename T> void col2im(const Window2D& w, const T* col, int64_t n0, int64_t n1, T* dx) {
  const int64_t k = patch_size(w), c = w.channels, image = w.in_h * w.in_w * c;
  std::fill(dx + n0 * image, dx + n1 * image, T(0));
  const int64_t per_image = std::max<int64_t>(1, out_pixels(w) * k);
  parallel_for(n1 - n0, std::max<int64_t>(1, kParallelGrain / per_image), [&](int64_t b, int64_t e) {
    for (int64_t n = n0 + b; n < n0 + e; ++n) {
      const T* src = col + (n - n0) * out_pixels(w) * k;
      for (int64_t oh = 0; oh < w.out_h; ++oh)
        for (int64_t ow = 0; ow < w.out_w; ++ow)
          for (int64_t i = 0; i < w.k_h; ++i) {
            const int64_t ih = oh * w.stride_h - w.pad_top + i * w.dilation_h;
            if (ih < 0 || ih >= w.in_h) {
              src += w.k_w * c;
              continue;
            }
            T* row = dx + (n * w.in_h + ih) * w.in_w * c;
            for (int64_t j = 0; j < w.k_w; ++j, src += c) {
              const int64_t iw = ow * w.stride_w - w.pad_left + j * w.dilation_w;
              if (iw < 0 || iw >= w.in_w) continue;
              T* dst = row + iw * c;
              for (int64_t ch = 0; ch < c; ++ch) dst[ch] += src[ch];
            }
          }
    }
  });
}

// y (N*OH*OW, O) = im2col(x) (N*OH*OW, K) @ f (K, O).
template <typename T> void conv2d_forward(const Window2D& w, const T* x, const T* f, T* y) {
  const int64_t k = patch_size(w), o = w.out_channels, pix = out_pixels(w);
  if (w.batch * pix * o == 0) return;
  if (k == 0) {
    std::fill(y, y + w.batch * pix * o, T(0));
    return;
  }
  if (is_pointwise(w)) {
    check_blas_size("Conv2D", {w.batch * pix, o, k});
    gemm(false, false, w.batch * pix, o, k, x, k, f, o, T(0), y, o);
    return;
  }
  const int64_t chunk = chunk_images(w);
  check_blas_size("Conv2D", {chunk * pix, o, k});
  const auto col = scratch<T>(chunk * pix * k);
  for (int64_t n0 = 0; n0 < w.batch; n0 += chunk) {
    const int64_t n1 = std::min(w.batch, n0 + chunk);
    im2col(w, x, n0, n1, col.get());
    gemm(false, false, (n1 - n0) * pix, o, k, col.get(), k, f, o, T(0), y + n0 * pix * o, o);
  }
}

// dx = col2im(dy (N*OH*OW, O) @ f^T (O, K)).
template <typename T> void conv2d_backprop_input(const Window2D& w, const T* f, const T* dy, T* dx) {
  const int64_t k = patch_size(w), o = w.out_channels, pix = out_pixels(w);
  const int64_t image = w.in_h * w.in_w * w.channels;
  if (w.batch * image == 0) return;
  if (pix * o == 0 || k == 0) {
    std::fill(dx, dx + w.batch * image, T(0));
    return;
  }
  if (is_pointwise(w)) {
    check_blas_size("Conv2DBackpropInput", {w.batch * pix, o, k});
    gemm(false, true, w.batch * pix, k, o, dy, o, f, o, T(0), dx, k);
    return;
  }
  const int64_t chunk = chunk_images(w);
  check_blas_size("Conv2DBackpropInput", {chunk * pix, o, k});
  const auto col = scratch<T>(chunk * pix * k);
  for (int64_t n0 = 0; n0 < w.batch; n0 += chunk) {
    const int64_t n1 = std::min(w.batch, n0 + chunk);
    gemm(false, true, (n1 - n0) * pix, k, o, dy + n0 * pix * o, o, f, o, T(0), col.get(), k);
    col2im(w, col.get(), n0, n1, dx);
  }
}

// df (K, O) = sum over chunks of im2col(x)^T (K, rows) @ dy (rows, O).
template <typename T> void conv2d_backprop_filter(const Window2D& w, const T* x, const T* dy, T* df) {
  const int64_t k = patch_size(w), o = w.out_channels, pix = out_pixels(w);
  if (k * o == 0) return;
  if (w.batch * pix == 0) {
    std::fill(df, df + k * o, T(0));
    return;
  }
  if (is_pointwise(w)) {
    check_blas_size("Conv2DBackpropFilter", {w.batch * pix, o, k});
    gemm(true, false, k, o, w.batch * pix, x, k, dy, o, T(0), df, o);
    return;
  }
  const int64_t chunk = chunk_images(w);
  check_blas_size("Conv2DBackpropFilter", {chunk * pix, o, k});
  const auto col = scratch<T>(chunk * pix * k);
  for (int64_t n0 = 0; n0 < w.batch; n0 += chunk) {
    const int64_t n1 = std::min(w.batch, n0 + chunk);
    im2col(w, x, n0, n1, col.get());
    gemm(true, false, k, o, (n1 - n0) * pix, col.get(), k, dy + n0 * pix * o, o, n0 == 0 ? T(0) : T(1), df, o);
  }
}

void conv2d_kernel(KernelContext& ctx) {
  const Tensor x = ctx.input(0).contiguous(), f = ctx.input(1).contiguous();
  const Window2D w = ops::conv2d_window(x.shape(), f.shape(), ctx.attr<ops::Conv2DAttrs>());
  if (onednn_conv2d(w, x.dtype(), x.raw_data(), f.raw_data(), ctx.output(0).raw_data())) return;
  visit_floating(x.dtype(), ctx.op.name, [&]<typename T>() {
    with_compute_pointers<T, 2, 1>({&x, &f}, {&ctx.output(0)},
                                   [&](auto in, auto out) { conv2d_forward(w, in[0], in[1], out[0]); });
  });
}

void conv2d_backprop_input_kernel(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::Conv2DAttrs>();
  const Tensor f = ctx.input(0).contiguous(), dy = ctx.input(1).contiguous();
  const Window2D w = ops::conv2d_window(attrs.sizes, f.shape(), attrs);
  if (onednn_conv2d_backprop_input(w, f.dtype(), f.raw_data(), dy.raw_data(), ctx.output(0).raw_data())) return;
  visit_floating(f.dtype(), ctx.op.name, [&]<typename T>() {
    with_compute_pointers<T, 2, 1>({&f, &dy}, {&ctx.output(0)},
                                   [&](auto in, auto out) { conv2d_backprop_input(w, in[0], in[1], out[0]); });
  });
}

void conv2d_backprop_filter_kernel(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::Conv2DAttrs>();
  const Tensor x = ctx.input(0).contiguous(), dy = ctx.input(1).contiguous();
  const Window2D w = ops::conv2d_window(x.shape(), attrs.sizes, attrs);
  if (onednn_conv2d_backprop_filter(w, x.dtype(), x.raw_data(), dy.raw_data(), ctx.output(0).raw_data())) return;
  visit_floating(x.dtype(), ctx.op.name, [&]<typename T>() {
    with_compute_pointers<T, 2, 1>({&x, &dy}, {&ctx.output(0)},
                                   [&](auto in, auto out) { conv2d_backprop_filter(w, in[0], in[1], out[0]); });
  });
}

}  // namespace

void register_conv_kernels() {
  register_kernel(ops::Conv2D, DeviceType::kCPU, conv2d_kernel);
  register_kernel(ops::Conv2DBackpropInput, DeviceType::kCPU, conv2d_backprop_input_kernel);
  register_kernel(ops::Conv2DBackpropFilter, DeviceType::kCPU, conv2d_backprop_filter_kernel);
}

}  // namespace tapeflow::kernels::cpu
