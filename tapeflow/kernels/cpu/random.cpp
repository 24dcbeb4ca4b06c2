// CPU kernels of the random ops and dropout: each thread takes a run of output groups and
// draws them straight from the Philox stream (Note [Counter-based random numbers]), so the
// values do not depend on the thread count.
#include "tapeflow/core/ops/random.h"
#include "tapeflow/kernels/dropout.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/registration.h"
#include "tapeflow/kernels/philox.h"

namespace tapeflow::kernels::cpu {
namespace {
namespace px = philox;

/// Groups per thread chunk: a group costs 10-50 ns (ten Philox rounds, maybe Box-Muller), so 2048
/// groups are 20-100 us, well above an OpenMP fork/join.
constexpr int64_t kGrainGroups = 2048;

/// out[i] = post(sample i) for the n elements of out; samples of type S come in groups, group g
/// drawn by dist(stream, g, buf).
template <typename S, typename Out, typename Dist, typename Post>
void fill_groups(Out* out, int64_t n, const px::Stream& stream, const Dist& dist, const Post& post) {
  constexpr int kGroup = px::kGroupSize<S>;
  const int64_t groups = (n + kGroup - 1) / kGroup;
  parallel_for(groups, kGrainGroups, [&](int64_t begin, int64_t end) {
    S buf[kGroup];
    for (int64_t g = begin; g < end; ++g) {
      dist(stream, static_cast<uint64_t>(g), buf);
      const int64_t base = g * kGroup;
      const int64_t m = std::min<int64_t>(kGroup, n - base);  // the last group may be partial
      for (int64_t j = 0; j < m; ++j) out[base + j] = post(buf[j]);
    }
  });
}

px::Stream stream_of(const ops::RandomAttrs& a) { return px::Stream(a.seed, a.seed2, a.offset); }

/// Normal, truncated normal and float uniform: a unit sample, then TF's `* scale + shift`.
template <template <typename> class Dist> void floating_kernel(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  const auto& a = ctx.attr<ops::RandomAttrs>();
  visit_floating(out.dtype(), ctx.op.name, [&]<typename T>() {
    const T scale = T(a.scale), shift = T(a.shift);
    fill_groups<T>(out.data<T>(), out.size(), stream_of(a), Dist<T>{},
                   [&](T v) { return px::scale_shift(v, scale, shift); });
  });
}

void uniform_int_kernel(KernelContext& ctx) {
  Tensor& out = ctx.output(0);
  const auto& a = ctx.attr<ops::RandomAttrs>();
  auto run = [&]<typename T>() {
    using U = std::make_unsigned_t<T>;
    const px::UniformInt<T> dist{static_cast<T>(a.minval), static_cast<U>(a.range)};
    fill_groups<T>(out.data<T>(), out.size(), stream_of(a), dist, [](T v) { return v; });
  };
  if (out.dtype() == DType::kInt32)
    run.template operator()<int32_t>();
  else
    run.template operator()<int64_t>();
}

/// y = where(u >= rate, x * (1 / (1 - rate)), 0) with u ~ U[0, 1) in x's dtype over noise_shape,
/// broadcast to x (TF's _dropout, step for step). The mask is drawn first, then applied with a
/// strided, broadcasting loop.
void dropout_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& out = ctx.output(0);
  const auto& a = ctx.attr<ops::DropoutAttrs>();
  if (out.size() == 0) return;
  visit_floating(x.dtype(), "Dropout", [&]<typename T>() {
    const T rate = T(a.rate), scale = T(1.0 / (1.0 - a.rate));
    Tensor keep = Tensor::empty(ops::dropout_noise_shape(a, x.shape()), DType::kUInt8, kCPU0);
    fill_groups<T>(keep.data<uint8_t>(), keep.size(), px::Stream(a.seed, a.seed2, a.offset), px::UniformUnit<T>{},
                   DropoutKeep<T>{rate});
    std::array<DimVector, 3> strides = {x.strides(), broadcast_strides(keep, x.shape()), out.strides()};
    StridedLoop<3> loop = make_loop<3>(x.shape(), strides);
    run_loop<3>(loop, {(char*)x.raw_data(), (char*)keep.raw_data(), (char*)out.raw_data()},
                {sizeof(T), sizeof(uint8_t), sizeof(T)},
                [&](const std::array<char*, 3>& p, int64_t n, const std::array<int64_t, 3>& s) {
                  const T* in = (const T*)p[0];
                  const uint8_t* k = (const uint8_t*)p[1];
                  T* o = (T*)p[2];
                  for (int64_t i = 0; i < n; ++i) o[i * s[2]] = dropout_value(in[i * s[0]], k[i * s[1]], scale);
                });
  });
}

}  // namespace

void register_random_kernels() {
  register_kernel(ops::RandomStandardNormal, DeviceType::kCPU, floating_kernel<px::StandardNormal>);
  register_kernel(ops::TruncatedNormal, DeviceType::kCPU, floating_kernel<px::TruncatedStandardNormal>);
  register_kernel(ops::RandomUniform, DeviceType::kCPU, floating_kernel<px::UniformUnit>);
  register_kernel(ops::RandomUniformInt, DeviceType::kCPU, uniform_int_kernel);
  register_kernel(ops::Dropout, DeviceType::kCPU, dropout_kernel);
}

}  // namespace tapeflow::kernels::cpu
