// CUDA kernels of the unary elementwise ops and activations (mirroring kernels/cpu/unary.cpp,
// same functors, registered per row of core/ops/unary_table.h), SelectV2 (three-way broadcasting where) and Where
// (coordinates of true elements; its output size depends on the data, so the count is read back to the host).
#include <algorithm>
#include <type_traits>
#include <vector>

#include "tapeflow/core/device_backend.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/kernels/cuda/elementwise.cuh"
#include "tapeflow/kernels/cuda/registration.h"

namespace tapeflow::kernels::cuda {
namespace {

// ---- kernels ------------------------------------------------------------------------------

template <typename T>
__global__ void select_kernel(const bool* __restrict__ c, const T* __restrict__ x, const T* __restrict__ y,
                              T* __restrict__ o, int64_t n, StridedIndexer<3> ix) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[3];
    ix.offsets(i, off);
    o[i] = c[off[0]] ? x[off[1]] : y[off[2]];
  }
}

// ---- launchers ----------------------------------------------------------------------------

/// The kernel of a unary_table.h row: `Fn` over the dtypes the row accepts.
template <typename Fn, ops::UnaryAccepts kAccepts, ops::UnaryOutput kOutput> void table_kernel(KernelContext& ctx) {
  cudaStream_t s = stream_of(ctx);
  const Tensor& x = ctx.input(0);
  Tensor& out = ctx.output(0);
  auto run = [&]<typename T>() {
    using Out = std::conditional_t<kOutput == ops::UnaryOutput::Bool, bool, T>;
    run_unary<Fn, T, Out>(x, out, s);
  };
  if constexpr (kAccepts == ops::UnaryAccepts::Bool) {
    run.template operator()<bool>();
  } else if constexpr (kAccepts == ops::UnaryAccepts::Floating) {
    visit_floating(x.dtype(), ctx.op.name, run);
  } else {
    visit_numeric(x.dtype(), ctx.op.name, run);
  }
}
void leaky_relu_kernel(KernelContext& ctx) {
  cudaStream_t s = stream_of(ctx);
  LeakyReluFn fn{ctx.attr<ops::LeakyReluAttrs>().alpha};
  visit_floating(ctx.input(0).dtype(), ctx.op.name,
                 [&]<typename T>() { run_unary<LeakyReluFn, T, T>(ctx.input(0), ctx.output(0), s, fn); });
}
void gelu_kernel(KernelContext& ctx) {
  using ops::UnaryAccepts, ops::UnaryOutput;
  if (ctx.attr<ops::GeluAttrs>().approximate)
    return table_kernel<GeluTanhFn, UnaryAccepts::Floating, UnaryOutput::Same>(ctx);
  table_kernel<GeluFn, UnaryAccepts::Floating, UnaryOutput::Same>(ctx);
}

void select_kernel_fn(KernelContext& ctx) {
  const Tensor &c = ctx.input(0), &x = ctx.input(1), &y = ctx.input(2);
  Tensor& out = ctx.output(0);
  const int64_t n = out.size();
  if (n == 0) return;
  cudaStream_t s = stream_of(ctx);
  auto ix = make_indexer<3>(
      out.shape(),
      {broadcast_strides(c, out.shape()), broadcast_strides(x, out.shape()), broadcast_strides(y, out.shape())},
      "SelectV2");
  // Selection moves values without interpreting them: dispatch on element size only.
  auto launch = [&]<typename W>() {
    select_kernel<W><<<blocks_for(n), kThreads, 0, s>>>(
        static_cast<const bool*>(c.raw_data()), static_cast<const W*>(x.raw_data()),
        static_cast<const W*>(y.raw_data()), static_cast<W*>(out.raw_data()), n, ix);
    TF_CUDA_LAUNCH_CHECK("select_kernel");
  };
  switch (dtype_size(x.dtype())) {
    case 1: launch.template operator()<uint8_t>(); break;
    case 2: launch.template operator()<uint16_t>(); break;
    case 4: launch.template operator()<uint32_t>(); break;
    default: launch.template operator()<uint64_t>(); break;
  }
}

// Where(cond): the output's size is data-dependent, so the condition comes to the host (one
// synchronizing read, as TF's GPU kernel also waits for the count) and the coordinates go back.
void where_kernel_fn(KernelContext& ctx) {
  const Tensor& c = ctx.input(0);
  std::vector<bool> host = c.to_vector<bool>();
  const int r = c.ndim();
  DimVector st = contiguous_strides(c.shape());
  std::vector<int64_t> coords;
  for (std::size_t i = 0; i < host.size(); ++i) {
    if (!host[i]) continue;
    int64_t rem = static_cast<int64_t>(i);
    for (int d = 0; d < r; ++d) {
      coords.push_back(rem / st[static_cast<std::size_t>(d)]);
      rem %= st[static_cast<std::size_t>(d)];
    }
  }
  const int64_t count =
      r ? static_cast<int64_t>(coords.size()) / r : static_cast<int64_t>(std::count(host.begin(), host.end(), true));
  Tensor out = Tensor::empty(Shape{count, r}, DType::kInt64, ctx.device);
  device_backend(DeviceType::kGPU)->copy(out.raw_data(), ctx.device, coords.data(), kCPU0, coords.size() * 8);
  ctx.outputs.push_back(out);
}

}  // namespace

void register_unary_kernels() {
  const DeviceType gpu = DeviceType::kGPU;
#define TAPEFLOW_REGISTER_KERNEL(Op, fn, Functor, Accepts, Output) \
  register_kernel(ops::Op, gpu, table_kernel<Functor, ops::UnaryAccepts::Accepts, ops::UnaryOutput::Output>);
  TAPEFLOW_UNARY_OPS(TAPEFLOW_REGISTER_KERNEL)
#undef TAPEFLOW_REGISTER_KERNEL
  register_kernel(ops::LeakyRelu, gpu, leaky_relu_kernel);
  register_kernel(ops::Gelu, gpu, gelu_kernel);
  register_kernel(ops::SelectV2, gpu, select_kernel_fn);
  register_kernel(ops::Where, gpu, where_kernel_fn);
}

}  // namespace tapeflow::kernels::cuda
