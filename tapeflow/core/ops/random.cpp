// The seed rules of Note [Random seeds] and the random ops' argument checks. The numbers
// themselves are drawn by the kernels (kernels/philox.h).
#include "tapeflow/core/ops/random.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <tuple>
#include <type_traits>

#include "tapeflow/core/dim_unify.h"

namespace tapeflow {
namespace ops {
OpDef RandomStandardNormal{.name = "RandomStandardNormal"}, TruncatedNormal{.name = "TruncatedNormal"},
    RandomUniform{.name = "RandomUniform"}, RandomUniformInt{.name = "RandomUniformInt"}, Dropout{.name = "Dropout"};

void register_random_ops() {
  for (OpDef* op : {&RandomStandardNormal, &TruncatedNormal, &RandomUniform, &RandomUniformInt, &Dropout})
    register_op(*op);
}

std::string RandomAttrs::to_string() const {
  return detail::str_cat("seed=", seed, ", seed2=", seed2, ", offset=", offset);
}
std::string DropoutAttrs::to_string() const {
  return detail::str_cat("rate=", rate, ", noise_shape=", noise_shape.to_string(), ", seed=", seed, ", seed2=", seed2,
                         ", offset=", offset);
}
}  // namespace ops

namespace {
constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();  // TF's _MAXINT32, 2^31 - 1
constexpr int64_t kDefaultGraphSeed = 87654321;                     // TF's DEFAULT_GRAPH_SEED
constexpr uint64_t kBlocksPerElement = 256;                         // TF's ReserveRandomOutputs(n, 256)

/// Python's random.Random(seed) (MT19937 seeded by init_by_array over |seed|'s 32-bit words) and
/// its randint(0, 2^31 - 1): the source of TF's eager op seeds under a global seed.
class PythonRandom {
 public:
  explicit PythonRandom(int64_t seed) {
    uint64_t a = seed < 0 ? 0 - static_cast<uint64_t>(seed) : static_cast<uint64_t>(seed);
    std::array<uint32_t, 2> key{static_cast<uint32_t>(a), static_cast<uint32_t>(a >> 32)};
    init_by_array(key.data(), key[1] != 0 ? 2 : 1);
  }
  /// randint(0, 2^31 - 1): 32-bit draws, rejecting those >= 2^31 (Python 3's _randbelow).
  int64_t randint_maxint32() {
    uint32_t r;
    do r = next_uint32();
    while (r >= 0x80000000u);
    return r;
  }

 private:
  static constexpr int kN = 624, kM = 397;
  std::array<uint32_t, kN> mt_{};
  int index_ = kN;

  void init_genrand(uint32_t s) {
    mt_[0] = s;
    for (int i = 1; i < kN; ++i) mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  }
  void init_by_array(const uint32_t* key, int length) {
    init_genrand(19650218u);
    int i = 1, j = 0;
    for (int k = std::max(kN, length); k > 0; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] + static_cast<uint32_t>(j);
      if (++i >= kN) {
        mt_[0] = mt_[kN - 1];
        i = 1;
      }
      if (++j >= length) j = 0;
    }
    for (int k = kN - 1; k > 0; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) - static_cast<uint32_t>(i);
      if (++i >= kN) {
        mt_[0] = mt_[kN - 1];
        i = 1;
      }
    }
    mt_[0] = 0x80000000u;
  }
  uint32_t next_uint32() {
    if (index_ >= kN) {
      for (int k = 0; k < kN; ++k) {
        uint32_t y = (mt_[k] & 0x80000000u) | (mt_[(k + 1) % kN] & 0x7fffffffu);
        mt_[k] = mt_[(k + kM) % kN] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
      }
      index_ = 0;
    }
    uint32_t y = mt_[index_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
  }
};

/// The process-wide random state (TF keeps it in its eager context, shared by all threads).
struct RandomState {
  std::mutex mu;
  std::optional<int64_t> global_seed;
  std::optional<PythonRandom> op_seeds;      // draws op seeds while the global seed is set
  std::optional<std::mt19937_64> os_seeded;  // seeds of nondeterministic calls
  // Blocks used so far per (op, dtype, seed, seed2): TF's per-kernel generator state.
  std::map<std::tuple<const OpDef*, DType, uint64_t, uint64_t>, uint64_t> positions;
};
RandomState& state() {
  static auto* s = new RandomState();  // leaked: random ops may run during static destruction
  return *s;
}

int64_t truncate_seed(int64_t s) { return ((s % kMaxInt32) + kMaxInt32) % kMaxInt32; }  // Python's s % (2^31 - 1)

std::optional<std::pair<int64_t, int64_t>> get_seed_locked(RandomState& st, std::optional<int64_t> op_seed) {
  std::pair<int64_t, int64_t> seeds;
  if (st.global_seed) {
    int64_t op = op_seed ? *op_seed : st.op_seeds->randint_maxint32();
    seeds = {truncate_seed(*st.global_seed), truncate_seed(op)};
  } else if (op_seed) {
    seeds = {kDefaultGraphSeed, truncate_seed(*op_seed)};
  } else {
    return std::nullopt;
  }
  if (seeds == std::pair<int64_t, int64_t>{0, 0}) seeds.second = kMaxInt32;  // (0, 0) means "random" to TF's kernels
  return seeds;
}

/// The stream of one call of `op` making `n` elements of `dtype`: applies the seed rules and
/// reserves the call's blocks.
ops::RandomAttrs take_stream(const OpDef& op, DType dtype, std::optional<int64_t> op_seed, int64_t n) {
  RandomState& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  ops::RandomAttrs attrs;
  if (auto seeds = get_seed_locked(st, op_seed)) {
    attrs.seed = static_cast<uint64_t>(seeds->first);
    attrs.seed2 = static_cast<uint64_t>(seeds->second);
    uint64_t& position = st.positions[{&op, dtype, attrs.seed, attrs.seed2}];
    attrs.offset = position;
    position += static_cast<uint64_t>(n) * kBlocksPerElement;
  } else {
    if (!st.os_seeded) st.os_seeded.emplace(std::random_device{}() ^ (uint64_t{std::random_device{}()} << 32));
    attrs.seed = (*st.os_seeded)();
    attrs.seed2 = (*st.os_seeded)();
  }
  return attrs;
}

void check_shape(const char* op, const Shape& shape) {
  for (int64_t d : shape) TF_CHECK_ARG(d >= 0, op, "Dimension ", d, " must be >= 0 in shape ", shape.to_string());
}

/// Whether `from` broadcasts to exactly `to` (NumPy's rules, without growing `to`).
bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.rank() > to.rank()) return false;
  for (int i = 1; i <= from.rank(); ++i)
    if (from.dim(-i) != 1 && from.dim(-i) != to.dim(-i)) return false;
  return true;
}

/// v rounded to dtype (a floating dtype), as a double.
double in_dtype(double v, DType dtype) {
  return visit_floating(dtype, "RandomUniform", [&]<typename T>() { return static_cast<double>(T(v)); });
}

Tensor normal_like(const OpDef& op, const Shape& shape, const random::NormalOptions& o) {
  check_shape(op.name, shape);
  TF_CHECK_ARG(is_floating(o.dtype), op.name, "Value for attr 'dtype' of ", dtype_name(o.dtype),
               " is not in the list of allowed values: float16, bfloat16, float32, float64");
  ops::RandomAttrs attrs = take_stream(op, o.dtype, o.seed, shape.num_elements());
  attrs.scale = in_dtype(o.stddev, o.dtype);
  attrs.shift = in_dtype(o.mean, o.dtype);
  return dispatch1(op, {}, &attrs, {shape, o.dtype});
}

/// An integer bound of uniform, checked to be a whole number that fits the dtype.
int64_t int_bound(const char* name, const Scalar& v, DType dtype) {
  const double d = v.to_double();
  TF_CHECK_ARG(v.is_integral() || (std::trunc(d) == d && d >= -0x1p63 && d < 0x1p63), "RandomUniformInt",
               "Cannot convert ", name, "=", d, " to a ", dtype_name(dtype), " value");
  const int64_t i = v.to_int64();
  TF_CHECK_ARG(
      dtype == DType::kInt64 || (i >= std::numeric_limits<int32_t>::min() && i <= std::numeric_limits<int32_t>::max()),
      "RandomUniformInt", name, "=", i, " does not fit in int32");
  return i;
}
}  // namespace

namespace random {

void set_seed(std::optional<int64_t> seed) {
  RandomState& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  st.global_seed = seed;
  if (seed)
    st.op_seeds.emplace(*seed);
  else
    st.op_seeds.reset();
  st.positions.clear();
}

std::optional<std::pair<int64_t, int64_t>> get_seed(std::optional<int64_t> op_seed) {
  RandomState& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  return get_seed_locked(st, op_seed);
}

Tensor normal(const Shape& shape, const NormalOptions& options) {
  return normal_like(ops::RandomStandardNormal, shape, options);
}

Tensor truncated_normal(const Shape& shape, const NormalOptions& options) {
  return normal_like(ops::TruncatedNormal, shape, options);
}

Tensor uniform(const Shape& shape, const UniformOptions& o) {
  if (is_integer(o.dtype)) {
    const char* op = ops::RandomUniformInt.name;
    check_shape(op, shape);
    TF_CHECK_ARG(o.dtype == DType::kInt32 || o.dtype == DType::kInt64, op, "Value for attr 'Tout' of ",
                 dtype_name(o.dtype), " is not in the list of allowed values: int32, int64");
    TF_CHECK_ARG(o.maxval.has_value(), op, "Must specify maxval for integer dtype ", dtype_name(o.dtype));
    const int64_t lo = int_bound("minval", o.minval, o.dtype), hi = int_bound("maxval", *o.maxval, o.dtype);
    TF_CHECK_ARG(lo < hi, op, "Need minval < maxval: ", lo, " >= ", hi);
    ops::RandomAttrs attrs = take_stream(ops::RandomUniformInt, o.dtype, o.seed, shape.num_elements());
    attrs.minval = lo;
    attrs.range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
    return dispatch1(ops::RandomUniformInt, {}, &attrs, {shape, o.dtype});
  }
  const char* op = ops::RandomUniform.name;
  check_shape(op, shape);
  TF_CHECK_ARG(is_floating(o.dtype), op, "Invalid dtype ", dtype_name(o.dtype),
               " for uniform: expected float16, bfloat16, float32, float64, int32 or int64");
  ops::RandomAttrs attrs = take_stream(ops::RandomUniform, o.dtype, o.seed, shape.num_elements());
  // TF's wrapper: u * (maxval - minval) + minval, the difference taken in the dtype.
  const double lo = in_dtype(o.minval.to_double(), o.dtype);
  const double hi = in_dtype(o.maxval ? o.maxval->to_double() : 1.0, o.dtype);
  attrs.scale = visit_floating(o.dtype, op, [&]<typename T>() {
    if constexpr (std::is_floating_point_v<T>)
      return static_cast<double>(T(hi) - T(lo));
    else
      return static_cast<double>(T(static_cast<float>(T(hi)) - static_cast<float>(T(lo))));  // halves: via float
  });
  attrs.shift = lo;
  return dispatch1(ops::RandomUniform, {}, &attrs, {shape, o.dtype});
}

}  // namespace random

namespace ops {
Shape dropout_noise_shape(const DropoutAttrs& attrs, const Shape& x) {
  Shape s = attrs.noise_shape;
  const int shift = x.rank() - s.rank();
  for (int d = 0; d < s.rank(); ++d)
    if (s[d] < 0 && d + shift >= 0) s[d] = x[d + shift];
  return s;
}

Tensor dropout_with(const Tensor& x, const DropoutAttrs& attrs) {
  return dispatch1(Dropout, std::span<const Tensor>(&x, 1), &attrs, {x.shape(), x.dtype()});
}
}  // namespace ops

namespace nn {
Tensor dropout(const Tensor& x, double rate, const DropoutOptions& options) {
  TF_CHECK_ARG(rate >= 0 && rate < 1, "Dropout", "`rate` must be a scalar tensor or a float in the range [0, 1). ",
               "Received: rate=", rate);
  TF_CHECK_ARG(is_floating(x.dtype()), "Dropout", "`x.dtype` must be a floating point tensor as `x` will be scaled. ",
               "Received: x_dtype=", dtype_name(x.dtype()));
  if (rate == 0) {
    random::get_seed(options.seed);  // TF's dummy_rng_step: the op seed sequence moves on either way
    return x;
  }
  ops::DropoutAttrs attrs;
  attrs.rate = rate;
  attrs.noise_shape = options.noise_shape.value_or(x.shape());
  if (attrs.noise_shape.rank() == x.ndim()) {  // TF's _get_noise_shape: unknown dims take x's
    for (int i = 0; i < x.ndim(); ++i)
      if (attrs.noise_shape[i] == -1) attrs.noise_shape[i] = x.shape()[i];
  }
  // While tracing, the unknown dimensions x gave the noise shape are its call's sizes (the
  // kernel reads them from x), and the stream reserves kUnknownShapeElements per call.
  const bool traced_unknown = !attrs.noise_shape.is_fully_defined() && shape_is_bound(attrs.noise_shape);
  if (!traced_unknown) check_shape("Dropout", attrs.noise_shape);
  TF_CHECK_ARG(broadcasts_to(attrs.noise_shape, x.shape()), "Dropout", "noise_shape ", attrs.noise_shape.to_string(),
               " does not broadcast to x's shape ", x.shape().to_string());
  ops::RandomAttrs stream =
      take_stream(ops::RandomUniform, x.dtype(), options.seed,
                  traced_unknown ? ops::kUnknownShapeElements : attrs.noise_shape.num_elements());
  attrs.seed = stream.seed;
  attrs.seed2 = stream.seed2;
  attrs.offset = stream.offset;
  return ops::dropout_with(x, attrs);
}
}  // namespace nn

}  // namespace tapeflow
