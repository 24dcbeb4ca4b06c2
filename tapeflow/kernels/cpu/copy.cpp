// CPU kernel of Copy (making a strided view contiguous) and copy_into, the strided copy other
// kernels write views with.
#include <cstring>
#include <string>

#include "tapeflow/core/ops/copy.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/registration.h"

namespace tapeflow::kernels::cpu {

void copy_into(const Tensor& src, const Tensor& dst) {
  if (src.size() == 0) return;
  std::array<DimVector, 2> strides = {src.strides(), dst.strides()};
  StridedLoop<2> loop = make_loop<2>(src.shape(), strides);
  const std::size_t es = dtype_size(src.dtype());
  char* s = static_cast<char*>(src.raw_data());
  char* d = static_cast<char*>(dst.raw_data());
  if (src.dtype() == DType::kString) {
    run_loop<2>(loop, {s, d}, {static_cast<int64_t>(es), static_cast<int64_t>(es)},
                [](const std::array<char*, 2>& p, int64_t n, const std::array<int64_t, 2>& st) {
                  for (int64_t i = 0; i < n; ++i)
                    ((std::string*)p[1])[i * st[1]] = ((const std::string*)p[0])[i * st[0]];
                });
    return;
  }
  run_loop<2>(loop, {s, d}, {static_cast<int64_t>(es), static_cast<int64_t>(es)},
              [es](const std::array<char*, 2>& p, int64_t n, const std::array<int64_t, 2>& st) {
                if (st[0] == 1 && st[1] == 1) {
                  std::memcpy(p[1], p[0], static_cast<std::size_t>(n) * es);
                  return;
                }
                for (int64_t i = 0; i < n; ++i)
                  std::memcpy(p[1] + i * st[1] * static_cast<int64_t>(es), p[0] + i * st[0] * static_cast<int64_t>(es),
                              es);
              });
}
namespace {

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
                  if (s[0] == 1 && s[1] == 1) {
                    std::memcpy(o, a, static_cast<std::size_t>(n) * sizeof(W));
                    return;
                  }
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

}  // namespace

void register_copy_kernels() { register_kernel(ops::Copy, DeviceType::kCPU, copy_kernel); }

}  // namespace tapeflow::kernels::cpu
