// CPU kernels of _CudnnRNN and _CudnnRNNGrad: the reference implementation of the fused
// recurrent op (float32/float64). The input projection of every step is one GEMM before the loop
// (and dx, dkernel one GEMM each after the backward loop); each step is one GEMM by the recurrent
// kernel and the gates, row by row. A row past its sequence length keeps its states and writes
// no output (zeros), and contributes nothing to the weights' gradients.
// The reserve (x's dtype) holds, per processed step k: the gates after their activations
// (B, G * U), for GRU the recurrent term of the candidate (h R_h + b_rh, (B, U)); then the states
// before each step and after the last: h (T + 1, B, U) and, for LSTM, c (T + 1, B, U).
#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "tapeflow/core/ops/rnn.h"
#include "tapeflow/kernels/cpu/parallel.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cpu {
namespace {

void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, ta, tb, blasint(m), blasint(n), blasint(k), 1.0f, a, blasint(lda), b, blasint(ldb), beta,
              c, blasint(ldc));
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  cblas_dgemm(CblasRowMajor, ta, tb, blasint(m), blasint(n), blasint(k), 1.0, a, blasint(lda), b, blasint(ldb), beta,
              c, blasint(ldc));
}

/// The sizes of one call and where each part of the reserve lives (in elements).
struct RnnLayout {
  int64_t B, T, D, U, G;
  ops::RnnMode mode;
  bool backwards;
  RnnLayout(const KernelContext& ctx)  // NOLINT(google-explicit-constructor)
      : B(ctx.input(ops::kRnnX).shape()[0]),
        T(ctx.input(ops::kRnnX).shape()[1]),
        D(ctx.input(ops::kRnnX).shape()[2]),
        U(ctx.input(ops::kRnnH0).shape()[1]),
        G(ops::rnn_gates(ctx.attr<ops::CudnnRNNAttrs>().rnn_mode)),
        mode(ctx.attr<ops::CudnnRNNAttrs>().rnn_mode),
        backwards(ctx.attr<ops::CudnnRNNAttrs>().go_backwards) {}
  int64_t n() const { return G * U; }
  int64_t gates(int64_t k) const { return k * B * n(); }
  int64_t extra(int64_t k) const { return T * B * n() + k * B * U; }
  int64_t h(int64_t k) const { return T * B * n() + (mode == ops::RnnMode::kGru ? T * B * U : 0) + k * B * U; }
  int64_t c(int64_t k) const { return h(T + 1) + k * B * U; }
  int64_t reserve_size() const { return mode == ops::RnnMode::kLstm ? c(T + 1) : h(T + 1); }
  /// Where processed step k of a row of length len reads x, and where its output goes.
  int64_t input_step(int64_t k, int64_t len) const { return backwards ? len - 1 - k : k; }
  int64_t output_step(int64_t k, int64_t len) const { return backwards ? k + T - len : k; }
};

/// Each row's sequence length (T without lengths), checked to lie in [0, T].
std::vector<int64_t> row_lengths(const KernelContext& ctx, const RnnLayout& l) {
  const Tensor& t = ctx.input(ops::kRnnLengths);
  std::vector<int64_t> out(static_cast<std::size_t>(l.B), l.T);
  if (t.size() == 0) return out;
  const std::vector<int32_t> v = t.contiguous().to_vector<int32_t>();
  for (int64_t b = 0; b < l.B; ++b) {
    const int64_t len = v[static_cast<std::size_t>(b)];
    TF_CHECK_ARG(len >= 0 && len <= l.T, ctx.op.name, "sequence_lengths[", b, "] = ", len, " is not in [0, ", l.T,
                 "] (timesteps)");
    out[static_cast<std::size_t>(b)] = len;
  }
  return out;
}

template <typename T> const T* in(const KernelContext& ctx, std::size_t i, std::vector<Tensor>& keep) {
  keep.push_back(ctx.input(i).contiguous());
  return static_cast<const T*>(keep.back().raw_data());
}
template <typename T> T* data(Tensor& t) { return static_cast<T*>(t.raw_data()); }

template <typename T> void rnn_forward(KernelContext& ctx) {
  const RnnLayout l(ctx);
  const std::vector<int64_t> len = row_lengths(ctx, l);
  std::vector<Tensor> keep;
  const T *x = in<T>(ctx, ops::kRnnX, keep), *h0 = in<T>(ctx, ops::kRnnH0, keep), *c0 = in<T>(ctx, ops::kRnnC0, keep);
  const T *kernel = in<T>(ctx, ops::kRnnKernel, keep), *rk = in<T>(ctx, ops::kRnnRecurrent, keep);
  const T* bias = in<T>(ctx, ops::kRnnBias, keep);
  const DType dt = ctx.input(ops::kRnnX).dtype();
  for (int i = 0; i < 3; ++i) ctx.outputs.push_back(Tensor::empty(ctx.specs[i].shape, dt, ctx.device));
  ctx.outputs.push_back(Tensor::empty(Shape{l.reserve_size()}, dt, ctx.device));
  T *y = data<T>(ctx.output(0)), *res = data<T>(ctx.output(3));
  const int64_t n = l.n(), U = l.U;
  std::fill(y, y + l.B * l.T * U, T(0));
  std::fill(res, res + l.reserve_size(), T(0));
  // xw (B * T, G * U) = x kernel + the input bias.
  std::vector<T> xw(static_cast<std::size_t>(l.B * l.T * n));
  gemm(CblasNoTrans, CblasNoTrans, l.B * l.T, n, l.D, x, l.D, kernel, n, T(0), xw.data(), n);
  for (int64_t r = 0; r < l.B * l.T; ++r)
    for (int64_t j = 0; j < n; ++j) xw[static_cast<std::size_t>(r * n + j)] += bias[j];
  const T* rec_bias = l.mode == ops::RnnMode::kGru ? bias + n : nullptr;
  std::copy(h0, h0 + l.B * U, res + l.h(0));
  if (l.mode == ops::RnnMode::kLstm) std::copy(c0, c0 + l.B * U, res + l.c(0));
  std::vector<T> rec(static_cast<std::size_t>(l.B * n));
  const SigmoidFn sigmoid;
  const TanhFn tanh_fn;
  for (int64_t k = 0; k < l.T; ++k) {
    const T* h_prev = res + l.h(k);
    T* h_next = res + l.h(k + 1);
    gemm(CblasNoTrans, CblasNoTrans, l.B, n, U, h_prev, U, rk, n, T(0), rec.data(), n);
    parallel_for(l.B, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, n)), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t L = len[static_cast<std::size_t>(b)];
        const T* hp = h_prev + b * U;
        T* hn = h_next + b * U;
        T* cn = l.mode == ops::RnnMode::kLstm ? res + l.c(k + 1) + b * U : nullptr;
        const T* cp = l.mode == ops::RnnMode::kLstm ? res + l.c(k) + b * U : nullptr;
        if (k >= L) {  // past the row's end: the states carry over
          std::copy(hp, hp + U, hn);
          if (cn) std::copy(cp, cp + U, cn);
          continue;
        }
        const T* xr = xw.data() + (b * l.T + l.input_step(k, L)) * n;
        const T* rr = rec.data() + b * n;
        T* g = res + l.gates(k) + b * n;
        for (int64_t u = 0; u < U; ++u) {
          if (l.mode == ops::RnnMode::kRnnTanh) {
            g[u] = hn[u] = tanh_fn(xr[u] + rr[u]);
          } else if (l.mode == ops::RnnMode::kLstm) {
            const T i = sigmoid(xr[u] + rr[u]), f = sigmoid(xr[U + u] + rr[U + u]);
            const T c = tanh_fn(xr[2 * U + u] + rr[2 * U + u]), o = sigmoid(xr[3 * U + u] + rr[3 * U + u]);
            g[u] = i, g[U + u] = f, g[2 * U + u] = c, g[3 * U + u] = o;
            cn[u] = f * cp[u] + i * c;
            hn[u] = o * tanh_fn(cn[u]);
          } else {  // GRU, reset_after: the reset gate scales the recurrent term (with its bias)
            const T rh = rr[2 * U + u] + rec_bias[2 * U + u];
            const T z = sigmoid(xr[u] + rr[u] + rec_bias[u]);
            const T r = sigmoid(xr[U + u] + rr[U + u] + rec_bias[U + u]);
            const T hh = tanh_fn(xr[2 * U + u] + r * rh);
            g[u] = z, g[U + u] = r, g[2 * U + u] = hh;
            res[l.extra(k) + b * U + u] = rh;
            hn[u] = z * hp[u] + (T(1) - z) * hh;
          }
        }
        std::copy(hn, hn + U, y + (b * l.T + l.output_step(k, L)) * U);
      }
    });
  }
  std::copy(res + l.h(l.T), res + l.h(l.T) + l.B * U, data<T>(ctx.output(1)));
  if (l.mode == ops::RnnMode::kLstm) std::copy(res + l.c(l.T), res + l.c(l.T) + l.B * U, data<T>(ctx.output(2)));
}

// Inputs x, h0, c0, kernel, recurrent_kernel, bias, sequence_lengths, output, reserve, dy, dh, dc.
template <typename T> void rnn_backward(KernelContext& ctx) {
  const RnnLayout l(ctx);
  const std::vector<int64_t> len = row_lengths(ctx, l);
  const Tensor& reserve = ctx.input(8);
  TF_CHECK_TYPED(reserve.size() == l.reserve_size(), FailedPreconditionError, ctx.op.name,
                 "the reserve (", reserve.size(), " elements) is not the CPU forward's (", l.reserve_size(),
                 "): the gradient must run on the device that ran _CudnnRNN");
  std::vector<Tensor> keep;
  const T *x = in<T>(ctx, ops::kRnnX, keep), *kernel = in<T>(ctx, ops::kRnnKernel, keep);
  const T *rk = in<T>(ctx, ops::kRnnRecurrent, keep), *res = in<T>(ctx, 8, keep);
  const T *dy = in<T>(ctx, 9, keep), *dh_in = in<T>(ctx, 10, keep), *dc_in = in<T>(ctx, 11, keep);
  const DType dt = ctx.input(ops::kRnnX).dtype();
  for (int i = 0; i < 6; ++i) ctx.outputs.push_back(Tensor::empty(ctx.specs[i].shape, dt, ctx.device));
  const int64_t n = l.n(), U = l.U, B = l.B;
  const bool lstm = l.mode == ops::RnnMode::kLstm, gru = l.mode == ops::RnnMode::kGru;
  // dxw (B * T, G * U): the gradient of each step's input projection (zero where no step ran).
  std::vector<T> dxw(static_cast<std::size_t>(B * l.T * n), T(0));
  std::vector<T> dh(dh_in, dh_in + B * U), dc(lstm ? dc_in : dh_in, (lstm ? dc_in : dh_in) + B * U);
  if (!lstm) std::fill(dc.begin(), dc.end(), T(0));
  std::vector<T> drec(static_cast<std::size_t>(B * n));  // the gradient of h_prev R (+ b_rec)
  T* dk = data<T>(ctx.output(3));
  T* drk = data<T>(ctx.output(4));
  T* dbias = data<T>(ctx.output(5));
  std::fill(drk, drk + U * n, T(0));
  std::fill(dbias, dbias + ctx.output(5).size(), T(0));
  for (int64_t k = l.T - 1; k >= 0; --k) {
    const T* h_prev = res + l.h(k);
    parallel_for(B, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, n)), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t L = len[static_cast<std::size_t>(b)];
        T* dr = drec.data() + b * n;
        if (k >= L) {  // no step ran: dh and dc pass through to the previous states
          std::fill(dr, dr + n, T(0));
          continue;
        }
        const T* g = res + l.gates(k) + b * n;
        const T* hp = h_prev + b * U;
        T* dx = dxw.data() + (b * l.T + l.input_step(k, L)) * n;
        T* dhb = dh.data() + b * U;
        T* dcb = dc.data() + b * U;
        const T* dyb = dy + (b * l.T + l.output_step(k, L)) * U;
        for (int64_t u = 0; u < U; ++u) {
          const T d = dhb[u] + dyb[u];  // the step's h feeds the output and the next step
          if (l.mode == ops::RnnMode::kRnnTanh) {
            dx[u] = dr[u] = d * (T(1) - g[u] * g[u]);
            dhb[u] = 0;
          } else if (lstm) {
            const T i = g[u], f = g[U + u], c = g[2 * U + u], o = g[3 * U + u];
            const T c_prev = res[l.c(k) + b * U + u], tc = std::tanh(res[l.c(k + 1) + b * U + u]);
            const T dct = dcb[u] + d * o * (T(1) - tc * tc);
            dx[u] = dr[u] = dct * c * i * (T(1) - i);
            dx[U + u] = dr[U + u] = dct * c_prev * f * (T(1) - f);
            dx[2 * U + u] = dr[2 * U + u] = dct * i * (T(1) - c * c);
            dx[3 * U + u] = dr[3 * U + u] = d * tc * o * (T(1) - o);
            dcb[u] = dct * f;
            dhb[u] = 0;
          } else {
            const T z = g[u], r = g[U + u], hh = g[2 * U + u], rh = res[l.extra(k) + b * U + u];
            const T dpre_h = d * (T(1) - z) * (T(1) - hh * hh);
            dx[u] = dr[u] = d * (hp[u] - hh) * z * (T(1) - z);
            dx[U + u] = dr[U + u] = dpre_h * rh * r * (T(1) - r);
            dx[2 * U + u] = dpre_h;
            dr[2 * U + u] = dpre_h * r;
            dhb[u] = d * z;  // the direct path z h_prev; the recurrent one is added below
          }
        }
      }
    });
    // dh_prev += drec R^T; dR += h_prev^T drec; the recurrent bias (GRU) gets drec's sum.
    gemm(CblasNoTrans, CblasTrans, B, U, n, drec.data(), n, rk, n, T(1), dh.data(), U);
    gemm(CblasTrans, CblasNoTrans, U, n, B, h_prev, U, drec.data(), n, T(1), drk, n);
    if (gru)
      for (int64_t b = 0; b < B; ++b)
        for (int64_t j = 0; j < n; ++j) dbias[n + j] += drec[static_cast<std::size_t>(b * n + j)];
  }
  // dx = dxw kernel^T; dkernel = x^T dxw; the input bias gets dxw's sum.
  gemm(CblasNoTrans, CblasTrans, B * l.T, l.D, n, dxw.data(), n, kernel, n, T(0), data<T>(ctx.output(0)), l.D);
  gemm(CblasTrans, CblasNoTrans, l.D, n, B * l.T, x, l.D, dxw.data(), n, T(0), dk, n);
  if (l.D == 0 || B * l.T == 0) std::fill(dk, dk + l.D * n, T(0));
  if (B * l.T == 0) std::fill(data<T>(ctx.output(0)), data<T>(ctx.output(0)) + ctx.output(0).size(), T(0));
  for (int64_t r = 0; r < B * l.T; ++r)
    for (int64_t j = 0; j < n; ++j) dbias[j] += dxw[static_cast<std::size_t>(r * n + j)];
  std::copy(dh.begin(), dh.end(), data<T>(ctx.output(1)));
  if (lstm) std::copy(dc.begin(), dc.end(), data<T>(ctx.output(2)));
}

void cudnn_rnn(KernelContext& ctx) {
  if (ctx.input(0).dtype() == DType::kFloat64) return rnn_forward<double>(ctx);
  rnn_forward<float>(ctx);
}
void cudnn_rnn_grad(KernelContext& ctx) {
  if (ctx.input(0).dtype() == DType::kFloat64) return rnn_backward<double>(ctx);
  rnn_backward<float>(ctx);
}

}  // namespace

void register_rnn_kernels() {
  register_kernel(ops::CudnnRNN, DeviceType::kCPU, cudnn_rnn);
  register_kernel(ops::CudnnRNNGrad, DeviceType::kCPU, cudnn_rnn_grad);
}

}  // namespace tapeflow::kernels::cpu
