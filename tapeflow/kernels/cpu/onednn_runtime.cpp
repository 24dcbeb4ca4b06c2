// The oneDNN switch and queries (onednn_runtime.h), and, where the build has oneDNN, the engine,
// streams, scratchpads and reorders the oneDNN-backed kernels share (onednn_primitives.h).
#include "tapeflow/kernels/cpu/onednn_runtime.h"

#include <atomic>
#include <cstdlib>

#include "tapeflow/core/errors.h"

#if TAPEFLOW_HAS_ONEDNN
#include "tapeflow/kernels/cpu/onednn_primitives.h"

// oneDNN runs on libgomp (Debian's build), which it loads: the thread count its primitives are
// split for, when libgomp is there (weak: our own loops do not link OpenMP, core/threading.cpp).
extern "C" int omp_get_max_threads() __attribute__((weak));
#endif

namespace tapeflow::kernels::cpu {
namespace {
/// On unless TF_ENABLE_ONEDNN_OPTS=0, TensorFlow's own switch for its oneDNN kernels.
bool enabled_by_environment() {
  const char* v = std::getenv("TF_ENABLE_ONEDNN_OPTS");
  return v == nullptr || std::string(v) != "0";
}
std::atomic<bool> g_onednn_enabled{enabled_by_environment()};
std::atomic<int64_t> g_onednn_calls{0};
}  // namespace

bool built_with_onednn() noexcept { return TAPEFLOW_HAS_ONEDNN != 0; }
void set_onednn_enabled(bool enabled) noexcept { g_onednn_enabled = enabled; }
bool onednn_enabled() noexcept { return built_with_onednn() && g_onednn_enabled; }
int64_t onednn_call_count() noexcept { return g_onednn_calls; }

#if !TAPEFLOW_HAS_ONEDNN
std::string cpu_kernels_info() { return "Tapeflow's own kernels (built without oneDNN)"; }
#else
namespace {
const char* isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}
}  // namespace

std::string cpu_kernels_info() {
  const dnnl::version_t* v = dnnl::version();
  return detail::str_cat("oneDNN ", v->major, ".", v->minor, ".", v->patch,
                         " (cpu isa: ", isa_name(dnnl::get_effective_cpu_isa()), ")",
                         onednn_enabled() ? "" : ", switched off: Tapeflow's own kernels run");
}

namespace onednn {

const dnnl::engine& engine() {
  static const dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

// Note [oneDNN in float32 only]: the op table's rows (tests/support/op_table_nn.h) found two
// faults of oneDNN 2.6's bfloat16 primitives on this CPU: a convolution of inputs holding ±inf
// gives NaN (also in outputs whose window holds no inf: the channels padded to the blocked layout
// multiply them by zero weights), and AvgPool's backward accumulates overlapping windows in
// bfloat16 (84 ulps off). bfloat16 runs on our own kernels, which compute in float and round
// once, until a oneDNN version passes those rows.
std::optional<memory::data_type> data_type(DType dt) {
  if (dt == DType::kFloat32) return memory::data_type::f32;
  return std::nullopt;
}

bool wanted(std::initializer_list<int64_t> dims) {
  if (!g_onednn_enabled) return false;
  for (int64_t d : dims)
    if (d <= 0) return false;
  return true;
}

void count_call() noexcept { ++g_onednn_calls; }

int max_threads() noexcept { return omp_get_max_threads ? omp_get_max_threads() : 1; }

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

int64_t pad_after(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t dilation, int64_t pad_before) {
  const int64_t needed = (out - 1) * stride + (k - 1) * dilation + 1 - in - pad_before;
  return needed > 0 ? needed : 0;
}

Scratch scratch(const memory::desc& md) {
  Scratch s;
  s.data = cpu_allocator()->allocate(md.get_size());
  s.mem = memory(md, engine(), s.data.get());
  return s;
}

namespace {
// A stream per thread: oneDNN streams are not thread-safe, primitives are.
dnnl::stream& this_thread_stream() {
  thread_local dnnl::stream s(engine());
  return s;
}
}  // namespace

void execute(const char* op, const dnnl::primitive& prim, std::unordered_map<int, memory> args,
             const memory::desc& scratchpad_md) {
  Scratch pad;
  if (scratchpad_md.get_size() > 0) {
    pad = scratch(scratchpad_md);
    args.emplace(DNNL_ARG_SCRATCHPAD, pad.mem);
  }
  try {
    dnnl::stream& s = this_thread_stream();
    prim.execute(s, args);
    s.wait();
  } catch (const dnnl::error& e) { TF_THROW(InternalError, op, "oneDNN primitive failed: ", e.what()); }
  count_call();
}

std::optional<dnnl::reorder> make_reorder(const memory::desc& from, const memory::desc& to) {
  if (from == to) return std::nullopt;
  return dnnl::reorder(dnnl::reorder::primitive_desc(engine(), from, engine(), to));
}

void reorder_into(const char* op, const dnnl::reorder& prim, memory src, memory dst) {
  try {
    dnnl::stream& s = this_thread_stream();
    prim.execute(s, src, dst);
    s.wait();
  } catch (const dnnl::error& e) { TF_THROW(InternalError, op, "oneDNN reorder failed: ", e.what()); }
}

memory reordered(const char* op, const std::optional<dnnl::reorder>& prim, const memory& src, const memory::desc& to,
                 std::vector<Scratch>& keep) {
  if (!prim) return src;
  keep.push_back(scratch(to));
  reorder_into(op, *prim, src, keep.back().mem);
  return keep.back().mem;
}

std::string window_key(const char* tag, DType dt, const ops::Window2D& w) {
  return detail::str_cat(tag, '/', static_cast<int>(dt), '/', w.batch, ',', w.in_h, ',', w.in_w, ',', w.channels, '/',
                         w.k_h, ',', w.k_w, '/', w.stride_h, ',', w.stride_w, '/', w.dilation_h, ',', w.dilation_w, '/',
                         w.out_h, ',', w.out_w, ',', w.out_channels, '/', w.pad_top, ',', w.pad_left);
}

}  // namespace onednn
#endif  // TAPEFLOW_HAS_ONEDNN

}  // namespace tapeflow::kernels::cpu
