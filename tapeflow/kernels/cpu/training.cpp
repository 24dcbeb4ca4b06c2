// CPU kernels of the fused training ops (core/ops/training.h): one parallel loop over the
// elements of all variables of the step, so a step forks the thread pool once (or not at all
// for small models) instead of once per elementwise op and variable.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "tapeflow/core/ops/training.h"
#include "tapeflow/kernels/cpu/parallel.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/training.h"

namespace tapeflow::kernels::cpu {
namespace {

/// Elements below which a step's update stays on the calling thread. Higher than the
/// elementwise grain: the update runs once per step between matmuls, and on a busy machine a
/// fork/join there costs a scheduler wake-up of the pool (and lets the pool's spinning threads
/// compete with OpenBLAS's) for ~3 ns/element of work; 256K elements (~1 ms) is where splitting
/// pays even then. A 784x100 MLP (79K parameters) updates on one thread.
constexpr int64_t kUpdateGrain = int64_t{1} << 18;

/// Runs `update` over every element of the op's num_vars variables. Inputs are kLists lists of
/// num_vars contiguous tensors (Note [Fused training ops write in place] makes writing legal).
template <typename T, typename Update> void run_update(KernelContext& ctx, const Update& update) {
  constexpr int kLists = Update::kLists;
  const auto n = static_cast<std::size_t>(ctx.attr<ops::FusedApplyAttrs>().num_vars);
  // begin[k]: the first element of variable k in the concatenated index space.
  std::vector<int64_t> begin(n + 1, 0);
  for (std::size_t k = 0; k < n; ++k) begin[k + 1] = begin[k] + ctx.input(k).size();
  auto ptr = [&](int list, std::size_t k) { return static_cast<T*>(ctx.input(std::size_t(list) * n + k).raw_data()); };
  parallel_for(begin[n], kUpdateGrain, [&](int64_t lo, int64_t hi) {
    auto k = static_cast<std::size_t>(std::upper_bound(begin.begin(), begin.end(), lo) - begin.begin() - 1);
    for (; k < n && begin[k] < hi; ++k) {
      T* p[kLists];
      for (int l = 0; l < kLists; ++l) p[l] = ptr(l, k);
      const int64_t b = std::max(lo, begin[k]) - begin[k], e = std::min(hi, begin[k + 1]) - begin[k];
      // The lists never alias (distinct variables, private buffers), so the loop may vectorize;
      // a local copy of the update keeps its coefficients in registers (stores through p could
      // otherwise alias them, and GCC then gives up on the loop).
      const Update u = update;
#pragma omp simd
      for (int64_t i = b; i < e; ++i) u(p, i);
    }
  });
}

/// The kernel of fused op kOp: the update its attributes select, over all its variables, at the
/// rates of its trailing scalar inputs when it has them (Note [Rates as inputs]).
template <FusedOp kOp> void fused_apply(KernelContext& ctx) {
  with_fused_apply<kOp>(ctx, ctx.attr<ops::FusedApplyAttrs>(), [&](auto update, const RateInputs& rates) {
    if (rates.lr) rates.apply(update);
    run_update<typename decltype(update)::value_type>(ctx, update);
  });
}

}  // namespace

void register_training_kernels() {
  register_kernel(ops::FusedApplyGradientDescent, DeviceType::kCPU, fused_apply<FusedOp::kGradientDescent>);
  register_kernel(ops::FusedApplyKerasMomentum, DeviceType::kCPU, fused_apply<FusedOp::kKerasMomentum>);
  register_kernel(ops::FusedApplyAdam, DeviceType::kCPU, fused_apply<FusedOp::kAdam>);
  register_kernel(ops::FusedApplyAdagrad, DeviceType::kCPU, fused_apply<FusedOp::kAdagrad>);
  register_kernel(ops::FusedApplyRMSProp, DeviceType::kCPU, fused_apply<FusedOp::kRMSProp>);
}

}  // namespace tapeflow::kernels::cpu
