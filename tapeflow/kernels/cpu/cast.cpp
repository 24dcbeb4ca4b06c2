// CPU kernel of Cast: every dtype pair, any strides (kernels/cast.h holds the conversion).
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/kernels/cast.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/registration.h"

namespace tapeflow::kernels::cpu {
namespace {

template <typename From, typename To> void cast_typed(const Tensor& in, Tensor& out) {
  std::array<DimVector, 2> strides = {in.strides(), out.strides()};
  StridedLoop<2> loop = make_loop<2>(in.shape(), strides);
  run_loop<2>(loop, {(char*)in.raw_data(), (char*)out.raw_data()}, {sizeof(From), sizeof(To)},
              [](const std::array<char*, 2>& p, int64_t n, const std::array<int64_t, 2>& s) {
                const From* a = (const From*)p[0];
                To* o = (To*)p[1];
                for (int64_t i = 0; i < n; ++i) o[i * s[1]] = cast_value<From, To>(a[i * s[0]]);
              });
}

void cast_kernel(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  if (in.size() == 0) return;
  visit_pod(in.dtype(), "Cast", [&]<typename From>() {
    visit_pod(ctx.output(0).dtype(), "Cast", [&]<typename To>() { cast_typed<From, To>(in, ctx.output(0)); });
  });
}

}  // namespace

void register_cast_kernels() { register_kernel(ops::Cast, DeviceType::kCPU, cast_kernel); }

}  // namespace tapeflow::kernels::cpu
