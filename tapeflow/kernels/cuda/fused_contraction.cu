// CUDA kernels of _FusedMatMul and _FusedConv2D (the remapper's fused contractions), mirroring
// kernels/cpu/fused_contraction.cpp. _FusedMatMul of 2-d float32/float64 operands is one
// cuBLASLt call, planned once per shape, whose epilogue adds the bias (CUBLASLT_EPILOGUE_BIAS;
// Relu is a second pass that keeps NaNs, as the unfused Relu does); where cuBLASLt offers no
// algorithm for the configuration (a dtype without bias epilogues, odd alignment), and for
// _FusedConv2D, the contraction's own GPU kernel writes the output and one in-place pass adds
// the bias and applies Relu (the functors of BiasAdd and Relu, so those results are the unfused
// graph's bits).
#include <cublasLt.h>

#include <array>
#include <map>
#include <memory>
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

template <typename T> __global__ void relu_kernel(T* __restrict__ y, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = ReluFn{}(y[i]);
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
/// thread-safe; descriptors are per shape, LtPlan).
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

/// What one cuBLASLt matmul configuration needs, made once per shape (descriptor, layouts and
/// the heuristic's algorithm: asking for the heuristic costs tens of microseconds, more than
/// the small matmuls of an MLP step take). The bias pointer is the one per-call attribute: it
/// is set on the descriptor under `mu` together with the enqueue, which reads it.
struct LtPlan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool usable = false;  // false: cuBLASLt has no algorithm for it; the caller falls back
  std::mutex mu;
  LtPlan() = default;
  LtPlan(const LtPlan&) = delete;
  LtPlan& operator=(const LtPlan&) = delete;
  ~LtPlan() {
    if (d) cublasLtMatrixLayoutDestroy(d);
    if (b) cublasLtMatrixLayoutDestroy(b);
    if (a) cublasLtMatrixLayoutDestroy(a);
    if (desc) cublasLtMatmulDescDestroy(desc);
  }
};

struct LtKey {
  int device;
  bool f64, tf32, ta, tb;
  int64_t m, n, k;
  auto operator<=>(const LtKey&) const = default;
};

/// Plans live for the process, keyed by device and shape (a model has a handful of shapes); past
/// kMaxPlans distinct shapes new ones are made per call instead of cached, so a shape-varying
/// program cannot grow the cache without bound.
constexpr std::size_t kMaxPlans = 512;

/// Makes the plan: an epilogue adding the bias along D^T's rows (no Relu: see fused_matmul_kernel).
/// Row-major as matmul.cpp: D^T (n, m column-major) = op(B)^T op(A)^T.
void make_lt_plan(LtPlan& P, const LtKey& key, cublasLtHandle_t h) {
  const cudaDataType_t data = key.f64 ? CUDA_R_64F : CUDA_R_32F;
  const cublasComputeType_t compute = key.f64 ? CUBLAS_COMPUTE_64F
                                      : key.tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32
                                                 : CUBLAS_COMPUTE_32F;
  if (cublasLtMatmulDescCreate(&P.desc, compute, data) != CUBLAS_STATUS_SUCCESS) return;
  // cuBLASLt's A is our B, its B our A (see above).
  const cublasOperation_t op_lt_a = key.tb ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_lt_b = key.ta ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_BIAS;
  TF_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(P.desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_lt_a, sizeof op_lt_a));
  TF_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(P.desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_lt_b, sizeof op_lt_b));
  TF_CUBLAS_CHECK(cublasLtMatmulDescSetAttribute(P.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi));
  // Stored (column-major) shapes: our B is (k, n) row-major = (n, k) column-major, etc.
  const auto m = static_cast<uint64_t>(key.m), n = static_cast<uint64_t>(key.n), k = static_cast<uint64_t>(key.k);
  const uint64_t rows_a = key.tb ? k : n, cols_a = key.tb ? n : k;
  const uint64_t rows_b = key.ta ? m : k, cols_b = key.ta ? k : m;
  TF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&P.a, data, rows_a, cols_a, static_cast<int64_t>(rows_a)));
  TF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&P.b, data, rows_b, cols_b, static_cast<int64_t>(rows_b)));
  TF_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&P.d, data, n, m, static_cast<int64_t>(n)));
  // No workspace (why: a workspace from the allocator per call would cost an allocation; the
  // algorithms without one are what the heuristic then returns, and keep CUDA-graph capture
  // free of extra buffers).
  const std::size_t ws = 0;
  cublasLtMatmulPreference_t pref = nullptr;
  TF_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  const cublasStatus_t set =
      cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
  cublasLtMatmulHeuristicResult_t heur{};
  int found = 0;
  const cublasStatus_t got =
      set == CUBLAS_STATUS_SUCCESS
          ? cublasLtMatmulAlgoGetHeuristic(h, P.desc, P.a, P.b, P.d, P.d, pref, 1, &heur, &found)
          : set;
  cublasLtMatmulPreferenceDestroy(pref);
  TF_CUBLAS_CHECK(set);
  if (got != CUBLAS_STATUS_SUCCESS || found == 0) return;
  P.algo = heur.algo;
  P.usable = true;
}

/// The cached plan of `key`, made on first use; nullptr where the cache is full (`spare` then
/// holds a plan made for this call only).
LtPlan* lt_plan(const LtKey& key, cublasLtHandle_t h, std::unique_ptr<LtPlan>& spare) {
  static std::mutex mu;
  static std::map<LtKey, std::unique_ptr<LtPlan>> plans;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = plans.find(key); it != plans.end()) return it->second.get();
  auto plan = std::make_unique<LtPlan>();
  make_lt_plan(*plan, key, h);
  if (plans.size() >= kMaxPlans) {
    spare = std::move(plan);
    return spare.get();
  }
  return plans.emplace(key, std::move(plan)).first->second.get();
}

/// y (m, n) = op(a) @ op(b) + bias through one cuBLASLt matmul with a bias epilogue; false
/// (nothing queued) where cuBLASLt has no algorithm for it, so the caller falls back.
bool try_lt_fused_matmul(KernelContext& ctx, const ops::MatMulAttrs& mm) {
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
  const int device = ctx.device.index();
  cublasLtHandle_t h = lt_handle(device);
  const LtKey key{device, f64, !f64 && config::tensor_float_32_execution_enabled(), mm.transpose_a, mm.transpose_b,
                  m, n, k};
  std::unique_ptr<LtPlan> spare;
  LtPlan* plan = lt_plan(key, h, spare);
  if (!plan->usable) return false;
  const double one64 = 1.0, zero64 = 0.0;
  const float one32 = 1.0f, zero32 = 0.0f;
  const void* alpha = f64 ? static_cast<const void*>(&one64) : &one32;
  const void* beta = f64 ? static_cast<const void*>(&zero64) : &zero32;
  const void* bias_ptr = bias.raw_data();
  tc::set_device(device);
  std::lock_guard<std::mutex> lock(plan->mu);
  TF_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(plan->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias_ptr, sizeof bias_ptr));
  TF_CUBLAS_CHECK(cublasLtMatmul(h, plan->desc, alpha, b.raw_data(), plan->a, a.raw_data(), plan->b, beta,
                                 y.raw_data(), plan->d, y.raw_data(), plan->d, &plan->algo, nullptr, 0,
                                 stream_of(ctx)));
  return true;
}

/// Relu in place over y, with ReluFn (NaN stays NaN).
void relu_in_place(Tensor& y, cudaStream_t s) {
  const int64_t n = y.size();
  if (n == 0) return;
  auto go = [&]<typename T>() {
    T* py = static_cast<T*>(y.raw_data());
    relu_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(py, n);
    TF_CUDA_LAUNCH_CHECK("relu_kernel");
  };
  if (y.dtype() == DType::kFloat64)
    go.template operator()<double>();
  else
    go.template operator()<float>();
}

void fused_matmul_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::FusedMatMulAttrs>();
  // cuBLASLt's RELU_BIAS epilogue turns a NaN into 0 where Relu keeps it (so TF's GPU
  // _FusedMatMul differs from its unfused graph there); the remapper must not change results, so
  // the epilogue adds the bias only and Relu is its own pass.
  if (try_lt_fused_matmul(ctx, a.matmul)) {
    if (a.relu) relu_in_place(ctx.output(0), stream_of(ctx));
    return;
  }
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
