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
#include "tapeflow/kernels/cpu/stream_store.h"

namespace tapeflow::kernels::cpu {
namespace {

/// A view of `out` restricted to [start, start + len) along `axis`.
void concat_kernel(KernelContext& ctx) {
  concat_slots(ctx.inputs, ctx.output(0), ctx.attr<ops::AxisAttrs>().axis,
               [](const Tensor& in, const Tensor& slot) { copy_into(in, slot); });
}

// Note [Tile reads its input once]
// A dense input x is tiled block by block: with k the last axis whose multiple is above 1, a
// block is x[i_0, ..., i_(k-1), ...] (L contiguous elements), and the output holds it multiples[k]
// times in a row at every output position (o_d = r_d * x.shape[d] + i_d for d < k) that maps to
// it. A task takes a chunk of one block (kTileChunkBytes: read from memory once, then in L1) and
// writes it to all of its places, streamed when the output is large (Note [Streaming stores for
// large outputs]): x is read once and the output written once, where the strided copy of
// tile_views read x once per replica (tile (2, 1) of a 128 MB x: 46% of memcpy's bandwidth).
// Blocks under kTileMinBlockBytes (many short copies) take the strided copy.
constexpr int64_t kTileChunkBytes = 16 << 10, kTileMinBlockBytes = 256;

void tile_dense(const Tensor& x, Tensor& out, const std::vector<int64_t>& multiples) {
  const int r = x.ndim();
  const auto es = static_cast<int64_t>(dtype_size(x.dtype()));
  int k = 0;
  for (int d = r - 1; d >= 0; --d)
    if (multiples[static_cast<std::size_t>(d)] > 1) {
      k = d;
      break;
    }
  int64_t block = 1, sources = 1, replicas = 1;  // L; blocks of x; output places per block
  for (int d = k; d < r; ++d) block *= x.shape()[d];
  for (int d = 0; d < k; ++d) sources *= x.shape()[d], replicas *= multiples[static_cast<std::size_t>(d)];
  const int64_t mk = multiples[static_cast<std::size_t>(k)], span = mk * block;  // one output place
  const int64_t chunk = std::max<int64_t>(1, kTileChunkBytes / es), chunks = (block + chunk - 1) / chunk;
  const bool stream = stream_output(out.size() * es);
  const char* in = static_cast<const char*>(x.raw_data());
  char* o = static_cast<char*>(out.raw_data());
  const int64_t task_elements = std::min(chunk, block) * mk * replicas;
  parallel_for(sources * chunks, std::max<int64_t>(1, kParallelGrain / task_elements), [&](int64_t tb, int64_t te) {
    DimVector src(static_cast<std::size_t>(k)), rep(static_cast<std::size_t>(k));
    for (int64_t t = tb; t < te; ++t) {
      const int64_t p = t / chunks, c0 = (t % chunks) * chunk, len = std::min(chunk, block - c0);
      for (int64_t q = p, d = k - 1; d >= 0; --d) {
        src[static_cast<std::size_t>(d)] = q % x.shape()[static_cast<int>(d)];
        q /= x.shape()[static_cast<int>(d)];
      }
      std::fill(rep.begin(), rep.end(), 0);
      for (int64_t i = 0; i < replicas; ++i) {
        int64_t place = 0;  // the output position's index over the axes before k
        for (int d = 0; d < k; ++d) {
          const auto sd = static_cast<std::size_t>(d);
          place = place * multiples[sd] * x.shape()[d] + rep[sd] * x.shape()[d] + src[sd];
        }
        for (int64_t m = 0; m < mk; ++m)
          copy_bytes(o + (place * span + m * block + c0) * es, in + (p * block + c0) * es,
                     static_cast<std::size_t>(len * es), stream);
        for (int d = k - 1; d >= 0; --d) {  // the next replica (odometer)
          const auto sd = static_cast<std::size_t>(d);
          if (++rep[sd] < multiples[sd]) break;
          rep[sd] = 0;
        }
      }
    }
    if (stream) stream_fence();
  });
}

void tile_kernel(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& out = ctx.output(0);
  if (out.size() == 0) return;
  const auto& multiples = ctx.attr<ops::TileAttrs>().multiples;
  if (x.dtype() != DType::kString && x.is_contiguous() && out.is_contiguous()) {
    int64_t block = 1;  // as tile_dense's
    for (int d = x.ndim() - 1; d >= 0; --d) {
      block *= x.shape()[d];
      if (multiples[static_cast<std::size_t>(d)] > 1) break;
    }
    if (block * static_cast<int64_t>(dtype_size(x.dtype())) >= kTileMinBlockBytes) return tile_dense(x, out, multiples);
  }
  auto [src, dst] = tile_views(x, out, multiples);
  copy_into(src, dst);
}

/// For each output position along one axis, the source index (-1: the constant).
std::vector<int64_t> pad_map(int64_t n, int64_t before, int64_t after, int mode) {
  std::vector<int64_t> m;
  for (int64_t o = 0; o < n + before + after; ++o) m.push_back(pad_source(o, n, before, mode));
  return m;
}

/// PadV2 (CONSTANT) of a dense x: with p the last padded axis, the output is rows of
/// out.shape[p] * inner elements (inner: the unpadded axes after p), each either all `fill` or
/// [fill][a row of x][fill]; rows are split over the pool and the row of x is copied streamed
/// when the output is large (Note [Streaming stores for large outputs]). Each output element is
/// written once (filling the whole output first, then copying x into its interior, wrote the
/// interior twice: 75% of memcpy's bandwidth).
template <typename T>
void pad_constant(const Tensor& x, Tensor& out, const std::vector<std::pair<int64_t, int64_t>>& paddings, T fill) {
  const int r = x.ndim();
  if (r == 0) {  // a scalar: nothing to pad
    *static_cast<T*>(out.raw_data()) = *static_cast<const T*>(x.raw_data());
    return;
  }
  int p = 0;
  for (int d = r - 1; d >= 0; --d)
    if (paddings[static_cast<std::size_t>(d)].first != 0 || paddings[static_cast<std::size_t>(d)].second != 0) {
      p = d;
      break;
    }
  int64_t inner = 1, rows = 1;
  for (int d = p + 1; d < r; ++d) inner *= x.shape()[d];
  for (int d = 0; d < p; ++d) rows *= out.shape()[d];
  const auto ps = static_cast<std::size_t>(p);
  const int64_t before = paddings[ps].first * inner, run = x.shape()[p] * inner, width = out.shape()[p] * inner;
  const bool stream = stream_output(out.size() * static_cast<int64_t>(sizeof(T)));
  const T* in = static_cast<const T*>(x.raw_data());
  T* o = static_cast<T*>(out.raw_data());
  parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, width)), [&](int64_t rb, int64_t re) {
    DimVector idx(ps, 0);  // the output row's index over the axes before p (odometer)
    for (int64_t q = rb, d = p - 1; d >= 0; --d) {
      idx[static_cast<std::size_t>(d)] = q % out.shape()[static_cast<int>(d)];
      q /= out.shape()[static_cast<int>(d)];
    }
    for (int64_t row = rb; row < re; ++row) {
      T* dst = o + row * width;
      int64_t src = 0;  // the x row's index, or -1 inside the padding
      for (int d = 0; d < p && src >= 0; ++d) {
        const int64_t i = idx[static_cast<std::size_t>(d)] - paddings[static_cast<std::size_t>(d)].first;
        src = i >= 0 && i < x.shape()[d] ? src * x.shape()[d] + i : -1;
      }
      if (src < 0) {
        std::fill(dst, dst + width, fill);
      } else {
        std::fill(dst, dst + before, fill);
        copy_bytes(dst + before, in + src * run, static_cast<std::size_t>(run) * sizeof(T), stream);
        std::fill(dst + before + run, dst + width, fill);
      }
      for (int d = p - 1; d >= 0; --d) {
        if (++idx[static_cast<std::size_t>(d)] < out.shape()[d]) break;
        idx[static_cast<std::size_t>(d)] = 0;
      }
    }
    if (stream) stream_fence();
  });
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
    // CONSTANT: threaded, each output element written once; the element-by-element walk below
    // costs ~10x the memory traffic.
    visit_pod(x.dtype(), "PadV2", [&]<typename T>() { pad_constant(x, out, a.paddings, a.constant_value.to<T>()); });
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
  // Output row t = (b, p, j) is params row ((b * pre + p) * limit + idx[b * per_batch + j]):
  // rows split over the pool, copied streamed when the output is large (Note [Streaming stores
  // for large outputs]).
  const int64_t out_rows = batch * pre * per_batch;
  auto source = [&](int64_t t) {
    const int64_t j = t % per_batch, bp = t / per_batch, b = bp / pre;
    return (bp * limit + idx[static_cast<std::size_t>(b * per_batch + j)]) * inner;
  };
  if (strings) {
    for (int64_t t = 0; t < out_rows; ++t)
      for (int64_t k = 0; k < inner; ++k)
        reinterpret_cast<std::string*>(out)[t * inner + k] = reinterpret_cast<const std::string*>(in)[source(t) + k];
    return;
  }
  const auto row_bytes = static_cast<int64_t>(inner * static_cast<int64_t>(es));
  const bool stream = stream_output(out_rows * row_bytes);
  parallel_for(out_rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, inner)), [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; ++t)
      copy_bytes(out + t * row_bytes, in + source(t) * static_cast<int64_t>(es), static_cast<std::size_t>(row_bytes),
                 stream);
    if (stream) stream_fence();
  });
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

// Note [Segment sums by segment]
// UnsortedSegmentSum adds the rows of data into out[ids[i]], each output element summing its
// rows in id order (0 + row_a + row_b + ..., the same bits whichever thread does it). Rows of at
// least kSegmentRowBytes are grouped by segment first (a counting sort of the ids, stable): a
// task sums the rows of one segment over a chunk of columns in an L1 buffer and writes that
// chunk of the output once, streamed when the output is large (Note [Streaming stores for large
// outputs]). Zeroing the output, then adding rows into it at random places, moved the output
// through memory three times (48% of memcpy's bandwidth on (8192, 4096) float32). Shorter rows
// keep that walk, with threads splitting the columns, so that data is read in order.
constexpr int64_t kSegmentRowBytes = 512, kSegmentChunkBytes = 8 << 10;

template <typename T>
void segment_sum_grouped(const T* in, const std::vector<int64_t>& ids, T* o, int64_t segments, int64_t inner) {
  using C = compute_t<T>;
  std::vector<int64_t> start(static_cast<std::size_t>(segments + 1), 0), order;
  for (int64_t s : ids)
    if (s >= 0 && s < segments) ++start[static_cast<std::size_t>(s + 1)];
  for (std::size_t s = 0; s < static_cast<std::size_t>(segments); ++s) start[s + 1] += start[s];
  order.resize(static_cast<std::size_t>(start.back()));
  {
    std::vector<int64_t> next(start.begin(), start.end() - 1);
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (ids[i] >= 0 && ids[i] < segments) order[static_cast<std::size_t>(next[static_cast<std::size_t>(ids[i])]++)] = static_cast<int64_t>(i);
  }
  const int64_t chunk = std::max<int64_t>(1, kSegmentChunkBytes / static_cast<int64_t>(sizeof(C)));
  const int64_t chunks = (inner + chunk - 1) / chunk;
  const bool stream = stream_output(segments * inner * static_cast<int64_t>(sizeof(T)));
  const int64_t rows_per_segment = 1 + static_cast<int64_t>(order.size()) / std::max<int64_t>(1, segments);
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / (std::min(chunk, inner) * rows_per_segment));
  parallel_for(segments * chunks, grain, [&](int64_t tb, int64_t te) {
    std::vector<C> acc(static_cast<std::size_t>(std::min(chunk, inner)));
    for (int64_t t = tb; t < te; ++t) {
      const int64_t s = t / chunks, cb = (t % chunks) * chunk, w = std::min(chunk, inner - cb);
      std::fill(acc.begin(), acc.begin() + w, C(0));
      for (int64_t k = start[static_cast<std::size_t>(s)]; k < start[static_cast<std::size_t>(s + 1)]; ++k) {
        const T* r = in + order[static_cast<std::size_t>(k)] * inner + cb;
        for (int64_t j = 0; j < w; ++j) acc[static_cast<std::size_t>(j)] += static_cast<C>(r[j]);
      }
      T* dst = o + s * inner + cb;
      if constexpr (std::is_same_v<C, T>) {
        copy_bytes(dst, acc.data(), static_cast<std::size_t>(w) * sizeof(T), stream);
      } else {
        for (int64_t j = 0; j < w; ++j) dst[j] = T(acc[static_cast<std::size_t>(j)]);
      }
    }
    if (stream) stream_fence();
  });
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
    if (inner * static_cast<int64_t>(sizeof(T)) >= kSegmentRowBytes)
      return segment_sum_grouped(in, ids, o, segments, inner);
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
