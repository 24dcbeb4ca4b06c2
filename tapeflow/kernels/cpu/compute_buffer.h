// Kernels that compute float16/bfloat16 in float (BLAS-backed convolution, pooling): the
// inputs are widened to float copies once, the kernel runs on compute-type pointers, and the
// float result is rounded into the half output once at the end, as TF's CPU kernels do.
#pragma once
#include <array>
#include <type_traits>
#include <vector>

#include "tapeflow/core/tensor.h"
#include "tapeflow/kernels/cpu/parallel.h"
#include "tapeflow/kernels/functors.h"

namespace tapeflow::kernels::cpu {

/// Calls fn(ins, outs) with std::array<const C*, NI> and std::array<C*, NO>, C = compute_t<T>.
/// Inputs must be contiguous, outputs are the kernel's (contiguous) outputs.
template <typename T, std::size_t NI, std::size_t NO, typename F>
void with_compute_pointers(const std::array<const Tensor*, NI>& ins, const std::array<Tensor*, NO>& outs, F&& fn) {
  using C = compute_t<T>;
  std::array<const C*, NI> in_ptrs;
  std::array<C*, NO> out_ptrs;
  if constexpr (std::is_same_v<C, T>) {
    for (std::size_t i = 0; i < NI; ++i) in_ptrs[i] = static_cast<const C*>(ins[i]->raw_data());
    for (std::size_t i = 0; i < NO; ++i) out_ptrs[i] = static_cast<C*>(outs[i]->raw_data());
    fn(in_ptrs, out_ptrs);
  } else {
    std::array<std::vector<C>, NI> in_buf;
    std::array<std::vector<C>, NO> out_buf;
    for (std::size_t i = 0; i < NI; ++i) {
      const T* src = static_cast<const T*>(ins[i]->raw_data());
      auto& buf = in_buf[i];
      buf.resize(static_cast<std::size_t>(ins[i]->size()));
      parallel_for(ins[i]->size(), kParallelGrain, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) buf[static_cast<std::size_t>(j)] = static_cast<C>(src[j]);
      });
      in_ptrs[i] = buf.data();
    }
    for (std::size_t i = 0; i < NO; ++i) {
      out_buf[i].resize(static_cast<std::size_t>(outs[i]->size()));
      out_ptrs[i] = out_buf[i].data();
    }
    fn(in_ptrs, out_ptrs);
    for (std::size_t i = 0; i < NO; ++i) {
      T* dst = static_cast<T*>(outs[i]->raw_data());
      const auto& buf = out_buf[i];
      parallel_for(outs[i]->size(), kParallelGrain, [&](int64_t b, int64_t e) {
        for (int64_t j = b; j < e; ++j) dst[j] = T(buf[static_cast<std::size_t>(j)]);
      });
    }
  }
}

}  // namespace tapeflow::kernels::cpu
