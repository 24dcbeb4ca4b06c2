// MaxPool, AvgPool and their gradients on oneDNN primitives (onednn_pooling.h), NHWC. TF's
// MaxPoolGrad gets the original input, not the argmax, so the gradient runs the forward again
// in training mode for oneDNN's workspace (the argmax), then the backward primitive. AvgPool is
// oneDNN's pooling_avg_exclude_padding: TF averages only the elements inside the input.
#include "tapeflow/kernels/cpu/onednn_pooling.h"

#if TAPEFLOW_HAS_ONEDNN
#include "tapeflow/kernels/cpu/onednn_primitives.h"
#endif

namespace tapeflow::kernels::cpu {

#if !TAPEFLOW_HAS_ONEDNN
bool onednn_max_pool(const ops::Window2D&, DType, const void*, void*) { return false; }
bool onednn_avg_pool(const ops::Window2D&, DType, const void*, void*) { return false; }
bool onednn_max_pool_grad(const ops::Window2D&, DType, const void*, const void*, void*) { return false; }
bool onednn_avg_pool_grad(const ops::Window2D&, DType, const void*, void*) { return false; }
bool onednn_max_pool_remembering(const ops::Window2D&, const Tensor&, const Tensor&) { return false; }
bool onednn_max_pool_grad_remembered(const ops::Window2D&, const Tensor&, const Tensor&, const void*, void*) {
  return false;
}
#else
namespace {
using namespace onednn;  // NOLINT: the shared oneDNN helpers
using dnnl::algorithm;
using dnnl::prop_kind;

struct PoolGeometry {
  memory::desc src, dst;
  memory::dims strides, kernel, pad_l, pad_r;
};

PoolGeometry geometry(const ops::Window2D& w, memory::data_type dt) {
  PoolGeometry g;
  g.src = memory::desc(nchw_dims(w.batch, w.channels, w.in_h, w.in_w), dt, Tag::nhwc);
  g.dst = memory::desc(nchw_dims(w.batch, w.channels, w.out_h, w.out_w), dt, Tag::nhwc);
  g.strides = {w.stride_h, w.stride_w};
  g.kernel = {w.k_h, w.k_w};
  g.pad_l = {w.pad_top, w.pad_left};
  g.pad_r = {pad_after(w.in_h, w.out_h, w.k_h, w.stride_h, 1, w.pad_top),
             pad_after(w.in_w, w.out_w, w.k_w, w.stride_w, 1, w.pad_left)};
  return g;
}

dnnl::pooling_forward::primitive_desc forward_pd(const PoolGeometry& g, prop_kind prop, algorithm alg) {
  const dnnl::pooling_forward::desc d(prop, alg, g.src, g.dst, g.strides, g.kernel, g.pad_l, g.pad_r);
  return {d, user_scratchpad(), engine()};
}

struct ForwardEntry {
  PoolGeometry g;
  dnnl::pooling_forward::primitive_desc pd;
  dnnl::pooling_forward prim;
};
/// A gradient: the backward primitive and, for max pooling, the training-mode forward whose
/// workspace (the argmax of each window) the backward reads.
struct BackwardEntry {
  PoolGeometry g;
  dnnl::pooling_forward::primitive_desc fwd_pd;
  dnnl::pooling_forward fwd;
  dnnl::pooling_backward::primitive_desc pd;
  dnnl::pooling_backward prim;
};

PrimitiveCache<ForwardEntry> g_forward(kCacheCapacity);
PrimitiveCache<BackwardEntry> g_backward(kCacheCapacity);

bool usable(const ops::Window2D& w, DType dt) {
  return data_type(dt) && wanted({w.batch, w.in_h, w.in_w, w.channels, w.out_h, w.out_w});
}

bool pool_forward(const char* op, algorithm alg, const ops::Window2D& w, DType dt, const void* x, void* y) {
  if (!usable(w, dt)) return false;
  const char* tag = alg == algorithm::pooling_max ? "max_pool" : "avg_pool";
  const auto entry = g_forward.get(window_key(tag, dt, w), [&] {
    const PoolGeometry g = geometry(w, *data_type(dt));
    const auto pd = forward_pd(g, prop_kind::forward_inference, alg);
    return std::make_shared<const ForwardEntry>(ForwardEntry{g, pd, dnnl::pooling_forward(pd)});
  });
  if (!entry) return false;
  execute(op, entry->prim, {{DNNL_ARG_SRC, wrap(entry->g.src, x)}, {DNNL_ARG_DST, wrap(entry->g.dst, y)}},
          entry->pd.scratchpad_desc());
  return true;
}

std::shared_ptr<const BackwardEntry> backward_entry(algorithm alg, const ops::Window2D& w, DType dt) {
  const char* tag = alg == algorithm::pooling_max ? "max_pool_grad" : "avg_pool_grad";
  return g_backward.get(window_key(tag, dt, w), [&] {
    const PoolGeometry g = geometry(w, *data_type(dt));
    const auto fwd_pd = forward_pd(g, prop_kind::forward_training, alg);
    const dnnl::pooling_backward::desc d(alg, g.src, g.dst, g.strides, g.kernel, g.pad_l, g.pad_r);
    const dnnl::pooling_backward::primitive_desc pd(d, user_scratchpad(), engine(), fwd_pd);
    return std::make_shared<const BackwardEntry>(
        BackwardEntry{g, fwd_pd, dnnl::pooling_forward(fwd_pd), pd, dnnl::pooling_backward(pd)});
  });
}
// Note [MaxPoolGrad from the forward's workspace]
// TF's MaxPoolGrad gets the forward's input and output, not its argmax, so it has to find the
// maxima again: a second read of x (4 bytes per input element) and a forward's work, where
// PyTorch's backward reads the indices its forward saved. A float32 MaxPool on oneDNN runs in
// training mode and its workspace (the argmax, 1 byte per output: a quarter of y's bytes) is
// kept here, keyed by the buffers of x and y; MaxPoolGrad of the same x and y then runs only
// oneDNN's backward: it reads the workspace and dy and writes dx. Tensors are immutable, so the
// same live storages at the same offsets hold the same values; a storage that was freed never
// matches (the entry holds weak references, and a new storage at the same address is another
// object). Entries of freed tensors are dropped when one is added; at most kWorkspaces are kept
// (a training step's pools; the oldest goes first). Any miss runs the full gradient as before.
// The forward is not told whether a gradient will follow (kernels do not see the tape, and a
// graph's MaxPoolGrad reads the buffers its MaxPool wrote, too); training mode costs it the
// workspace's writes, measured in bench/RESULTS.md.
struct Remembered {
  std::string key;  // window_key
  const void* x;
  const void* y;
  std::weak_ptr<Storage> x_storage, y_storage;
  std::shared_ptr<Scratch> workspace;
};
constexpr std::size_t kWorkspaces = 16;
std::mutex g_remembered_mu;
std::list<Remembered> g_remembered;  // newest first

bool same_storage(const std::weak_ptr<Storage>& held, const Tensor& t) {
  const std::shared_ptr<Storage> s = held.lock();
  return s != nullptr && s == t.storage();
}

void remember(Remembered r) {
  std::lock_guard<std::mutex> lock(g_remembered_mu);
  g_remembered.remove_if([&](const Remembered& e) {
    return e.x_storage.expired() || e.y_storage.expired() || (e.x == r.x && e.y == r.y && e.key == r.key);
  });
  g_remembered.push_front(std::move(r));
  while (g_remembered.size() > kWorkspaces) g_remembered.pop_back();
}

std::shared_ptr<Scratch> remembered_workspace(const std::string& key, const Tensor& x, const Tensor& y) {
  std::lock_guard<std::mutex> lock(g_remembered_mu);
  for (const Remembered& e : g_remembered)
    if (e.x == x.raw_data() && e.y == y.raw_data() && e.key == key && same_storage(e.x_storage, x) &&
        same_storage(e.y_storage, y))
      return e.workspace;
  return nullptr;
}
}  // namespace

bool onednn_max_pool_remembering(const ops::Window2D& w, const Tensor& x, const Tensor& y) {
  const DType dt = x.dtype();
  if (!usable(w, dt) || !x.is_contiguous() || !y.is_contiguous() || !x.storage() || !y.storage()) return false;
  const auto entry = backward_entry(algorithm::pooling_max, w, dt);
  if (!entry) return false;
  auto workspace = std::make_shared<Scratch>(scratch(entry->fwd_pd.workspace_desc()));
  execute("MaxPool", entry->fwd,
          {{DNNL_ARG_SRC, wrap(entry->g.src, x.raw_data())},
           {DNNL_ARG_DST, wrap(entry->g.dst, y.raw_data())},
           {DNNL_ARG_WORKSPACE, workspace->mem}},
          entry->fwd_pd.scratchpad_desc());
  remember(
      {window_key("max_pool_grad", dt, w), x.raw_data(), y.raw_data(), x.storage(), y.storage(), std::move(workspace)});
  return true;
}

bool onednn_max_pool_grad_remembered(const ops::Window2D& w, const Tensor& x, const Tensor& y, const void* dy,
                                     void* dx) {
  const DType dt = x.dtype();
  if (!usable(w, dt) || !x.is_contiguous() || !y.is_contiguous() || !x.storage() || !y.storage()) return false;
  const std::shared_ptr<Scratch> workspace = remembered_workspace(window_key("max_pool_grad", dt, w), x, y);
  if (!workspace) return false;
  const auto entry = backward_entry(algorithm::pooling_max, w, dt);
  if (!entry) return false;
  execute("MaxPoolGrad", entry->prim,
          {{DNNL_ARG_DIFF_DST, wrap(entry->g.dst, dy)},
           {DNNL_ARG_DIFF_SRC, wrap(entry->g.src, dx)},
           {DNNL_ARG_WORKSPACE, workspace->mem}},
          entry->pd.scratchpad_desc());
  return true;
}

bool onednn_max_pool(const ops::Window2D& w, DType dt, const void* x, void* y) {
  return pool_forward("MaxPool", algorithm::pooling_max, w, dt, x, y);
}

bool onednn_avg_pool(const ops::Window2D& w, DType dt, const void* x, void* y) {
  return pool_forward("AvgPool", algorithm::pooling_avg_exclude_padding, w, dt, x, y);
}

bool onednn_max_pool_grad(const ops::Window2D& w, DType dt, const void* x, const void* dy, void* dx) {
  if (!usable(w, dt)) return false;
  const auto entry = backward_entry(algorithm::pooling_max, w, dt);
  if (!entry) return false;
  const char* op = "MaxPoolGrad";
  // The forward again, for its workspace; its output y is not needed, only written.
  const Scratch y = scratch(entry->fwd_pd.dst_desc()), workspace = scratch(entry->fwd_pd.workspace_desc());
  execute(op, entry->fwd,
          {{DNNL_ARG_SRC, wrap(entry->g.src, x)}, {DNNL_ARG_DST, y.mem}, {DNNL_ARG_WORKSPACE, workspace.mem}},
          entry->fwd_pd.scratchpad_desc());
  execute(op, entry->prim,
          {{DNNL_ARG_DIFF_DST, wrap(entry->g.dst, dy)},
           {DNNL_ARG_DIFF_SRC, wrap(entry->g.src, dx)},
           {DNNL_ARG_WORKSPACE, workspace.mem}},
          entry->pd.scratchpad_desc());
  return true;
}

bool onednn_avg_pool_grad(const ops::Window2D& w, DType dt, const void* dy, void* dx) {
  if (!usable(w, dt)) return false;
  const auto entry = backward_entry(algorithm::pooling_avg_exclude_padding, w, dt);
  if (!entry) return false;
  execute("AvgPoolGrad", entry->prim,
          {{DNNL_ARG_DIFF_DST, wrap(entry->g.dst, dy)}, {DNNL_ARG_DIFF_SRC, wrap(entry->g.src, dx)}},
          entry->pd.scratchpad_desc());
  return true;
}
#endif  // TAPEFLOW_HAS_ONEDNN

}  // namespace tapeflow::kernels::cpu
