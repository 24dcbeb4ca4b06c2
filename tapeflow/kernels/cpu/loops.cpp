#include "tapeflow/kernels/cpu/loops.h"

namespace tapeflow::kernels::cpu {

DimVector broadcast_strides(const Tensor& t, const Shape& out_shape) {
  const int r = out_shape.rank(), tr = t.ndim();
  DimVector s(static_cast<std::size_t>(r), 0);
  for (int i = 0; i < tr; ++i) {
    int o = r - tr + i;
    s[static_cast<std::size_t>(o)] = (t.shape()[i] == 1 && out_shape[o] != 1) ? 0 : t.strides()[static_cast<std::size_t>(i)];
  }
  return s;
}

}  // namespace tapeflow::kernels::cpu

#include <cstring>
#include <string>

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
                  for (int64_t i = 0; i < n; ++i) ((std::string*)p[1])[i * st[1]] = ((const std::string*)p[0])[i * st[0]];
                });
    return;
  }
  run_loop<2>(loop, {s, d}, {static_cast<int64_t>(es), static_cast<int64_t>(es)},
              [es](const std::array<char*, 2>& p, int64_t n, const std::array<int64_t, 2>& st) {
                if (st[0] == 1 && st[1] == 1) { std::memcpy(p[1], p[0], static_cast<std::size_t>(n) * es); return; }
                for (int64_t i = 0; i < n; ++i) std::memcpy(p[1] + i * st[1] * static_cast<int64_t>(es),
                                                            p[0] + i * st[0] * static_cast<int64_t>(es), es);
              });
}

}  // namespace tapeflow::kernels::cpu
