// CUDA kernels of _FusedMatMul and _FusedConv2D (the remapper's fused contractions), mirroring
// kernels/cpu/fused_contraction.cpp. _FusedMatMul of 2-d float32/float64 operands is one
// cuBLASLt call whose epilogue adds the bias (and applies Relu: CUBLASLT_EPILOGUE_BIAS /
// RELU_BIAS); where cuBLASLt offers no algorithm for the configuration (a dtype without bias
// epilogues, odd alignment), and for _FusedConv2D, the contraction's own GPU kernel writes the
// output and one in-place pass adds the bias and applies Relu (the functors of BiasAdd and
// Relu, so those results are the unfused graph's bits).
#include <cublasLt.h>

#include <array>
#include <mutex>

#include "tapeflow/core/config.h"
#include "tapeflow/core/ops/fused_contraction.h"
#include "tapeflow/cuda/cuda_check.h"
#include "tapeflow/cuda/cuda_context.h"
#include "tapeflow/kernels/cuda/launch.cuh"
#include "tapeflow/kernels/cuda/registration.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cuda {
namespace {
namespace tc = ::tapeflow::cuda;

// ---- the epilogue kernel: y (rows, C) += bias (C,), then Relu, in place ----------------------

template <typename T, bool kRelu>
__global__ void bias_relu_kernel(T* __restrict__ y, const T* __restrict__ bias, int64_t n, int64_t c) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const T v = AddFn{}(y[i], bias[i % c]);
    y[i] = kRelu ? ReluFn{}(v) : v;
  }
}

void add_bias_relu(Tensor& y, const Tensor& bias_in, bool relu, cudaStream_t s) {
  const int64_t n = y.size(), c = y.shape().dim(-1);
  if (n == 0 || c == 0) return;
  const Tensor bias = bias_in.contiguous();
  auto go = [&]<typename T>() {
    T* py = static_cast<T*>(y.raw_data());
    const T* pb = static_cast<const T*>(bias.raw_data());
    if (relu)
      bias_relu_kernel<T, true><<<blocks_for(n), kThreads, 0, s>>>(py, pb, n, c);
    else
      bias_relu_kernel<T, false><<<blocks_for(n), kThreads, 0, s>>>(py, pb, n, c);
    TF_CUDA_LAUNCH_CHECK("bias_relu_kernel");
  };
  if (y.dtype() == DType::kFloat64)
    go.template operator()<double>();
  else
    go.template operator()<float>();
}

/// Runs `contraction`'s GPU kernel on the first two inputs into ctx's output, then the epilogue.
void run_unfused(KernelContext& ctx, const OpDef& contraction, const OpAttrs& attrs, bool relu) {
  KernelFn kernel = contraction.kernels[static_cast<int>(DeviceType::kGPU)];
  TF_CHECK_TYPED(kernel != nullptr, InternalError, ctx.op.name, contraction.name, " has no GPU kernel");
  KernelContext inner{contraction, ctx.inputs.first(2), &attrs, ctx.specs, ctx.outputs, ctx.device, ctx.stream};
  kernel(inner);
  add_bias_relu(ctx.output(0), ctx.input(2), relu, stream_of(ctx));
}

// ---- cuBLASLt ----------------------------------------------------------------------------------

/// One cuBLASLt handle per GPU, made on first use (cublasLtCreate is not free; the handle is
/// thread-safe, its matmul descriptors are per call).
cublasLtHandle_t lt_handle(int device) {
  static std::mutex mu;
  static std::array<cublasLtHandle_t, 64> handles{};
  std::lock_guard<std::mutex> lock(mu);
  TF_CHECK_TYPED(device >= 0 && device < static_cast<int>(handles.size()), InvalidArgumentError, "_FusedMatMul",
                 "GPU index ", device, " out of range");
  cublasLtHandle_t& h = handles[static_cast<std::size_t>(device)];
  if (!h) {
    tc::set_device(device);
    TF_CUBLAS_CHECK(cublasLtCreate(&h));
  }
  return h;
}

/// RAII owners of the cuBLASLt descriptors of one call.
struct LtMatmul {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  ~LtMatmul() {
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

/// y (m, n) = relu?(op(a) @ op(b) + bias) through one cuBLASLt matmul with a bias epilogue;
/// false (nothing queued) where cuBLASLt has no algorithm for it, so the caller falls back.
/// Row-major as matmul.cpp: D^T (n, m column-major) = op(B)^T op(A)^T, and the bias runs
/// along D^T's rows, as cuBLASLt's bias epilogue wants.
bool try_lt_fused_matmul(KernelContext& ctx, const ops::MatMulAttrs& mm, bool relu) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  const Tensor& bias = ctx.input(2);
  Tensor& y = ctx.output(0);
  const DType dt = y.dtype();
  if ((dt != DType::kFloat32 && dt != DType::kFloat64) || a.ndim() != 2 || b.ndim() != 2 || !a.is_contiguous() ||
      !b.is_contiguous() || !bias.is_contiguous())
    return false;
  const int64_t m = y.shape()[0], n = y.shape()[1], k = mm.transpose_a ? a.shape()[0] : a.shape()[1];
  if (m == 0 || n == 0 || k == 0 || m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) return false;
  // cuBLASLt wants 16-byte aligned operands for most kernels; the bias may be a view.
  const std::array<const void*, 4> operands = {a.raw_data(), b.raw_data(), bias.raw_data(), y.raw_data()};
  for (const void* p : operands)
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return false;
  const bool f64 = dt == DType::kFloat64;
  const cudaDataType_t data = f64 ? CUDA_R_64F : CUDA_R_32F;
  const cublasComputeType_t compute = f64 ? CUBLAS_COMPUTE_64F
                                      : config::tensor_float_32_execution_enabled() ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                                                    : CUBLAS_COMPUTE_32F;
  const int device = ctx.device.index();
  cublasLtHandle_t h = lt_handle(device);
  LtMatmul L;
  if (cublasLtMatmulDescCreate(&L.desc, compute, data) != CUBLAS_STATUS_SUCCESS) return false;
  // cuBLASLt's A is our B, its B our A (see above).
  const cublasOperation_t op_lt_a = mm.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_lt_b = mm.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasLtEpilogue_t epi = relu ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_BIAS;
  const void* bias_ptr = bias.raw_data();
  TF_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(L.desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_lt_a, sizeof op_lt_a));
  TF_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(L.desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_lt_b, sizeof op_lt_b));
  TF_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(L.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi));
  TF_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(L.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias_ptr, sizeof bias_ptr));
  // Stored (column-major) shapes: our B is (k, n) row-major = (n, k) column-major, etc.
  const uint64_t rows_a = mm.transpose_b ? static_cast<uint64_t>(k) : static_cast<uint64_t>(n);
  const uint64_t cols_a = mm.transpose_b ? static_cast<uint64_t>(n) : static_cast<uint64_t>(k);
  const uint64_t rows_b = mm.transpose_a ? static_cast<uint64_t>(m) : static_cast<uint64_t>(k);
  const uint64_t cols_b = mm.transpose_a ? static_cast<uint64_t>(k) : static_cast<uint64_t>(m);
  TF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&L.a, data, rows_a, cols_a, static_cast<int64_t>(rows_a)));
  TF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&L.b, data, rows_b, cols_b, static_cast<int64_t>(rows_b)));
  TF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&L.d, data, static_cast<uint64_t>(n), static_cast<uint64_t>(m), n));
  // No workspace (why: a workspace from the allocator per call would cost an allocation; the
  // algorithms without one are what the heuristic then returns, and keep CUDA-graph capture
  // free of extra buffers).
  const std::size_t ws = 0;
  TF_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&L.pref));
  TF_CUBLAS_CHECK(
      cublasLtMatmulPreferenceSetAttribute(L.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
  cublasLtMatmulHeuristicResult_t heur{};
  int found = 0;
  tc::set_device(device);
  if (cublasLtMatmulAlgoGetHeuristic(h, L.desc, L.a, L.b, L.d, L.d, L.pref, 1, &heur, &found) !=
          CUBLAS_STATUS_SUCCESS ||
      found == 0)
    return false;
  const double one64 = 1.0, zero64 = 0.0;
  const float one32 = 1.0f, zero32 = 0.0f;
  const void* alpha = f64 ? static_cast<const void*>(&one64) : &one32;
  const void* beta = f64 ? static_cast<const void*>(&zero64) : &zero32;
  TF_CUBLAS_CHECK(cublasLtMatmul(h, L.desc, alpha, b.raw_data(), L.a, a.raw_data(), L.b, beta, y.raw_data(), L.d,
                                 y.raw_data(), L.d, &heur.algo, nullptr, 0, stream_of(ctx)));
  return true;
}

void fused_matmul_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::FusedMatMulAttrs>();
  if (try_lt_fused_matmul(ctx, a.matmul, a.relu)) return;
  run_unfused(ctx, ops::MatMul, a.matmul, a.relu);
}

/// Conv2D's cuDNN kernel (its algorithm cache, SAME-padding handling and CPU fallback) then the
/// bias/Relu pass: cudnnConvolutionBiasActivationForward would save that one pass but takes
/// only IMPLICIT_PRECOMP_GEMM with Relu, which is slower than what conv.cpp's search picks for
/// most shapes.
void fused_conv2d_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::FusedConv2DAttrs>();
  run_unfused(ctx, ops::Conv2D, a.conv, a.relu);
}

}  // namespace

void register_fused_contraction_kernels() {
  register_kernel(ops::FusedMatMul, DeviceType::kGPU, fused_matmul_kernel);
  register_kernel(ops::FusedConv2D, DeviceType::kGPU, fused_conv2d_kernel);
}

}  // namespace tapeflow::kernels::cuda
