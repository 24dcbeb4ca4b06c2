// CPU kernels of the creation ops Fill and Range.
#include <algorithm>
#include <type_traits>

#include "tapeflow/core/ops/creation.h"
#include "tapeflow/kernels/cpu/parallel.h"
#include "tapeflow/kernels/cpu/registration.h"

namespace tapeflow::kernels::cpu {
namespace {

void fill_kernel(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  const auto& attrs = ctx.attr<ops::FillAttrs>();
  visit_pod(out.dtype(), "Fill", [&]<typename T>() {
    T v = attrs.value.to<T>();
    T* p = out.data<T>();
    parallel_for(out.size(), kParallelGrain, [&](int64_t b, int64_t e) { std::fill(p + b, p + e, v); });
  });
}

void range_kernel(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  const auto& a = ctx.attr<ops::RangeAttrs>();
  visit_numeric(out.dtype(), "Range", [&]<typename T>() {
    T* p = out.data<T>();
    for (int64_t i = 0; i < out.size(); ++i) {
      if constexpr (std::is_integral_v<T>) {
        p[i] = static_cast<T>(a.istart + i * a.idelta);
      } else {  // Note [Range in T's arithmetic]: start + T(i)·delta, each operation rounded to T
        using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
        const T step(static_cast<C>(T(static_cast<C>(i))) * static_cast<C>(a.delta));
        p[i] = T(static_cast<C>(a.start) + static_cast<C>(step));
      }
    }
  });
}

}  // namespace

void register_creation_kernels() {
  register_kernel(ops::Fill, DeviceType::kCPU, fill_kernel);
  register_kernel(ops::Range, DeviceType::kCPU, range_kernel);
}

}  // namespace tapeflow::kernels::cpu
