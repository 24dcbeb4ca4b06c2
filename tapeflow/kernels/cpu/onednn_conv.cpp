// Conv2D and its two backprop ops on oneDNN primitives (onednn_conv.h). Activations stay NHWC
// (our layout, which oneDNN's AVX-512 kernels read directly); filters are reordered between our
// HWIO and the blocked layout the chosen implementation wants, once per call (filters are small).
// Primitives are cached per dtype and window geometry.
#include "tapeflow/kernels/cpu/onednn_conv.h"

#if TAPEFLOW_HAS_ONEDNN
#include "tapeflow/kernels/cpu/onednn_primitives.h"
#endif

namespace tapeflow::kernels::cpu {

#if !TAPEFLOW_HAS_ONEDNN
bool onednn_conv2d(const ops::Window2D&, DType, const void*, const void*, void*) { return false; }
bool onednn_conv2d_backprop_input(const ops::Window2D&, DType, const void*, const void*, void*) { return false; }
bool onednn_conv2d_backprop_filter(const ops::Window2D&, DType, const void*, const void*, void*) { return false; }
#else
namespace {
using namespace onednn;  // NOLINT: the shared oneDNN helpers
using dnnl::algorithm;
using dnnl::prop_kind;

/// The memory descriptors and window of one convolution. Filters are {O, I, KH, KW} logically,
/// HWIO physically; `weights_any` lets oneDNN pick its own filter layout.
struct ConvGeometry {
  memory::desc src, dst, weights, weights_any;
  memory::dims strides, dilates, pad_l, pad_r;
};

ConvGeometry geometry(const ops::Window2D& w, memory::data_type dt) {
  ConvGeometry g;
  g.src = memory::desc(nchw_dims(w.batch, w.channels, w.in_h, w.in_w), dt, Tag::nhwc);
  g.dst = memory::desc(nchw_dims(w.batch, w.out_channels, w.out_h, w.out_w), dt, Tag::nhwc);
  const memory::dims filter{w.out_channels, w.channels, w.k_h, w.k_w};
  g.weights = memory::desc(filter, dt, Tag::hwio);
  g.weights_any = memory::desc(filter, dt, Tag::any);
  g.strides = {w.stride_h, w.stride_w};
  g.dilates = {w.dilation_h - 1, w.dilation_w - 1};  // oneDNN counts the gaps: 0 is a dense window
  g.pad_l = {w.pad_top, w.pad_left};
  g.pad_r = {pad_after(w.in_h, w.out_h, w.k_h, w.stride_h, w.dilation_h, w.pad_top),
             pad_after(w.in_w, w.out_w, w.k_w, w.stride_w, w.dilation_w, w.pad_left)};
  return g;
}

/// The forward descriptor, also the hint the backward primitives are created from. Direct
/// convolution: oneDNN's Winograd would trade accuracy for speed, which the op table forbids.
dnnl::convolution_forward::primitive_desc forward_pd(const ConvGeometry& g) {
  const dnnl::convolution_forward::desc d(prop_kind::forward_training, algorithm::convolution_direct, g.src,
                                          g.weights_any, g.dst, g.strides, g.dilates, g.pad_l, g.pad_r);
  return {d, user_scratchpad(), engine()};
}

struct ForwardEntry {
  ConvGeometry g;
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward prim;
  std::optional<dnnl::reorder> weights_in;  // HWIO -> pd's layout
};
struct BackwardDataEntry {
  ConvGeometry g;
  dnnl::convolution_backward_data::primitive_desc pd;
  dnnl::convolution_backward_data prim;
  std::optional<dnnl::reorder> weights_in;
};
struct BackwardWeightsEntry {
  ConvGeometry g;
  dnnl::convolution_backward_weights::primitive_desc pd;
  dnnl::convolution_backward_weights prim;
  std::optional<dnnl::reorder> weights_out;  // pd's layout -> HWIO
};

PrimitiveCache<ForwardEntry> g_forward(kCacheCapacity);
PrimitiveCache<BackwardDataEntry> g_backward_data(kCacheCapacity);
PrimitiveCache<BackwardWeightsEntry> g_backward_weights(kCacheCapacity);

bool usable(const ops::Window2D& w, DType dt) {
  return data_type(dt) && wanted({w.batch, w.in_h, w.in_w, w.channels, w.out_h, w.out_w, w.out_channels});
}
}  // namespace

bool onednn_conv2d(const ops::Window2D& w, DType dt, const void* x, const void* f, void* y) {
  if (!usable(w, dt)) return false;
  const auto entry = g_forward.get(window_key("conv_fwd", dt, w), [&]() -> std::shared_ptr<const ForwardEntry> {
    const ConvGeometry g = geometry(w, *data_type(dt));
    const auto pd = forward_pd(g);
    return std::make_shared<ForwardEntry>(
        ForwardEntry{g, pd, dnnl::convolution_forward(pd), make_reorder(g.weights, pd.weights_desc())});
  });
  if (!entry) return false;
  std::vector<Scratch> keep;
  const memory weights =
      reordered("Conv2D", entry->weights_in, wrap(entry->g.weights, f), entry->pd.weights_desc(), keep);
  execute("Conv2D", entry->prim,
          {{DNNL_ARG_SRC, wrap(entry->g.src, x)}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, wrap(entry->g.dst, y)}},
          entry->pd.scratchpad_desc());
  return true;
}

/// Input channels below which the input gradient stays on the own kernel (gemm + col2im):
/// oneDNN 2.6's jit backward-data pads the input channels to 16, so a 1-channel image costs 16x
/// its arithmetic (the Fashion-MNIST conv1, batch 64: 37 ms against the own kernel's 12-24 ms);
/// an RGB Conv2DTranspose output (3 channels) still wastes 5x.
constexpr int64_t kMinBackwardDataChannels = 4;

bool onednn_conv2d_backprop_input(const ops::Window2D& w, DType dt, const void* f, const void* dy, void* dx) {
  if (!usable(w, dt) || w.channels < kMinBackwardDataChannels) return false;
  const auto entry =
      g_backward_data.get(window_key("conv_bwd_data", dt, w), [&]() -> std::shared_ptr<const BackwardDataEntry> {
        const ConvGeometry g = geometry(w, *data_type(dt));
        const dnnl::convolution_backward_data::desc d(algorithm::convolution_direct, g.src, g.weights_any, g.dst,
                                                      g.strides, g.dilates, g.pad_l, g.pad_r);
        const dnnl::convolution_backward_data::primitive_desc pd(d, user_scratchpad(), engine(), forward_pd(g));
        return std::make_shared<BackwardDataEntry>(
            BackwardDataEntry{g, pd, dnnl::convolution_backward_data(pd), make_reorder(g.weights, pd.weights_desc())});
      });
  if (!entry) return false;
  const char* op = "Conv2DBackpropInput";
  std::vector<Scratch> keep;
  const memory weights = reordered(op, entry->weights_in, wrap(entry->g.weights, f), entry->pd.weights_desc(), keep);
  execute(op, entry->prim,
          {{DNNL_ARG_DIFF_DST, wrap(entry->g.dst, dy)},
           {DNNL_ARG_WEIGHTS, weights},
           {DNNL_ARG_DIFF_SRC, wrap(entry->g.src, dx)}},
          entry->pd.scratchpad_desc());
  return true;
}

bool onednn_conv2d_backprop_filter(const ops::Window2D& w, DType dt, const void* x, const void* dy, void* df) {
  if (!usable(w, dt)) return false;
  const auto entry = g_backward_weights.get(
      window_key("conv_bwd_weights", dt, w), [&]() -> std::shared_ptr<const BackwardWeightsEntry> {
        const ConvGeometry g = geometry(w, *data_type(dt));
        const dnnl::convolution_backward_weights::desc d(algorithm::convolution_direct, g.src, g.weights_any, g.dst,
                                                         g.strides, g.dilates, g.pad_l, g.pad_r);
        const dnnl::convolution_backward_weights::primitive_desc pd(d, user_scratchpad(), engine(), forward_pd(g));
        return std::make_shared<BackwardWeightsEntry>(BackwardWeightsEntry{
            g, pd, dnnl::convolution_backward_weights(pd), make_reorder(pd.diff_weights_desc(), g.weights)});
      });
  if (!entry) return false;
  const char* op = "Conv2DBackpropFilter";
  const memory user_df = wrap(entry->g.weights, df);
  std::vector<Scratch> keep;
  memory diff_weights = user_df;
  if (entry->weights_out) {
    keep.push_back(scratch(entry->pd.diff_weights_desc()));
    diff_weights = keep.back().mem;
  }
  execute(op, entry->prim,
          {{DNNL_ARG_SRC, wrap(entry->g.src, x)},
           {DNNL_ARG_DIFF_DST, wrap(entry->g.dst, dy)},
           {DNNL_ARG_DIFF_WEIGHTS, diff_weights}},
          entry->pd.scratchpad_desc());
  if (entry->weights_out) reorder_into(op, *entry->weights_out, diff_weights, user_df);
  return true;
}
#endif  // TAPEFLOW_HAS_ONEDNN

}  // namespace tapeflow::kernels::cpu
