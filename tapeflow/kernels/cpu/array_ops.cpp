// CPU kernels of the copying shape ops: concat, tile, pad (constant and mirror), gather,
// gather_nd and one_hot. Index values are validated before any parallel region.
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "tapeflow/kernels/functors.h"

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/kernels/array_geometry.h"
#include "tapeflow/kernels/cpu/loops.h"
#include "tapeflow/kernels/cpu/registration.h"

namespace tapeflow::kernels::cpu {
namespace {

/// A view of `out` restricted to [start, start + len) along `axis`.
void concat_kernel(KernelContext& ctx) {
  concat_slots(ctx.inputs, ctx.output(0), ctx.attr<ops::AxisAttrs>().axis,
               [](const Tensor& in, const Tensor& slot) { copy_into(in, slot); });
}

void tile_kernel(KernelContext& ctx) {
  if (ctx.output(0).size() == 0) return;
  auto [src, dst] = tile_views(ctx.input(0), ctx.output(0), ctx.attr<ops::TileAttrs>().multiples);
  copy_into(src, dst);
}

/// For each output position along one axis, the source index (-1: the constant).
std::vector<int64_t> pad_map(int64_t n, int64_t before, int64_t after, int mode) {
  std::vector<int64_t> m;
  for (int64_t o = 0; o < n + before + after; ++o) m.push_back(pad_source(o, n, before, mode));
  return m;
}

void pad_kernel(KernelContext& ctx) {
  const Tensor x = ctx.input(0).contiguous();
  Tensor& out = ctx.output(0);
  const auto& a = ctx.attr<ops::PadAttrs>();
  const int r = x.ndim();
  if (out.size() == 0) return;
  std::vector<std::vector<int64_t>> maps;
  for (int i = 0; i < r; ++i)
    maps.push_back(pad_map(x.shape()[i], a.paddings[static_cast<std::size_t>(i)].first,
                           a.paddings[static_cast<std::size_t>(i)].second, a.mode));
  if (a.mode == 0 && x.dtype() != DType::kString) {
    // CONSTANT: fill the output, then copy the input into its interior (a strided view), both
    // threaded; the element-by-element walk below costs ~10x the memory traffic.
    visit_pod(x.dtype(), "PadV2", [&]<typename T>() {
      const T fill = a.constant_value.to<T>();
      T* o = static_cast<T*>(out.raw_data());
      parallel_for(out.size(), kParallelGrain, [&](int64_t b, int64_t e) { std::fill(o + b, o + e, fill); });
    });
    Tensor interior = narrow(out, 0, a.paddings[0].first, x.shape()[0]);
    for (int i = 1; i < r; ++i)
      interior = narrow(interior, i, a.paddings[static_cast<std::size_t>(i)].first, x.shape()[i]);
    copy_into(x, interior);
    return;
  }
  DimVector xs = x.strides();
  visit_all(x.dtype(), "PadV2", [&]<typename T>() {
    const T* in = static_cast<const T*>(x.raw_data());
    T* o = static_cast<T*>(out.raw_data());
    T fill{};
    if constexpr (!std::is_same_v<T, std::string>) fill = a.constant_value.to<T>();
    DimVector idx(static_cast<std::size_t>(r), 0);
    for (int64_t k = 0; k < out.size(); ++k) {
      int64_t src = 0;
      bool constant = false;
      for (int d = 0; d < r; ++d) {
        int64_t m = maps[static_cast<std::size_t>(d)][static_cast<std::size_t>(idx[static_cast<std::size_t>(d)])];
        if (m < 0) {
          constant = true;
          break;
        }
        src += m * xs[static_cast<std::size_t>(d)];
      }
      o[k] = constant ? fill : in[src];
      for (int d = r - 1; d >= 0; --d) {
        if (++idx[static_cast<std::size_t>(d)] < out.shape()[d]) break;
        idx[static_cast<std::size_t>(d)] = 0;
      }
    }
  });
}

/// Reads index i of an int32/int64 tensor as int64.
std::vector<int64_t> index_values(const Tensor& t) {
  Tensor c = t.contiguous();
  std::vector<int64_t> v(static_cast<std::size_t>(c.size()));
  if (v.empty()) return v;  // an empty tensor's data pointer may be null, which memcpy may not take
  if (c.dtype() == DType::kInt64)
    std::memcpy(v.data(), c.raw_data(), v.size() * 8);
  else if (c.dtype() == DType::kInt32)
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<const int32_t*>(c.raw_data())[i];
  else
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<const uint8_t*>(c.raw_data())[i];
  return v;
}

void gather_kernel(KernelContext& ctx) {
  const Tensor params = ctx.input(0).contiguous();
  const auto& a = ctx.attr<ops::AxisAttrs>();
  std::vector<int64_t> idx = index_values(ctx.input(1));
  const int64_t limit = params.shape()[a.axis];
  for (std::size_t i = 0; i < idx.size(); ++i)
    TF_CHECK_ARG(idx[i] >= 0 && idx[i] < limit, "GatherV2", "indices[", i, "] = ", idx[i], " is not in [0, ", limit,
                 ")");
  int64_t batch = 1, pre = 1, inner = 1;
  for (int i = 0; i < a.batch_dims; ++i) batch *= params.shape()[i];
  for (int i = a.batch_dims; i < a.axis; ++i) pre *= params.shape()[i];
  for (int i = a.axis + 1; i < params.ndim(); ++i) inner *= params.shape()[i];
  const int64_t per_batch = batch ? static_cast<int64_t>(idx.size()) / batch : 0;
  const std::size_t es = dtype_size(params.dtype());
  const bool strings = params.dtype() == DType::kString;
  const char* in = static_cast<const char*>(params.raw_data());
  char* out = static_cast<char*>(ctx.output(0).raw_data());
  int64_t o = 0;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t p = 0; p < pre; ++p)
      for (int64_t j = 0; j < per_batch; ++j) {
        int64_t src = ((b * pre + p) * limit + idx[static_cast<std::size_t>(b * per_batch + j)]) * inner;
        if (strings) {
          for (int64_t k = 0; k < inner; ++k)
            reinterpret_cast<std::string*>(out)[o + k] = reinterpret_cast<const std::string*>(in)[src + k];
        } else {
          std::memcpy(out + o * static_cast<int64_t>(es), in + src * static_cast<int64_t>(es),
                      static_cast<std::size_t>(inner) * es);
        }
        o += inner;
      }
}

void gather_nd_kernel(KernelContext& ctx) {
  const Tensor params = ctx.input(0).contiguous();
  const Tensor& indices = ctx.input(1);
  std::vector<int64_t> idx = index_values(indices);
  const int64_t k = indices.shape().dim(-1);
  const int64_t n = k ? static_cast<int64_t>(idx.size()) / k : indices.size();
  int64_t inner = 1;
  for (int i = static_cast<int>(k); i < params.ndim(); ++i) inner *= params.shape()[i];
  DimVector st = contiguous_strides(params.shape());
  std::vector<int64_t> starts;
  for (int64_t r = 0; r < n; ++r) {
    int64_t src = 0;
    for (int64_t d = 0; d < k; ++d) {
      int64_t v = idx[static_cast<std::size_t>(r * k + d)];
      TF_CHECK_ARG(v >= 0 && v < params.shape()[static_cast<int>(d)], "GatherNd", "indices[", r, "] = [", v,
                   "] does not index into param shape ", params.shape().to_string());
      src += v * st[static_cast<std::size_t>(d)];
    }
    starts.push_back(src);
  }
  const std::size_t es = dtype_size(params.dtype());
  const char* in = static_cast<const char*>(params.raw_data());
  char* out = static_cast<char*>(ctx.output(0).raw_data());
  for (int64_t r = 0; r < n; ++r) {
    if (params.dtype() == DType::kString) {
      for (int64_t j = 0; j < inner; ++j)
        reinterpret_cast<std::string*>(out)[r * inner + j] =
            reinterpret_cast<const std::string*>(in)[starts[static_cast<std::size_t>(r)] + j];
    } else {
      std::memcpy(out + r * inner * static_cast<int64_t>(es),
                  in + starts[static_cast<std::size_t>(r)] * static_cast<int64_t>(es),
                  static_cast<std::size_t>(inner) * es);
    }
  }
}

void one_hot_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::OneHotAttrs>();
  std::vector<int64_t> idx = index_values(ctx.input(0));
  Tensor& out = ctx.output(0);
  // out viewed as (outer, depth, inner) with the depth axis at a.axis.
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < a.axis; ++i) outer *= out.shape()[i];
  for (int i = a.axis + 1; i < out.ndim(); ++i) inner *= out.shape()[i];
  visit_pod(out.dtype(), "OneHot", [&]<typename T>() {
    T on = a.on.to<T>(), off = a.off.to<T>();
    T* o = out.data<T>();
    std::fill(o, o + out.size(), off);
    for (int64_t b = 0; b < outer; ++b)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t v = idx[static_cast<std::size_t>(b * inner + i)];
        if (v >= 0 && v < a.depth) o[(b * a.depth + v) * inner + i] = on;
      }
  });
}

void strided_slice_grad_kernel(KernelContext& ctx) {
  const auto& a = ctx.attr<ops::SliceGradAttrs>();
  Tensor& out = ctx.output(0);
  std::memset(out.raw_data(), 0, static_cast<std::size_t>(out.size()) * dtype_size(out.dtype()));
  // The forward slice's view of `out` receives the incoming gradient.
  TensorList view;
  KernelContext slice_ctx{ops::StridedSlice, std::span<const Tensor>(&out, 1), a.slice.get(), {}, view, ctx.device,
                          ctx.stream};
  ops::StridedSlice.kernels[static_cast<int>(DeviceType::kCPU)](slice_ctx);
  copy_into(ctx.input(0), view[0]);
}

void segment_sum_kernel(KernelContext& ctx) {
  const Tensor data = ctx.input(0).contiguous();
  std::vector<int64_t> ids = index_values(ctx.input(1));
  Tensor& out = ctx.output(0);
  const int64_t segments = out.shape()[0];
  const int64_t inner = segments ? out.size() / segments : 0;
  visit_numeric(data.dtype(), "UnsortedSegmentSum", [&]<typename T>() {
    using C = compute_t<T>;
    const T* in = data.data<T>();
    T* o = out.data<T>();
    const auto rows = static_cast<int64_t>(ids.size());
    // Threads split the columns: every output still adds its rows in id order (same bits). Where
    // the dtype is its own compute type the sums build up in the output itself; float16/bfloat16
    // sum in float, over column chunks small enough that the accumulators stay in cache.
    parallel_for(inner, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, rows)), [&](int64_t jb, int64_t je) {
      auto add_rows = [&](auto* acc, int64_t stride, int64_t cb, int64_t ce) {
        for (int64_t i = 0; i < rows; ++i) {
          const int64_t s = ids[static_cast<std::size_t>(i)];
          if (s < 0 || s >= segments) continue;
          auto* a = acc + s * stride;
          const T* r = in + i * inner + cb;
          for (int64_t j = 0; j < ce - cb; ++j) a[j] += static_cast<C>(r[j]);
        }
      };
      if constexpr (std::is_same_v<C, T>) {
        for (int64_t s = 0; s < segments; ++s) std::fill(o + s * inner + jb, o + s * inner + je, T(0));
        add_rows(o + jb, inner, jb, je);
      } else {
        const int64_t chunk = std::max<int64_t>(64, (int64_t{1} << 18) / std::max<int64_t>(1, segments));
        std::vector<C> acc;
        for (int64_t cb = jb; cb < je; cb += chunk) {
          const int64_t ce = std::min(je, cb + chunk), w = ce - cb;
          acc.assign(static_cast<std::size_t>(segments * w), C(0));
          add_rows(acc.data(), w, cb, ce);
          for (int64_t s = 0; s < segments; ++s)
            for (int64_t j = 0; j < w; ++j) o[s * inner + cb + j] = T(acc[static_cast<std::size_t>(s * w + j)]);
        }
      }
    });
  });
}

}  // namespace

void register_array_kernels() {
  register_kernel(ops::StridedSliceGrad, DeviceType::kCPU, strided_slice_grad_kernel);
  register_kernel(ops::UnsortedSegmentSum, DeviceType::kCPU, segment_sum_kernel);
  const DeviceType cpu = DeviceType::kCPU;
  register_kernel(ops::ConcatV2, cpu, concat_kernel);
  register_kernel(ops::Tile, cpu, tile_kernel);
  register_kernel(ops::PadV2, cpu, pad_kernel);
  register_kernel(ops::MirrorPad, cpu, pad_kernel);
  register_kernel(ops::GatherV2, cpu, gather_kernel);
  register_kernel(ops::GatherNd, cpu, gather_nd_kernel);
  register_kernel(ops::OneHot, cpu, one_hot_kernel);
}

}  // namespace tapeflow::kernels::cpu
