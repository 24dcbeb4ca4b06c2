// CPU kernels that move or produce values without arithmetic: strided Copy (making a view
// contiguous), Cast, Fill and Range.
#include <cmath>
#include <cstring>
#include <limits>

#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/copy.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/registration.h"

namespace tapeflow::kernels::cpu {
namespace {

template <typename From, typename To>
inline To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return static_cast<double>(v) != 0.0;
  } else if constexpr (std::is_integral_v<To> && !std::is_integral_v<From>) {
    // Float to int truncates toward zero; NaN and out-of-range values become 0 instead of UB.
    double d = static_cast<double>(v);
    if (!(d >= static_cast<double>(std::numeric_limits<To>::min()) &&
          d < static_cast<double>(std::numeric_limits<To>::max()) + 1.0))
      return To(0);
    return static_cast<To>(d);
  } else if constexpr (std::is_arithmetic_v<To> && std::is_arithmetic_v<From>) {
    return static_cast<To>(v);
  } else {
    return To(static_cast<float>(v));
  }
}

template <typename From, typename To>
void cast_typed(const Tensor& in, Tensor& out) {
  std::array<DimVector, 2> strides = {in.strides(), out.strides()};
  StridedLoop<2> loop = make_loop<2>(in.shape(), strides);
  run_loop<2>(loop, {(char*)in.raw_data(), (char*)out.raw_data()}, {sizeof(From), sizeof(To)},
              [](const std::array<char*, 2>& p, int64_t n, const std::array<int64_t, 2>& s) {
                const From* a = (const From*)p[0];
                To* o = (To*)p[1];
                for (int64_t i = 0; i < n; ++i) o[i * s[1]] = convert<From, To>(a[i * s[0]]);
              });
}

void cast_kernel(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  if (in.size() == 0) return;
  visit_pod(in.dtype(), "Cast", [&]<typename From>() {
    visit_pod(ctx.output(0).dtype(), "Cast", [&]<typename To>() { cast_typed<From, To>(in, ctx.output(0)); });
  });
}

void copy_kernel(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  Tensor& out = ctx.output(0);
  if (in.size() == 0) return;
  if (in.dtype() == DType::kString) {
    std::array<DimVector, 2> strides = {in.strides(), out.strides()};
    StridedLoop<2> loop = make_loop<2>(in.shape(), strides);
    run_loop<2>(loop, {(char*)in.raw_data(), (char*)out.raw_data()}, {sizeof(std::string), sizeof(std::string)},
                [](const std::array<char*, 2>& p, int64_t n, const std::array<int64_t, 2>& s) {
                  for (int64_t i = 0; i < n; ++i) ((std::string*)p[1])[i * s[1]] = ((const std::string*)p[0])[i * s[0]];
                });
    return;
  }
  // Copy by element size only: the values are not interpreted.
  auto copy_as = [&]<typename W>() {
    std::array<DimVector, 2> strides = {in.strides(), out.strides()};
    StridedLoop<2> loop = make_loop<2>(in.shape(), strides);
    run_loop<2>(loop, {(char*)in.raw_data(), (char*)out.raw_data()}, {sizeof(W), sizeof(W)},
                [](const std::array<char*, 2>& p, int64_t n, const std::array<int64_t, 2>& s) {
                  const W* a = (const W*)p[0];
                  W* o = (W*)p[1];
                  if (s[0] == 1 && s[1] == 1) { std::memcpy(o, a, static_cast<std::size_t>(n) * sizeof(W)); return; }
                  for (int64_t i = 0; i < n; ++i) o[i * s[1]] = a[i * s[0]];
                });
  };
  switch (dtype_size(in.dtype())) {
    case 1: copy_as.template operator()<uint8_t>(); break;
    case 2: copy_as.template operator()<uint16_t>(); break;
    case 4: copy_as.template operator()<uint32_t>(); break;
    default: copy_as.template operator()<uint64_t>(); break;
  }
}

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
      if constexpr (std::is_integral_v<T>) p[i] = static_cast<T>(a.istart + i * a.idelta);
      else p[i] = T(a.start + static_cast<double>(i) * a.delta);
    }
  });
}

}  // namespace

void register_copy_kernels() {
  register_kernel(ops::Copy, DeviceType::kCPU, copy_kernel);
  register_kernel(ops::Cast, DeviceType::kCPU, cast_kernel);
  register_kernel(ops::Fill, DeviceType::kCPU, fill_kernel);
  register_kernel(ops::Range, DeviceType::kCPU, range_kernel);
}

}  // namespace tapeflow::kernels::cpu
