// FusedBatchNormV3 and its gradient on oneDNN's batch_normalization primitives
// (onednn_batch_norm.h). x (rows, C) is given to oneDNN as NHWC (rows, C, 1, 1): the same bytes.
// Statistics are float32 (oneDNN's); the running averages stay in batch_norm.cpp, shared with
// the own kernel.
#include "tapeflow/kernels/cpu/onednn_batch_norm.h"

#if TAPEFLOW_HAS_ONEDNN
#include <algorithm>

#include "tapeflow/kernels/cpu/onednn_primitives.h"
#endif

namespace tapeflow::kernels::cpu {

#if !TAPEFLOW_HAS_ONEDNN
bool onednn_fused_batch_norm(DType, int64_t, int64_t, double, bool, const void*, const BatchNormChannels&, void*,
                             float*, float*) {
  return false;
}
bool onednn_fused_batch_norm_grad(DType, int64_t, int64_t, double, bool, const void*, const void*,
                                  const BatchNormChannels&, void*, float*, float*) {
  return false;
}
#else
namespace {
using namespace onednn;  // NOLINT: the shared oneDNN helpers
using dnnl::normalization_flags;
using dnnl::prop_kind;

struct NormGeometry {
  memory::desc data, channels;
  float epsilon;
  normalization_flags flags;
};

NormGeometry geometry(DType dt, int64_t rows, int64_t c, double epsilon, bool is_training) {
  NormGeometry g;
  g.data = memory::desc(nchw_dims(rows, c, 1, 1), *data_type(dt), Tag::nhwc);
  g.channels = memory::desc({c}, memory::data_type::f32, Tag::a);
  g.epsilon = static_cast<float>(epsilon);
  g.flags = normalization_flags::use_scale | normalization_flags::use_shift;
  if (!is_training) g.flags = g.flags | normalization_flags::use_global_stats;
  return g;
}

dnnl::batch_normalization_forward::primitive_desc forward_pd(const NormGeometry& g, prop_kind prop) {
  const dnnl::batch_normalization_forward::desc d(prop, g.data, g.epsilon, g.flags);
  return {d, user_scratchpad(), engine()};
}

struct ForwardEntry {
  NormGeometry g;
  dnnl::batch_normalization_forward::primitive_desc pd;
  dnnl::batch_normalization_forward prim;
};
struct BackwardEntry {
  NormGeometry g;
  dnnl::batch_normalization_backward::primitive_desc pd;
  dnnl::batch_normalization_backward prim;
};

PrimitiveCache<ForwardEntry> g_forward(kCacheCapacity);
PrimitiveCache<BackwardEntry> g_backward(kCacheCapacity);

std::string key(const char* tag, DType dt, int64_t rows, int64_t c, double epsilon, bool is_training) {
  return detail::str_cat(tag, '/', static_cast<int>(dt), '/', rows, ',', c, '/', static_cast<float>(epsilon), '/',
                         is_training);
}
memory channel_memory(const NormGeometry& g, const float* p) { return wrap(g.channels, p); }
}  // namespace

bool onednn_fused_batch_norm(DType dt, int64_t rows, int64_t c, double epsilon, bool is_training, const void* x,
                             const BatchNormChannels& ch, void* y, float* batch_mean, float* batch_variance) {
  if (!data_type(dt) || !wanted({rows, c})) return false;
  const auto entry = g_forward.get(key("bn_fwd", dt, rows, c, epsilon, is_training), [&] {
    const NormGeometry g = geometry(dt, rows, c, epsilon, is_training);
    const auto pd = forward_pd(g, is_training ? prop_kind::forward_training : prop_kind::forward_inference);
    return std::make_shared<const ForwardEntry>(ForwardEntry{g, pd, dnnl::batch_normalization_forward(pd)});
  });
  if (!entry) return false;
  const NormGeometry& g = entry->g;
  const float* mean = is_training ? batch_mean : ch.mean;
  const float* variance = is_training ? batch_variance : ch.variance;
  execute("FusedBatchNormV3", entry->prim,
          {{DNNL_ARG_SRC, wrap(g.data, x)},
           {DNNL_ARG_DST, wrap(g.data, y)},
           {DNNL_ARG_SCALE, channel_memory(g, ch.scale)},
           {DNNL_ARG_SHIFT, channel_memory(g, ch.offset)},
           {DNNL_ARG_MEAN, channel_memory(g, mean)},
           {DNNL_ARG_VARIANCE, channel_memory(g, variance)}},
          entry->pd.scratchpad_desc());
  return true;
}

bool onednn_fused_batch_norm_grad(DType dt, int64_t rows, int64_t c, double epsilon, bool is_training, const void* dy,
                                  const void* x, const BatchNormChannels& ch, void* dx, float* d_scale,
                                  float* d_offset) {
  if (!data_type(dt) || !wanted({rows, c})) return false;
  const auto entry = g_backward.get(key("bn_bwd", dt, rows, c, epsilon, is_training), [&] {
    const NormGeometry g = geometry(dt, rows, c, epsilon, is_training);
    const dnnl::batch_normalization_backward::desc d(prop_kind::backward, g.data, g.data, g.epsilon, g.flags);
    const dnnl::batch_normalization_backward::primitive_desc pd(d, user_scratchpad(), engine(),
                                                                forward_pd(g, prop_kind::forward_training));
    return std::make_shared<const BackwardEntry>(BackwardEntry{g, pd, dnnl::batch_normalization_backward(pd)});
  });
  if (!entry) return false;
  const NormGeometry& g = entry->g;
  // oneDNN 2.6's backward primitive asks for the shift too, though no gradient depends on it.
  const Scratch shift = scratch(g.channels);
  std::fill_n(static_cast<float*>(shift.data.get()), c, 0.0f);
  execute("FusedBatchNormGradV3", entry->prim,
          {{DNNL_ARG_SRC, wrap(g.data, x)},
           {DNNL_ARG_DIFF_DST, wrap(g.data, dy)},
           {DNNL_ARG_SCALE, channel_memory(g, ch.scale)},
           {DNNL_ARG_SHIFT, shift.mem},
           {DNNL_ARG_MEAN, channel_memory(g, ch.mean)},
           {DNNL_ARG_VARIANCE, channel_memory(g, ch.variance)},
           {DNNL_ARG_DIFF_SRC, wrap(g.data, dx)},
           {DNNL_ARG_DIFF_SCALE, channel_memory(g, d_scale)},
           {DNNL_ARG_DIFF_SHIFT, channel_memory(g, d_offset)}},
          entry->pd.scratchpad_desc());
  return true;
}
#endif  // TAPEFLOW_HAS_ONEDNN

}  // namespace tapeflow::kernels::cpu
