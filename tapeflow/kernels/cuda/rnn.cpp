// GPU kernels of _CudnnRNN and _CudnnRNNGrad through cuDNN 9's RNN API (cudnnRNNForward,
// cudnnRNNBackwardData_v8, cudnnRNNBackwardWeights_v8), as Keras 3's TF backend runs CudnnRNNV3:
//   - x and output stay batch-major (CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED); sequence lengths
//     go to the RNN data descriptors' seqLengthArray (padded IO, outputs past a row's end 0);
//   - Keras's weights are placed into cuDNN's packed weight space at the addresses
//     cudnnGetRNNWeightParams gives: each gate's block of kernel (D, G * U) and recurrent_kernel
//     (U, G * U), transposed to cuDNN's (U, D) / (U, U) matrices; Keras's gate order maps onto
//     cuDNN's (LSTM i, f, c, o = cuDNN's i, f, g, o; GRU z, r, h = cuDNN's 1, 0, 2);
//   - cuDNN has two bias vectors: Keras's bias goes into the input one and the recurrent one
//     is 0, except GRU with reset_after, whose (2, 3U) bias is exactly the two;
//   - go_backwards reverses each row's first sequence_length steps before cuDNN and puts the
//     outputs right-aligned after it (Keras's three reversals, as gathers);
//   - a row of length 0 runs one step in cuDNN and is then given back its initial states and
//     zero outputs (and, in the gradient, passes dh, dc straight through), so cuDNN's own limits
//     on lengths never show.
// The reserve is cuDNN's reserve space (x's dtype, rounded up): the gradient must run on the GPU
// that ran the forward. Workspace, reserve and weight space come from the caching allocator.
// Empty sizes, and every call in a build without cuDNN, run the CPU kernel on host copies.
#include <algorithm>
#include <vector>

#include "tapeflow/core/config.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/rnn.h"
#include "tapeflow/core/ops/unary.h"
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

/// Sizes cuDNN cannot take (an empty batch, sequence or feature axis): the CPU kernel's conventions.
bool degenerate(const KernelContext& ctx) {
  const Shape& x = ctx.input(ops::kRnnX).shape();
  return x[0] == 0 || x[1] == 0 || x[2] == 0;
}

#if TAPEFLOW_HAS_CUDNN
namespace tc = ::tapeflow::cuda;

template <typename H, cudnnStatus_t (*Create)(H*), cudnnStatus_t (*Destroy)(H)> class Descriptor {
 public:
  Descriptor() { TF_CUDNN_CHECK(Create(&d_)); }
  ~Descriptor() { (void)Destroy(d_); }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  H get() const { return d_; }

 private:
  H d_ = nullptr;
};
using RnnDesc = Descriptor<cudnnRNNDescriptor_t, cudnnCreateRNNDescriptor, cudnnDestroyRNNDescriptor>;
using DataDesc = Descriptor<cudnnRNNDataDescriptor_t, cudnnCreateRNNDataDescriptor, cudnnDestroyRNNDataDescriptor>;
using TensorDesc = Descriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using DropoutDesc = Descriptor<cudnnDropoutDescriptor_t, cudnnCreateDropoutDescriptor, cudnnDestroyDropoutDescriptor>;

cudaStream_t stream_of_device(const KernelContext& ctx) {
  tc::set_device(ctx.device.index());
  return static_cast<cudaStream_t>(ctx.stream);
}

/// One call's sizes, lengths and the index maps of go_backwards.
struct RnnCall {
  int64_t B, T, D, U, G;
  ops::RnnMode mode;
  bool backwards, has_lengths;
  std::vector<int> lengths;    // as given (T without lengths), checked to lie in [0, T]
  std::vector<int> cudnn_len;  // what cuDNN sees: at least 1
  bool any_empty_row = false;

  explicit RnnCall(const KernelContext& ctx) {
    const Shape& x = ctx.input(ops::kRnnX).shape();
    B = x[0], T = x[1], D = x[2], U = ctx.input(ops::kRnnH0).shape()[1];
    const auto& attrs = ctx.attr<ops::CudnnRNNAttrs>();
    mode = attrs.rnn_mode, backwards = attrs.go_backwards, G = ops::rnn_gates(mode);
    tc::check_cudnn_dims(ctx.op.name, {B, T, D, U * G, B * T * std::max(D, U * G)});
    const Tensor& len = ctx.input(ops::kRnnLengths);
    has_lengths = len.size() > 0;
    lengths.assign(static_cast<std::size_t>(B), static_cast<int>(T));
    if (has_lengths) {
      const std::vector<int32_t> v = len.to(kCPU0).contiguous().to_vector<int32_t>();  // waits for the GPU
      for (int64_t b = 0; b < B; ++b) {
        const int32_t l = v[static_cast<std::size_t>(b)];
        TF_CHECK_ARG(l >= 0 && l <= T, ctx.op.name, "sequence_lengths[", b, "] = ", l, " is not in [0, ", T,
                     "] (timesteps)");
        lengths[static_cast<std::size_t>(b)] = l;
      }
    }
    cudnn_len = lengths;
    for (int& l : cudnn_len)
      if (l == 0) l = 1, any_empty_row = true;
  }
  bool lstm() const { return mode == ops::RnnMode::kLstm; }
  /// cuDNN's x from x (and dx back): each row's steps reversed with go_backwards. Without lengths
  /// a plain reverse, so that nothing comes from the host (a CUDA-graph capture stays valid).
  Tensor reorder_inputs(const Tensor& x, Device d) const {
    if (!backwards) return x;
    return has_lengths ? gather(x, input_steps(d), 1, 1) : reverse(x, {1});
  }
  /// Whether the outputs move: right-aligned rows (go_backwards with lengths).
  bool reorders_outputs() const { return backwards && has_lengths; }
  /// cuDNN's devSeqLengths: the input itself, or T in every row, made on the GPU.
  Tensor device_lengths(const Tensor& given, Device d) const {
    if (!any_empty_row && has_lengths) return given.contiguous();
    if (!has_lengths) return fill(Shape{B}, T, DType::kInt32);
    return from_host_buffer(cudnn_len.data(), Shape{B}, DType::kInt32).to(d);
  }
  /// (B, T) int32 on `device`: f(row length, t) for every row and step.
  template <typename F> Tensor index_map(Device device, F&& f) const {
    std::vector<int32_t> v(static_cast<std::size_t>(B * T));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t)
        v[static_cast<std::size_t>(b * T + t)] = static_cast<int32_t>(f(lengths[static_cast<std::size_t>(b)], t));
    return from_host_buffer(v.data(), Shape{B, T}, DType::kInt32).to(device);
  }
  /// cuDNN's step t of a row reads x[in_step]; dx goes back through the same map (an involution).
  Tensor input_steps(Device d) const {
    return index_map(d, [&](int64_t L, int64_t t) { return t < L ? L - 1 - t : t; });
  }
  /// output[t] = cuDNN's y[out_step]: right-aligned; the steps before read cuDNN's padding (0).
  Tensor output_steps(Device d) const {
    return index_map(d, [&](int64_t L, int64_t t) { return t >= T - L ? t - (T - L) : T - 1 - t; });
  }
  /// The inverse permutation of output_steps: cuDNN's dy from the output's.
  Tensor output_steps_inverse(Device d) const {
    return index_map(d, [&](int64_t L, int64_t s) { return s < L ? s + (T - L) : T - 1 - s; });
  }
  /// (B, T, 1) in x's dtype: 1 at each row's first `length` steps.
  Tensor step_mask(Device d, DType dt) const {
    return expand_dims(cast(index_map(d, [](int64_t L, int64_t t) { return t < L ? 1 : 0; }), dt), 2);
  }
  /// (B, 1) bool: the rows of length 0.
  Tensor empty_rows(Device d) const {
    std::vector<uint8_t> v(static_cast<std::size_t>(B));
    for (int64_t b = 0; b < B; ++b) v[static_cast<std::size_t>(b)] = lengths[static_cast<std::size_t>(b)] == 0;
    return from_host_buffer(v.data(), Shape{B, 1}, DType::kBool).to(d);
  }
};

cudnnMathType_t rnn_math(DType dt) {
  // TF32 tensor cores for float32 only when enabled (as the convolutions); float64 has none.
  if (dt == DType::kFloat32 && !config::tensor_float_32_execution_enabled()) return CUDNN_FMA_MATH;
  return CUDNN_DEFAULT_MATH;
}

/// The descriptors of one call and cuDNN's sizes for it.
struct RnnDescriptors {
  RnnDesc rnn;
  DropoutDesc dropout;
  DataDesc x, y;
  TensorDesc h;
  std::size_t weight_bytes = 0, workspace_bytes = 0, reserve_bytes = 0;

  RnnDescriptors(cudnnHandle_t handle, const RnnCall& c, DType dt) {
    const cudnnDataType_t data = tc::cudnn_data_type(dt);
    const cudnnRNNMode_t cell = c.mode == ops::RnnMode::kLstm  ? CUDNN_LSTM
                                : c.mode == ops::RnnMode::kGru ? CUDNN_GRU
                                                               : CUDNN_RNN_TANH;
    // One layer has no dropout; cuDNN still wants a descriptor (PyTorch's set_no_dropout).
    TF_CUDNN_CHECK(cudnnSetDropoutDescriptor(dropout.get(), handle, 0.0f, nullptr, 0, 0));
    TF_CUDNN_CHECK_CONFIG(cudnnSetRNNDescriptor_v8(
        rnn.get(), CUDNN_RNN_ALGO_STANDARD, cell, CUDNN_RNN_DOUBLE_BIAS, CUDNN_UNIDIRECTIONAL, CUDNN_LINEAR_INPUT, data,
        data, rnn_math(dt), static_cast<int32_t>(c.D), static_cast<int32_t>(c.U), static_cast<int32_t>(c.U), 1,
        dropout.get(), CUDNN_RNN_PADDED_IO_ENABLED));
    const tc::CudnnScale fill(dt);  // padding positions of y are written as 0
    TF_CUDNN_CHECK_CONFIG(cudnnSetRNNDataDescriptor(x.get(), data, CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED,
                                                    static_cast<int>(c.T), static_cast<int>(c.B), static_cast<int>(c.D),
                                                    c.cudnn_len.data(), const_cast<void*>(fill.zero())));
    TF_CUDNN_CHECK_CONFIG(cudnnSetRNNDataDescriptor(y.get(), data, CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED,
                                                    static_cast<int>(c.T), static_cast<int>(c.B), static_cast<int>(c.U),
                                                    c.cudnn_len.data(), const_cast<void*>(fill.zero())));
    const int dims[3] = {1, static_cast<int>(c.B), static_cast<int>(c.U)};
    const int strides[3] = {static_cast<int>(c.B * c.U), static_cast<int>(c.U), 1};
    TF_CUDNN_CHECK_CONFIG(cudnnSetTensorNdDescriptor(h.get(), data, 3, dims, strides));
    TF_CUDNN_CHECK(cudnnGetRNNWeightSpaceSize(handle, rnn.get(), &weight_bytes));
    TF_CUDNN_CHECK_CONFIG(cudnnGetRNNTempSpaceSizes(handle, rnn.get(), CUDNN_FWD_MODE_TRAINING, x.get(),
                                                    &workspace_bytes, &reserve_bytes));
  }
};

/// cuDNN's gate (linLayerID within the input or the recurrent half) of Keras's gate g.
int cudnn_gate(ops::RnnMode mode, int g) {
  if (mode == ops::RnnMode::kGru) return g == 0 ? 1 : g == 1 ? 0 : 2;  // Keras z, r, h -> cuDNN r(0), z(1), h(2)
  return g;                                                            // LSTM i, f, c, o and tanh: the same
}

/// The addresses of one gate's matrix and bias in a weight space, with their element counts checked.
struct WeightBlock {
  void *matrix = nullptr, *bias = nullptr;
};
WeightBlock weight_block(cudnnHandle_t handle, const RnnDescriptors& d, void* space, int layer_id, int64_t matrix_elems,
                         int64_t bias_elems) {
  TensorDesc m, b;
  WeightBlock out;
  TF_CUDNN_CHECK(cudnnGetRNNWeightParams(handle, d.rnn.get(), 0, d.weight_bytes, space, layer_id, m.get(), &out.matrix,
                                         b.get(), &out.bias));
  for (const auto& [desc, want] : {std::pair{&m, matrix_elems}, std::pair{&b, bias_elems}}) {
    cudnnDataType_t dt;
    int nb = 0, dims[8], strides[8];
    TF_CUDNN_CHECK(cudnnGetTensorNdDescriptor(desc->get(), 8, &dt, &nb, dims, strides));
    int64_t n = 1;
    for (int i = 0; i < nb; ++i) n *= dims[i];
    TF_CHECK_TYPED(n == want, InternalError, "_CudnnRNN", "cuDNN's weight block ", layer_id, " has ", n,
                   " elements, expected ", want);
  }
  return out;
}

/// Keras's weights as cuDNN's per-gate blocks, on the GPU: (G, U, D), (G, U, U) and the two
/// biases (G, U) each (contiguous, Keras's gate order).
struct GateBlocks {
  Tensor input, recurrent, input_bias, recurrent_bias;
};
GateBlocks gate_blocks(const RnnCall& c, const Tensor& kernel, const Tensor& rk, const Tensor& bias) {
  GateBlocks g;
  g.input = transpose(reshape(kernel, Shape{c.D, c.G, c.U}), {1, 2, 0}).contiguous();
  g.recurrent = transpose(reshape(rk, Shape{c.U, c.G, c.U}), {1, 2, 0}).contiguous();
  if (c.mode == ops::RnnMode::kGru) {
    const std::vector<Tensor> rows = unstack(bias, 0);
    g.input_bias = rows[0].contiguous();
    g.recurrent_bias = rows[1].contiguous();
  } else {
    g.input_bias = bias.contiguous();
  }
  return g;
}

/// Copies between Keras's gate blocks and cuDNN's weight space (`to_space`: into it).
void move_weights(cudnnHandle_t handle, const RnnDescriptors& d, const RnnCall& c, void* space, const GateBlocks& g,
                  bool to_space, DType dt, cudaStream_t stream) {
  const std::size_t es = dtype_size(dt);
  for (int kg = 0; kg < c.G; ++kg) {
    const int id = cudnn_gate(c.mode, kg);
    const WeightBlock w = weight_block(handle, d, space, id, c.U * c.D, c.U);
    const WeightBlock r = weight_block(handle, d, space, static_cast<int>(c.G) + id, c.U * c.U, c.U);
    const auto copy = [&](void* block, const Tensor& keras, int64_t elems) {
      if (!keras.defined()) return;
      char* k = static_cast<char*>(keras.raw_data()) + static_cast<std::size_t>(kg * elems) * es;
      const std::size_t bytes = static_cast<std::size_t>(elems) * es;
      TF_CUDA_CHECK(to_space ? cudaMemcpyAsync(block, k, bytes, cudaMemcpyDeviceToDevice, stream)
                             : cudaMemcpyAsync(k, block, bytes, cudaMemcpyDeviceToDevice, stream));
    };
    copy(w.matrix, g.input, c.U * c.D);
    copy(r.matrix, g.recurrent, c.U * c.U);
    copy(w.bias, g.input_bias, c.U);
    copy(r.bias, g.recurrent_bias, c.U);  // none (0) but for GRU
  }
}

Tensor bytes_tensor(std::size_t bytes, Device device) {
  return Tensor::empty(Shape{static_cast<int64_t>(std::max<std::size_t>(bytes, 1))}, DType::kUInt8, device);
}
/// cuDNN's reserve space in x's dtype (rounded up): what the op's reserve output holds.
int64_t reserve_elems(std::size_t bytes, DType dt) {
  return static_cast<int64_t>((std::max<std::size_t>(bytes, 1) + dtype_size(dt) - 1) / dtype_size(dt));
}

/// What the forward and its gradient both take from their inputs: the call's geometry, the
/// device scope the helper ops below run in, and x (in cuDNN's step order), h0, c0 and the gate
/// blocks, contiguous and aligned on the kernel's stream.
struct RnnOperands {
  const RnnCall c;
  const DeviceScope on;  // the ops below run where the kernel runs
  cudaStream_t stream;
  const Device dev;
  const DType dt;
  const Tensor x, h0, c0;
  const GateBlocks blocks;
  explicit RnnOperands(KernelContext& ctx)
      : c(ctx),
        on(ctx.device),
        stream(stream_of_device(ctx)),
        dev(ctx.device),
        dt(ctx.input(ops::kRnnX).dtype()),
        x(contiguous_aligned(c.reorder_inputs(ctx.input(ops::kRnnX), dev), stream)),
        h0(contiguous_aligned(ctx.input(ops::kRnnH0), stream)),
        c0(c.lstm() ? contiguous_aligned(ctx.input(ops::kRnnC0), stream) : Tensor()),
        blocks(gate_blocks(c, ctx.input(ops::kRnnKernel), ctx.input(ops::kRnnRecurrent), ctx.input(ops::kRnnBias))) {}
};

// Inputs x, h0, c0, kernel, recurrent_kernel, bias, sequence_lengths.
void cudnn_rnn(KernelContext& ctx) {
  if (degenerate(ctx)) return run_cpu_kernel(ctx);
  const RnnOperands o(ctx);
  const RnnCall& c = o.c;
  const Tensor dev_len = c.device_lengths(ctx.input(ops::kRnnLengths), o.dev);
  const Shape state{c.B, c.U};
  Tensor y = Tensor::empty(Shape{c.B, c.T, c.U}, o.dt, o.dev), hy = Tensor::empty(state, o.dt, o.dev);
  Tensor cy = c.lstm() ? Tensor::empty(state, o.dt, o.dev) : Tensor::empty(Shape{0}, o.dt, o.dev);
  Tensor reserve;
  {
    cudnnHandle_t handle = tc::cudnn_handle(o.dev.index());
    std::lock_guard<std::mutex> lock(tc::cudnn_mutex(o.dev.index()));  // one host thread on the handle
    const RnnDescriptors d(handle, c, o.dt);
    const Tensor weights = bytes_tensor(d.weight_bytes, o.dev), workspace = bytes_tensor(d.workspace_bytes, o.dev);
    reserve = Tensor::empty(Shape{reserve_elems(d.reserve_bytes, o.dt)}, o.dt, o.dev);
    TF_CUDA_CHECK(cudaMemsetAsync(weights.raw_data(), 0, d.weight_bytes, o.stream));  // the recurrent biases
    move_weights(handle, d, c, weights.raw_data(), o.blocks, /*to_space=*/true, o.dt, o.stream);
    TF_CUDNN_CHECK(cudnnRNNForward(
        handle, d.rnn.get(), CUDNN_FWD_MODE_TRAINING, static_cast<const int32_t*>(dev_len.raw_data()), d.x.get(),
        o.x.raw_data(), d.y.get(), y.raw_data(), d.h.get(), o.h0.raw_data(), hy.raw_data(), d.h.get(),
        c.lstm() ? o.c0.raw_data() : nullptr, c.lstm() ? cy.raw_data() : nullptr, d.weight_bytes, weights.raw_data(),
        d.workspace_bytes, workspace.raw_data(), d.reserve_bytes, reserve.raw_data()));
  }
  if (c.reorders_outputs()) y = gather(y, c.output_steps(o.dev), 1, 1);
  if (c.any_empty_row) {  // cuDNN ran one step of them: back to the initial states and no output
    const Tensor empty = c.empty_rows(o.dev);
    y = y * cast(logical_not(expand_dims(empty, 2)), o.dt);
    hy = where(empty, o.h0, hy);
    if (c.lstm()) cy = where(empty, o.c0, cy);
  }
  ctx.outputs.push_back(y);
  ctx.outputs.push_back(hy);
  ctx.outputs.push_back(cy);
  ctx.outputs.push_back(reserve);
}

// Inputs x, h0, c0, kernel, recurrent_kernel, bias, sequence_lengths, output, reserve, dy, dh, dc.
void cudnn_rnn_grad(KernelContext& ctx) {
  if (degenerate(ctx)) return run_cpu_kernel(ctx);
  const RnnOperands o(ctx);
  const RnnCall& c = o.c;
  Tensor y = ctx.input(7), dy = ctx.input(9), dhy = ctx.input(10), dcy = ctx.input(11);
  if (c.reorders_outputs()) {
    const Tensor inverse = c.output_steps_inverse(o.dev);
    y = gather(y, inverse, 1, 1);
    dy = gather(dy, inverse, 1, 1);
  }
  Tensor empty;
  if (c.any_empty_row) {  // their one cuDNN step must contribute nothing
    empty = c.empty_rows(o.dev);
    dy = dy * cast(logical_not(expand_dims(empty, 2)), o.dt);
    dhy = where(empty, zeros_like(dhy), dhy);
    if (c.lstm()) dcy = where(empty, zeros_like(dcy), dcy);
  }
  y = contiguous_aligned(y, o.stream);
  dy = contiguous_aligned(dy, o.stream);
  dhy = contiguous_aligned(dhy, o.stream);
  if (c.lstm()) dcy = contiguous_aligned(dcy, o.stream);
  const Tensor reserve = ctx.input(8).contiguous();
  const Tensor dev_len = c.device_lengths(ctx.input(ops::kRnnLengths), o.dev);
  const Shape state{c.B, c.U};
  Tensor dx = Tensor::empty(o.x.shape(), o.dt, o.dev), dhx = Tensor::empty(state, o.dt, o.dev);
  Tensor dcx = c.lstm() ? Tensor::empty(state, o.dt, o.dev) : Tensor::empty(Shape{0}, o.dt, o.dev);
  GateBlocks grads;
  grads.input = Tensor::empty(o.blocks.input.shape(), o.dt, o.dev);
  grads.recurrent = Tensor::empty(o.blocks.recurrent.shape(), o.dt, o.dev);
  grads.input_bias = Tensor::empty(Shape{c.G * c.U}, o.dt, o.dev);
  if (c.mode == ops::RnnMode::kGru) grads.recurrent_bias = Tensor::empty(Shape{c.G * c.U}, o.dt, o.dev);
  {
    cudnnHandle_t handle = tc::cudnn_handle(o.dev.index());
    std::lock_guard<std::mutex> lock(tc::cudnn_mutex(o.dev.index()));
    const RnnDescriptors d(handle, c, o.dt);
    TF_CHECK_TYPED(reserve.size() == reserve_elems(d.reserve_bytes, o.dt), FailedPreconditionError, ctx.op.name,
                   "the reserve (", reserve.size(), " elements) is not this GPU forward's (",
                   reserve_elems(d.reserve_bytes, o.dt), "): the gradient must run on the device that ran _CudnnRNN");
    const Tensor weights = bytes_tensor(d.weight_bytes, o.dev), dweights = bytes_tensor(d.weight_bytes, o.dev);
    const Tensor workspace = bytes_tensor(d.workspace_bytes, o.dev);
    TF_CUDA_CHECK(cudaMemsetAsync(weights.raw_data(), 0, d.weight_bytes, o.stream));
    TF_CUDA_CHECK(cudaMemsetAsync(dweights.raw_data(), 0, d.weight_bytes, o.stream));  // WGRAD_MODE_ADD adds
    move_weights(handle, d, c, weights.raw_data(), o.blocks, /*to_space=*/true, o.dt, o.stream);
    const auto* len = static_cast<const int32_t*>(dev_len.raw_data());
    // cuDNN: the data gradient first, then the weights' (which reads what it left in the reserve).
    TF_CUDNN_CHECK(cudnnRNNBackwardData_v8(
        handle, d.rnn.get(), len, d.y.get(), y.raw_data(), dy.raw_data(), d.x.get(), dx.raw_data(), d.h.get(),
        o.h0.raw_data(), dhy.raw_data(), dhx.raw_data(), d.h.get(), c.lstm() ? o.c0.raw_data() : nullptr,
        c.lstm() ? dcy.raw_data() : nullptr, c.lstm() ? dcx.raw_data() : nullptr, d.weight_bytes, weights.raw_data(),
        d.workspace_bytes, workspace.raw_data(), d.reserve_bytes, reserve.raw_data()));
    TF_CUDNN_CHECK(cudnnRNNBackwardWeights_v8(handle, d.rnn.get(), CUDNN_WGRAD_MODE_ADD, len, d.x.get(), o.x.raw_data(),
                                              d.h.get(), o.h0.raw_data(), d.y.get(), y.raw_data(), d.weight_bytes,
                                              dweights.raw_data(), d.workspace_bytes, workspace.raw_data(),
                                              d.reserve_bytes, reserve.raw_data()));
    move_weights(handle, d, c, dweights.raw_data(), grads, /*to_space=*/false, o.dt, o.stream);
  }
  // dx: back to the input's step order, zero past each row's end.
  dx = c.reorder_inputs(dx, o.dev);
  if (c.has_lengths) dx = dx * c.step_mask(o.dev, o.dt);
  if (c.any_empty_row) {
    dhx = where(empty, ctx.input(10), dhx);
    if (c.lstm()) dcx = where(empty, ctx.input(11), dcx);
  }
  const Tensor dkernel = reshape(transpose(grads.input, {2, 0, 1}), Shape{c.D, c.G * c.U});
  const Tensor drecurrent = reshape(transpose(grads.recurrent, {2, 0, 1}), Shape{c.U, c.G * c.U});
  const Tensor dbias =
      c.mode == ops::RnnMode::kGru ? stack({grads.input_bias, grads.recurrent_bias}, 0) : grads.input_bias;
  for (const Tensor& t : {dx, dhx, dcx, dkernel, drecurrent, dbias}) ctx.outputs.push_back(t.contiguous());
}

#else  // no cuDNN: the CPU kernels, on host copies

void cudnn_rnn(KernelContext& ctx) {
  if (!degenerate(ctx)) note_cpu_fallback(ctx, "Tapeflow was built without cuDNN");
  run_cpu_kernel(ctx);
}
void cudnn_rnn_grad(KernelContext& ctx) {
  if (!degenerate(ctx)) note_cpu_fallback(ctx, "Tapeflow was built without cuDNN");
  run_cpu_kernel(ctx);
}

#endif  // TAPEFLOW_HAS_CUDNN

}  // namespace

void register_rnn_kernels() {
  register_kernel(ops::CudnnRNN, DeviceType::kGPU, cudnn_rnn);
  register_kernel(ops::CudnnRNNGrad, DeviceType::kGPU, cudnn_rnn_grad);
}

}  // namespace tapeflow::kernels::cuda
