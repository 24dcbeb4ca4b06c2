// GPU kernels of Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter through cuDNN, over NHWC
// images and TF's HWIO filters (transposed to OHWI, cuDNN's NHWC filter layout). The algorithm
// of each (direction, shape, dtype, TF32 setting) is found once by cudnnFind*AlgorithmEx with a
// workspace from the caching allocator, then cached. float16/bfloat16 accumulate in float,
// float64 in double; float32 uses TF32 tensor cores unless
// tf::config::enable_tensor_float_32_execution(false). What cuDNN rejects (and everything in a
// build without cuDNN) runs the CPU kernel on host copies (cpu_fallback.h); with placement
// logging on, each algorithm search logs what it chose.
#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "tapeflow/core/config.h"
#include "tapeflow/core/logging.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/conv.h"
#include "tapeflow/kernels/cuda/cpu_fallback.h"
#include "tapeflow/kernels/cuda/registration.h"
#if TAPEFLOW_HAS_CUDNN
#include "tapeflow/cuda/cuda_check.h"
#include "tapeflow/cuda/cuda_context.h"
#include "tapeflow/cuda/cudnn_descriptors.h"
#include "tapeflow/cuda/cudnn_handle.h"
#endif

namespace tapeflow::kernels::cuda {
namespace {
using ops::Window2D;

#if TAPEFLOW_HAS_CUDNN
namespace tc = ::tapeflow::cuda;

/// cuDNN's view of a TF convolution. cuDNN pads both sides of a dimension equally; TF's SAME
/// padding puts an odd extra row (column) at the bottom (right). As TF's GPU kernels do, the
/// input then gets `extra_h` zero rows and `extra_w` zero columns appended, and cuDNN pads
/// pad_top / pad_left on both sides of that padded input.
struct CudnnConv {
  Window2D w;
  int64_t extra_h = 0, extra_w = 0;
  int64_t padded_h() const { return w.in_h + extra_h; }
  int64_t padded_w() const { return w.in_w + extra_w; }
  bool padded() const { return extra_h > 0 || extra_w > 0; }
};

/// Rows (columns) the window needs beyond `before` on each side: 1 for an odd SAME padding, else 0.
int64_t extra_padding(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t dilation, int64_t before) {
  const int64_t needed = (out - 1) * stride + (k - 1) * dilation + 1 - in;  // TF's total padding
  return std::max<int64_t>(0, needed - 2 * before);
}

CudnnConv cudnn_conv(const Window2D& w) {
  CudnnConv g{w};
  g.extra_h = extra_padding(w.in_h, w.out_h, w.k_h, w.stride_h, w.dilation_h, w.pad_top);
  g.extra_w = extra_padding(w.in_w, w.out_w, w.k_w, w.stride_w, w.dilation_w, w.pad_left);
  return g;
}

/// The math cuDNN may use for dt: TF32 tensor cores for float32 only when enabled (FMA_MATH
/// forbids them), tensor cores for the halves.
cudnnMathType_t requested_math(DType dt) {
  if (dt == DType::kFloat32) return config::tensor_float_32_execution_enabled() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
  if (dt == DType::kFloat64) return CUDNN_DEFAULT_MATH;
  return CUDNN_TENSOR_OP_MATH;
}

/// The descriptors of one convolution: x (padded input, NHWC), f (OHWI), y (NHWC).
struct ConvDescriptors {
  tc::TensorDescriptor x, y;
  tc::FilterDescriptor f;
  tc::ConvolutionDescriptor conv;

  ConvDescriptors(const char* op, const CudnnConv& g, DType dt) {
    const Window2D& w = g.w;
    tc::check_cudnn_dims(
        op, {w.batch, g.padded_h(), g.padded_w(), w.channels, w.out_channels, w.out_h, w.out_w,
             w.batch * g.padded_h() * g.padded_w() * w.channels, w.batch * w.out_h * w.out_w * w.out_channels});
    const cudnnDataType_t data = tc::cudnn_data_type(dt);
    x.set_nhwc(data, w.batch, g.padded_h(), g.padded_w(), w.channels);
    y.set_nhwc(data, w.batch, w.out_h, w.out_w, w.out_channels);
    f.set_ohwi(data, w.out_channels, w.k_h, w.k_w, w.channels);
    conv.set_2d(w.pad_top, w.pad_left, w.stride_h, w.stride_w, w.dilation_h, w.dilation_w, tc::cudnn_compute_type(dt));
    conv.set_math_type(requested_math(dt));
    // cuDNN's output size must be TF's: a mismatch would be a bug in the padding above.
    int n = 0, c = 0, h = 0, wd = 0;
    TF_CUDNN_CHECK_CONFIG(cudnnGetConvolution2dForwardOutputDim(conv.get(), x.get(), f.get(), &n, &c, &h, &wd));
    TF_CHECK_TYPED(h == w.out_h && wd == w.out_w && c == w.out_channels, InternalError, op, "cuDNN's output size ", h,
                   "x", wd, "x", c, " differs from TF's ", w.out_h, "x", w.out_w, "x", w.out_channels);
  }
};

/// Device pointers of one call: x (padded input), f (OHWI filter), y (output); which of them
/// is written depends on the direction.
struct ConvBuffers {
  void* x;
  void* f;
  void* y;
};

// ---- the three directions, in one shape so that the algorithm search is written once ---------

struct Forward {
  using Algo = cudnnConvolutionFwdAlgo_t;
  using Perf = cudnnConvolutionFwdAlgoPerf_t;
  static constexpr int kCount = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
  static constexpr int kKind = 0;
  static constexpr const char* kNames[] = {
      "IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT", "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"};
  static cudnnStatus_t workspace(cudnnHandle_t h, const ConvDescriptors& d, Algo a, std::size_t* bytes) {
    return cudnnGetConvolutionForwardWorkspaceSize(h, d.x.get(), d.f.get(), d.conv.get(), d.y.get(), a, bytes);
  }
  static void find(cudnnHandle_t h, const ConvDescriptors& d, const ConvBuffers& b, int* n, Perf* perf, void* ws,
                   std::size_t ws_bytes) {
    TF_CUDNN_CHECK_CONFIG(cudnnFindConvolutionForwardAlgorithmEx(h, d.x.get(), b.x, d.f.get(), b.f, d.conv.get(),
                                                                 d.y.get(), b.y, kCount, n, perf, ws, ws_bytes));
  }
  static void run(cudnnHandle_t h, const ConvDescriptors& d, const ConvBuffers& b, Algo a, void* ws,
                  std::size_t ws_bytes, const tc::CudnnScale& s) {
    TF_CUDNN_CHECK(cudnnConvolutionForward(h, s.one(), d.x.get(), b.x, d.f.get(), b.f, d.conv.get(), a, ws, ws_bytes,
                                           s.zero(), d.y.get(), b.y));
  }
};

struct BackwardData {
  using Algo = cudnnConvolutionBwdDataAlgo_t;
  using Perf = cudnnConvolutionBwdDataAlgoPerf_t;
  static constexpr int kCount = CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
  static constexpr int kKind = 1;
  static constexpr const char* kNames[] = {"ALGO_0", "ALGO_1", "FFT", "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"};
  static cudnnStatus_t workspace(cudnnHandle_t h, const ConvDescriptors& d, Algo a, std::size_t* bytes) {
    return cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.f.get(), d.y.get(), d.conv.get(), d.x.get(), a, bytes);
  }
  static void find(cudnnHandle_t h, const ConvDescriptors& d, const ConvBuffers& b, int* n, Perf* perf, void* ws,
                   std::size_t ws_bytes) {
    TF_CUDNN_CHECK_CONFIG(cudnnFindConvolutionBackwardDataAlgorithmEx(h, d.f.get(), b.f, d.y.get(), b.y, d.conv.get(),
                                                                      d.x.get(), b.x, kCount, n, perf, ws, ws_bytes));
  }
  static void run(cudnnHandle_t h, const ConvDescriptors& d, const ConvBuffers& b, Algo a, void* ws,
                  std::size_t ws_bytes, const tc::CudnnScale& s) {
    TF_CUDNN_CHECK(cudnnConvolutionBackwardData(h, s.one(), d.f.get(), b.f, d.y.get(), b.y, d.conv.get(), a, ws,
                                                ws_bytes, s.zero(), d.x.get(), b.x));
  }
};

struct BackwardFilter {
  using Algo = cudnnConvolutionBwdFilterAlgo_t;
  using Perf = cudnnConvolutionBwdFilterAlgoPerf_t;
  static constexpr int kCount = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
  static constexpr int kKind = 2;
  static constexpr const char* kNames[] = {"ALGO_0",    "ALGO_1", "FFT", "ALGO_3", "WINOGRAD", "WINOGRAD_NONFUSED",
                                           "FFT_TILING"};
  static cudnnStatus_t workspace(cudnnHandle_t h, const ConvDescriptors& d, Algo a, std::size_t* bytes) {
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.x.get(), d.y.get(), d.conv.get(), d.f.get(), a, bytes);
  }
  static void find(cudnnHandle_t h, const ConvDescriptors& d, const ConvBuffers& b, int* n, Perf* perf, void* ws,
                   std::size_t ws_bytes) {
    TF_CUDNN_CHECK_CONFIG(cudnnFindConvolutionBackwardFilterAlgorithmEx(h, d.x.get(), b.x, d.y.get(), b.y, d.conv.get(),
                                                                        d.f.get(), b.f, kCount, n, perf, ws, ws_bytes));
  }
  static void run(cudnnHandle_t h, const ConvDescriptors& d, const ConvBuffers& b, Algo a, void* ws,
                  std::size_t ws_bytes, const tc::CudnnScale& s) {
    TF_CUDNN_CHECK(cudnnConvolutionBackwardFilter(h, s.one(), d.x.get(), b.x, d.y.get(), b.y, d.conv.get(), a, ws,
                                                  ws_bytes, s.zero(), d.f.get(), b.f));
  }
};

// ---- algorithm cache ------------------------------------------------------------------------

/// What identifies a search: direction, device, dtype, TF32 setting and every size of the call.
struct AlgoKey {
  std::array<int64_t, 17> v;
  bool operator==(const AlgoKey&) const = default;
};
struct AlgoKeyHash {
  std::size_t operator()(const AlgoKey& k) const noexcept {
    std::size_t h = 0;
    for (int64_t x : k.v) h = h * 1000003u ^ std::hash<int64_t>{}(x);
    return h;
  }
};
struct AlgoChoice {
  int algo = 0;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
  std::size_t workspace = 0;
};

AlgoKey algo_key(int kind, int device, DType dt, const CudnnConv& g) {
  const Window2D& w = g.w;
  return {{kind, device, static_cast<int64_t>(dt), config::tensor_float_32_execution_enabled() ? 1 : 0, w.batch,
           g.padded_h(), g.padded_w(), w.channels, w.out_channels, w.k_h, w.k_w, w.stride_h, w.stride_w, w.dilation_h,
           w.dilation_w, w.pad_top, w.pad_left}};
}

std::mutex g_cache_mu;
std::unordered_map<AlgoKey, AlgoChoice, AlgoKeyHash>& algo_cache() {
  static auto* cache = new std::unordered_map<AlgoKey, AlgoChoice, AlgoKeyHash>();
  return *cache;
}

/// The most workspace a search may hand cuDNN (why: 1 GiB lets the fastest algorithms of large
/// convolutions run, as TF's default limit does; half the free memory keeps the search from
/// evicting the tensors of the step it runs in).
std::size_t workspace_limit(int device) {
  std::size_t free_b = 0, total_b = 0;
  tc::set_device(device);
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
    (void)cudaGetLastError();
    free_b = 0;
  }
  return std::min<std::size_t>(std::size_t(1) << 30, free_b / 2);
}

const char* math_name(cudnnMathType_t m) {
  switch (m) {
    case CUDNN_DEFAULT_MATH: return "default (TF32 allowed)";
    case CUDNN_TENSOR_OP_MATH: return "tensor ops";
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION: return "tensor ops with conversion";
    case CUDNN_FMA_MATH: return "FMA (no TF32)";
    default: return "unknown";
  }
}

/// With placement logging on (tf::debugging::set_log_device_placement), says which algorithm
/// a search chose, once per configuration (later calls take it from the cache).
template <typename Dir>
void log_algorithm(const char* op, int device, DType dt, const CudnnConv& g, const AlgoChoice& c, float ms) {
  if (!debugging::get_log_device_placement()) return;
  const Window2D& w = g.w;
  const int n = static_cast<int>(std::size(Dir::kNames));
  logging::info(detail::str_cat(op, " on GPU:", device, ": cuDNN algorithm ",
                                c.algo >= 0 && c.algo < n ? Dir::kNames[c.algo] : "?", " (", c.algo, "), math ",
                                math_name(c.math), ", workspace ", c.workspace, " bytes, ", ms, " ms in the search; ",
                                dtype_name(dt), " input ", w.batch, "x", g.padded_h(), "x", g.padded_w(), "x",
                                w.channels, ", filter ", w.k_h, "x", w.k_w, "x", w.channels, "x", w.out_channels));
}

/// The cached algorithm of this call, found by timing every algorithm on the call's own buffers
/// the first time (cudnnFind*Ex writes the output buffer, which the real call then overwrites).
template <typename Dir>
AlgoChoice choose_algorithm(const char* op, cudnnHandle_t h, const ConvDescriptors& d, const ConvBuffers& b, DType dt,
                            const CudnnConv& g, int device) {
  const AlgoKey key = algo_key(Dir::kKind, device, dt, g);
  {
    std::lock_guard<std::mutex> lock(g_cache_mu);
    auto it = algo_cache().find(key);
    if (it != algo_cache().end()) return it->second;
  }
  // The workspace the search needs: the largest any algorithm asks for, within the limit.
  const std::size_t limit = workspace_limit(device);
  std::size_t ws_bytes = 0;
  for (int a = 0; a < Dir::kCount; ++a) {
    std::size_t bytes = 0;
    if (Dir::workspace(h, d, static_cast<typename Dir::Algo>(a), &bytes) == CUDNN_STATUS_SUCCESS && bytes <= limit)
      ws_bytes = std::max(ws_bytes, bytes);
  }
  const Tensor ws = Tensor::empty(Shape{static_cast<int64_t>(std::max<std::size_t>(ws_bytes, 1))}, DType::kUInt8,
                                  Device(DeviceType::kGPU, device));
  std::array<typename Dir::Perf, Dir::kCount> perf{};
  int returned = 0;
  Dir::find(h, d, b, &returned, perf.data(), ws.raw_data(), ws_bytes);
  const bool no_tf32 = dt == DType::kFloat32 && !config::tensor_float_32_execution_enabled();
  for (int i = 0; i < returned; ++i) {  // fastest first
    const auto& p = perf[static_cast<std::size_t>(i)];
    if (p.status != CUDNN_STATUS_SUCCESS || p.memory > ws_bytes) continue;
    if (no_tf32 && p.mathType != CUDNN_FMA_MATH && p.mathType != CUDNN_DEFAULT_MATH) continue;
    AlgoChoice c{static_cast<int>(p.algo), no_tf32 ? CUDNN_FMA_MATH : p.mathType, p.memory};
    log_algorithm<Dir>(op, device, dt, g, c, p.time);
    std::lock_guard<std::mutex> lock(g_cache_mu);
    algo_cache()[key] = c;
    return c;
  }
  TF_THROW(UnimplementedError, op, "cuDNN has no algorithm for this ", op, " (", returned, " tried; dtype ",
           dtype_name(dt), ")");
}

template <typename Dir> void run_cudnn(const char* op, const CudnnConv& g, DType dt, int device, const ConvBuffers& b) {
  ConvDescriptors d(op, g, dt);
  cudnnHandle_t h = tc::cudnn_handle(device);
  std::lock_guard<std::mutex> lock(tc::cudnn_mutex(device));  // one host thread on the handle at a time
  const AlgoChoice c = choose_algorithm<Dir>(op, h, d, b, dt, g, device);
  d.conv.set_math_type(c.math);
  // Freed at scope exit while cuDNN may still run: safe, the next user of the block is queued
  // on the same stream (Note [One stream per device]).
  const Tensor ws = Tensor::empty(Shape{static_cast<int64_t>(std::max<std::size_t>(c.workspace, 1))}, DType::kUInt8,
                                  Device(DeviceType::kGPU, device));
  Dir::run(h, d, b, static_cast<typename Dir::Algo>(c.algo), ws.raw_data(), c.workspace, tc::CudnnScale(dt));
}

cudaStream_t stream_of_device(const KernelContext& ctx) {
  tc::set_device(ctx.device.index());
  return static_cast<cudaStream_t>(ctx.stream);
}

/// TF's HWIO filter (KH, KW, C, O) as cuDNN's OHWI (O, KH, KW, C).
Tensor to_ohwi(const Tensor& f, cudaStream_t stream) { return contiguous_aligned(transpose(f, {3, 0, 1, 2}), stream); }
/// x (N, H, W, C) with g.extra_h zero rows and g.extra_w zero columns appended.
Tensor pad_input(const Tensor& x, const CudnnConv& g, cudaStream_t stream) {
  if (!g.padded()) return contiguous_aligned(x, stream);
  return pad(x, {{0, 0}, {0, g.extra_h}, {0, g.extra_w}, {0, 0}});
}
bool empty_window(const Window2D& w) {
  return w.batch == 0 || w.in_h == 0 || w.in_w == 0 || w.channels == 0 || w.out_h == 0 || w.out_w == 0 ||
         w.out_channels == 0;
}

/// Runs `body` (the cuDNN path) under the kernel's device, or the CPU kernel when the
/// configuration is empty or cuDNN rejects it.
template <typename F> void with_cudnn_or_cpu(KernelContext& ctx, const Window2D& w, F&& body) {
  if (empty_window(w)) return run_cpu_kernel(ctx);  // nothing for cuDNN to do; the CPU fills zeros
  try {
    DeviceScope on(ctx.device);  // public ops used for layout run on this kernel's GPU
    body();
  } catch (const errors::UnimplementedError& e) {
    note_cpu_fallback(ctx, e.message());
    run_cpu_kernel(ctx);
  }
}

void conv2d_kernel(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::Conv2DAttrs>();
  const Tensor& x = ctx.input(0);
  const Tensor& f = ctx.input(1);
  const Window2D w = ops::conv2d_window(x.shape(), f.shape(), attrs);
  with_cudnn_or_cpu(ctx, w, [&] {
    const CudnnConv g = cudnn_conv(w);
    const Tensor xp = pad_input(x, g, stream_of_device(ctx)), fo = to_ohwi(f, stream_of_device(ctx));
    run_cudnn<Forward>(ctx.op.name, g, x.dtype(), ctx.device.index(),
                       {xp.raw_data(), fo.raw_data(), ctx.output(0).raw_data()});
  });
}

void conv2d_backprop_input_kernel(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::Conv2DAttrs>();
  const Tensor& f = ctx.input(0);
  const Window2D w = ops::conv2d_window(attrs.sizes, f.shape(), attrs);
  with_cudnn_or_cpu(ctx, w, [&] {
    const Tensor dy = contiguous_aligned(ctx.input(1), stream_of_device(ctx));
    const CudnnConv g = cudnn_conv(w);
    const Tensor fo = to_ohwi(f, stream_of_device(ctx));
    if (!g.padded()) {
      run_cudnn<BackwardData>(ctx.op.name, g, f.dtype(), ctx.device.index(),
                              {ctx.output(0).raw_data(), fo.raw_data(), dy.raw_data()});
      return;
    }
    // The gradient of the padded input; the appended rows/columns are dropped.
    const Tensor dxp = Tensor::empty(Shape{w.batch, g.padded_h(), g.padded_w(), w.channels}, f.dtype(), ctx.device);
    run_cudnn<BackwardData>(ctx.op.name, g, f.dtype(), ctx.device.index(),
                            {dxp.raw_data(), fo.raw_data(), dy.raw_data()});
    copy_into(dxp[{all, slice(0, w.in_h), slice(0, w.in_w), all}], ctx.output(0), stream_of_device(ctx));
  });
}

void conv2d_backprop_filter_kernel(KernelContext& ctx) {
  const auto& attrs = ctx.attr<ops::Conv2DAttrs>();
  const Tensor& x = ctx.input(0);
  const Window2D w = ops::conv2d_window(x.shape(), attrs.sizes, attrs);
  with_cudnn_or_cpu(ctx, w, [&] {
    const Tensor dy = contiguous_aligned(ctx.input(1), stream_of_device(ctx));
    const CudnnConv g = cudnn_conv(w);
    const Tensor xp = pad_input(x, g, stream_of_device(ctx));
    // cuDNN writes OHWI; TF's gradient is HWIO.
    const Tensor dfo = Tensor::empty(Shape{w.out_channels, w.k_h, w.k_w, w.channels}, x.dtype(), ctx.device);
    run_cudnn<BackwardFilter>(ctx.op.name, g, x.dtype(), ctx.device.index(),
                              {xp.raw_data(), dfo.raw_data(), dy.raw_data()});
    copy_into(transpose(dfo, {1, 2, 3, 0}), ctx.output(0), stream_of_device(ctx));
  });
}

#else  // no cuDNN: the CPU kernels, on host copies

void on_cpu(KernelContext& ctx) {
  note_cpu_fallback(ctx, "Tapeflow was built without cuDNN");
  run_cpu_kernel(ctx);
}
void conv2d_kernel(KernelContext& ctx) { on_cpu(ctx); }
void conv2d_backprop_input_kernel(KernelContext& ctx) { on_cpu(ctx); }
void conv2d_backprop_filter_kernel(KernelContext& ctx) { on_cpu(ctx); }

#endif  // TAPEFLOW_HAS_CUDNN

}  // namespace

void register_conv_kernels() {
  register_kernel(ops::Conv2D, DeviceType::kGPU, conv2d_kernel);
  register_kernel(ops::Conv2DBackpropInput, DeviceType::kGPU, conv2d_backprop_input_kernel);
  register_kernel(ops::Conv2DBackpropFilter, DeviceType::kGPU, conv2d_backprop_filter_kernel);
}

}  // namespace tapeflow::kernels::cuda
