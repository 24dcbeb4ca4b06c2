// CPU kernels of the fused training ops (core/ops/training.h): one parallel loop over the
// elements of all variables of the step, so a step forks the thread pool once (or not at all
// for small models) instead of once per elementwise op and variable.
#include <algorithm>
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
template <typename T, typename Update>
void run_update(KernelContext& ctx, const Update& update) {
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
      // The lists never alias (distinct variables, private buffers), so the loop may vectorize.
#pragma omp simd
      for (int64_t i = b; i < e; ++i) update(p, i);
    }
  });
}

template <template <typename> class Kernel>
void typed(KernelContext& ctx) {
  if (ctx.input(0).dtype() == DType::kFloat64) Kernel<double>::run(ctx);
  else Kernel<float>::run(ctx);
}

template <typename T>
struct GradientDescent {
  static void run(KernelContext& ctx) {
    const auto& a = ctx.attr<ops::FusedApplyAttrs>();
    run_update<T>(ctx, GradientDescentUpdate<T>{T(a.learning_rate), T(a.decay)});
  }
};

template <typename T>
struct KerasMomentum {
  static void run(KernelContext& ctx) {
    const auto& a = ctx.attr<ops::FusedApplyAttrs>();
    if (a.nesterov) run_update<T>(ctx, KerasMomentumUpdate<T, true>{T(a.learning_rate), T(a.momentum), T(a.decay)});
    else run_update<T>(ctx, KerasMomentumUpdate<T, false>{T(a.learning_rate), T(a.momentum), T(a.decay)});
  }
};

template <typename T>
struct Adam {
  static void run(KernelContext& ctx) {
    const auto& a = ctx.attr<ops::FusedApplyAttrs>();
    const T alpha(a.learning_rate), c1(1.0 - a.beta_1), c2(1.0 - a.beta_2), eps(a.epsilon), decay(a.decay);
    if (a.amsgrad) run_update<T>(ctx, AdamUpdate<T, true>{alpha, c1, c2, eps, decay});
    else run_update<T>(ctx, AdamUpdate<T, false>{alpha, c1, c2, eps, decay});
  }
};

template <typename T>
struct Adagrad {
  static void run(KernelContext& ctx) {
    const auto& a = ctx.attr<ops::FusedApplyAttrs>();
    run_update<T>(ctx, AdagradUpdate<T>{T(a.learning_rate), T(a.epsilon), T(a.decay)});
  }
};

template <typename T>
struct RMSprop {
  static void run(KernelContext& ctx) {
    const auto& a = ctx.attr<ops::FusedApplyAttrs>();
    const bool momentum = int64_t(ctx.inputs.size()) / a.num_vars == 4 + int64_t(a.centered);
    const T lr(a.learning_rate), rho(a.rho), omr(1.0 - a.rho), mom(a.momentum), eps(a.epsilon), decay(a.decay);
    if (a.centered && momentum) run_update<T>(ctx, RMSpropUpdate<T, true, true>{lr, rho, omr, mom, eps, decay});
    else if (a.centered) run_update<T>(ctx, RMSpropUpdate<T, true, false>{lr, rho, omr, mom, eps, decay});
    else if (momentum) run_update<T>(ctx, RMSpropUpdate<T, false, true>{lr, rho, omr, mom, eps, decay});
    else run_update<T>(ctx, RMSpropUpdate<T, false, false>{lr, rho, omr, mom, eps, decay});
  }
};

}  // namespace

void register_training_kernels() {
  register_kernel(ops::FusedApplyGradientDescent, DeviceType::kCPU, typed<GradientDescent>);
  register_kernel(ops::FusedApplyKerasMomentum, DeviceType::kCPU, typed<KerasMomentum>);
  register_kernel(ops::FusedApplyAdam, DeviceType::kCPU, typed<Adam>);
  register_kernel(ops::FusedApplyAdagrad, DeviceType::kCPU, typed<Adagrad>);
  register_kernel(ops::FusedApplyRMSProp, DeviceType::kCPU, typed<RMSprop>);
}

}  // namespace tapeflow::kernels::cpu
