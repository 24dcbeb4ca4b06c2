// RaggedTensor: construction with TF's partition checks, shape and partition accessors,
// to_tensor (through the RaggedTensorToTensor op), Python-style printing, elementwise ops.
#include "tapeflow/core/ops/ragged.h"

#include <charconv>
#include <cmath>
#include <sstream>

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow {
namespace ops {
OpDef RaggedTensorToTensor{.name = "RaggedTensorToTensor", .placement = Placement::kHostOnly};
void register_ragged_ops() { register_op(RaggedTensorToTensor); }
}  // namespace ops

namespace {

std::vector<int64_t> host_int64(const Tensor& t) {
  return t.dtype() == DType::kInt64 ? t.to_vector<int64_t>() : cast(t, DType::kInt64).to_vector<int64_t>();
}

Tensor int64_tensor(const std::vector<int64_t>& v) {
  Tensor t = Tensor::empty(Shape{static_cast<int64_t>(v.size())}, DType::kInt64, kCPU0);
  std::copy(v.begin(), v.end(), t.data<int64_t>());
  return t;
}

/// values[b:e] along the first axis, as a view.
Tensor slice_rows(const Tensor& t, int64_t b, int64_t e) {
  Shape s = t.shape();
  s[0] = e - b;
  return detail::make_view(t.storage(), s, t.strides(), t.offset() + b * t.strides()[0], t.dtype(), t.device());
}

int64_t leading_dim(const Tensor& values) {
  TF_CHECK_ARG(values.ndim() >= 1, "RaggedTensor", "values must have rank at least 1, got shape ",
               values.shape().to_string());
  return values.shape()[0];
}

void check_partition_tensor(const Tensor& t, const char* what, const char* ctor) {
  TF_CHECK_ARG(t.dtype() == DType::kInt64 || t.dtype() == DType::kInt32, ctor, what, " must be int32 or int64, got ",
               dtype_name(t.dtype()));
  TF_CHECK_ARG(t.ndim() == 1, ctor, "Arguments to ", ctor, " do not form a valid RaggedTensor: ", what,
               " must have rank 1, got shape ", t.shape().to_string());
}

/// TF's RowPartition checks on row_splits: non-empty, starts at 0, non-decreasing, ends at nvals.
void validate_row_splits(const std::vector<int64_t>& s, int64_t nvals, const char* ctor) {
  const std::string msg = std::string("Arguments to ") + ctor + " do not form a valid RaggedTensor: ";
  TF_CHECK_ARG(!s.empty(), ctor, msg, "row_splits must be non-empty (it has nrows + 1 entries)");
  TF_CHECK_ARG(s.front() == 0, ctor, msg, "zero: the first element of row_splits must be 0, got ", s.front());
  for (std::size_t i = 1; i < s.size(); ++i)
    TF_CHECK_ARG(s[i] >= s[i - 1], ctor, msg, "monotonic: row_splits must be non-decreasing, but row_splits[", i,
                 "] = ", s[i], " < row_splits[", i - 1, "] = ", s[i - 1]);
  TF_CHECK_ARG(s.back() == nvals, ctor, msg, "the last element of row_splits (", s.back(),
               ") must equal the number of values (", nvals, ")");
}

RaggedTensor make(const RaggedTensor* inner, const Tensor& dense, std::vector<int64_t> splits, bool validate,
                  const char* ctor) {
  const int64_t nvals = inner ? inner->nrows() : leading_dim(dense);
  if (validate) validate_row_splits(splits, nvals, ctor);
  std::vector<Tensor> nested{int64_tensor(splits)};
  if (inner) nested.insert(nested.end(), inner->nested_row_splits().begin(), inner->nested_row_splits().end());
  return RaggedTensor::from_nested_row_splits(inner ? inner->flat_values() : dense, std::move(nested), false);
}

std::vector<int64_t> splits_from_lengths(const Tensor& row_lengths, bool validate) {
  check_partition_tensor(row_lengths, "row_lengths", "from_row_lengths");
  std::vector<int64_t> len = host_int64(row_lengths), s{0};
  for (std::size_t i = 0; i < len.size(); ++i) {
    if (validate)
      TF_CHECK_ARG(len[i] >= 0, "from_row_lengths",
                   "Arguments to from_row_lengths do not form a valid RaggedTensor: negative: row_lengths[", i,
                   "] = ", len[i]);
    s.push_back(s.back() + len[i]);
  }
  return s;
}

// ---- Python repr of to_list() ----------------------------------------------------------------
/// repr(float): shortest round-trip digits, exponent form when the exponent is < -4 or >= 16.
std::string py_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  const std::size_t e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits += c;
  const int n = static_cast<int>(digits.size()), decpt = exp + 1;
  std::string out;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0)
      out = "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
    else if (decpt >= n)
      out = digits + std::string(static_cast<std::size_t>(decpt - n), '0') + ".0";
    else
      out = digits.substr(0, static_cast<std::size_t>(decpt)) + "." + digits.substr(static_cast<std::size_t>(decpt));
  } else {
    out = digits.substr(0, 1) + (n > 1 ? "." + digits.substr(1) : "");
    const int ae = std::abs(exp);
    out += std::string("e") + (exp < 0 ? "-" : "+") + (ae < 10 ? "0" : "") + std::to_string(ae);
  }
  return sign + out;
}

}  // namespace

namespace detail {
/// repr(bytes): b'Gray wolf', non-printable bytes as \xhh.
std::string py_bytes(const std::string& s) {
  const bool dq = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
  const char q = dq ? '"' : '\'';
  std::string out = "b";
  out += q;
  static const char* hex = "0123456789abcdef";
  for (unsigned char c : s) {
    if (c == '\\' || c == static_cast<unsigned char>(q)) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t')
      out += "\\t";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c < 32 || c >= 127) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else
      out += static_cast<char>(c);
  }
  out += q;
  return out;
}

/// Python reprs of every element of t (row-major).
std::vector<std::string> py_element_reprs(const Tensor& t) {
  std::vector<std::string> out;
  if (t.dtype() == DType::kString) {
    for (const std::string& s : t.to_vector<std::string>()) out.push_back(py_bytes(s));
  } else if (t.dtype() == DType::kBool) {
    for (bool b : t.to_vector<bool>()) out.push_back(b ? "True" : "False");
  } else if (is_integer(t.dtype())) {
    for (int64_t v : host_int64(t)) out.push_back(std::to_string(v));
  } else {
    for (double v : cast(t, DType::kFloat64).to_vector<double>()) out.push_back(py_float(v));
  }
  return out;
}
}  // namespace detail

// ---- construction ------------------------------------------------------------------------------
RaggedTensor RaggedTensor::from_row_splits(const Tensor& values, const Tensor& row_splits, bool validate) {
  check_partition_tensor(row_splits, "row_splits", "from_row_splits");
  return make(nullptr, values, host_int64(row_splits), validate, "from_row_splits");
}
RaggedTensor RaggedTensor::from_row_splits(const RaggedTensor& values, const Tensor& row_splits, bool validate) {
  check_partition_tensor(row_splits, "row_splits", "from_row_splits");
  return make(&values, Tensor(), host_int64(row_splits), validate, "from_row_splits");
}
RaggedTensor RaggedTensor::from_row_lengths(const Tensor& values, const Tensor& row_lengths, bool validate) {
  return make(nullptr, values, splits_from_lengths(row_lengths, validate), validate, "from_row_lengths");
}
RaggedTensor RaggedTensor::from_row_lengths(const RaggedTensor& values, const Tensor& row_lengths, bool validate) {
  return make(&values, Tensor(), splits_from_lengths(row_lengths, validate), validate, "from_row_lengths");
}

RaggedTensor RaggedTensor::from_value_rowids(const Tensor& values, const Tensor& value_rowids,
                                             std::optional<int64_t> nrows, bool validate) {
  const char* ctor = "from_value_rowids";
  check_partition_tensor(value_rowids, "value_rowids", ctor);
  std::vector<int64_t> ids = host_int64(value_rowids);
  const int64_t nvals = leading_dim(values);
  const std::string msg = "Arguments to from_value_rowids do not form a valid RaggedTensor: ";
  TF_CHECK_ARG(static_cast<int64_t>(ids.size()) == nvals, ctor, msg, "value_rowids has ", ids.size(),
               " entries but there are ", nvals, " values");
  const int64_t n = nrows.value_or(ids.empty() ? 0 : ids.back() + 1);
  TF_CHECK_ARG(n >= 0, ctor, msg, "nrows must be non-negative, got ", n);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    TF_CHECK_ARG(ids[i] >= 0, ctor, msg, "negative: value_rowids[", i, "] = ", ids[i]);
    TF_CHECK_ARG(i == 0 || ids[i] >= ids[i - 1], ctor, msg, "sorted: value_rowids must be sorted, but value_rowids[", i,
                 "] = ", ids[i], " < ", ids[i - 1]);
  }
  for (std::size_t i = 0; i < ids.size(); ++i)
    TF_CHECK_ARG(ids[i] < n, ctor, msg, "nrows: value_rowids[", i, "] = ", ids[i], " is not less than nrows = ", n);
  std::vector<int64_t> splits(static_cast<std::size_t>(n) + 1, 0);
  for (int64_t id : ids) ++splits[static_cast<std::size_t>(id) + 1];
  for (std::size_t i = 1; i < splits.size(); ++i) splits[i] += splits[i - 1];
  return make(nullptr, values, std::move(splits), validate, ctor);
}

RaggedTensor RaggedTensor::from_nested_row_splits(const Tensor& flat_values, std::vector<Tensor> nested_row_splits,
                                                  bool validate) {
  TF_CHECK_ARG(!nested_row_splits.empty(), "from_nested_row_splits", "nested_row_splits must be non-empty");
  if (validate) {
    int64_t nvals = leading_dim(flat_values);
    for (std::size_t k = nested_row_splits.size(); k-- > 0;) {
      check_partition_tensor(nested_row_splits[k], "row_splits", "from_nested_row_splits");
      std::vector<int64_t> s = host_int64(nested_row_splits[k]);
      validate_row_splits(s, nvals, "from_nested_row_splits");
      nvals = static_cast<int64_t>(s.size()) - 1;
    }
  }
  for (Tensor& s : nested_row_splits)
    if (s.dtype() != DType::kInt64) s = cast(s, DType::kInt64);
  RaggedTensor rt;
  rt.flat_values_ = flat_values;
  rt.nested_row_splits_ = std::move(nested_row_splits);
  return rt;
}

// ---- accessors ---------------------------------------------------------------------------------
int64_t RaggedTensor::nrows() const { return row_splits().shape()[0] - 1; }

Shape RaggedTensor::shape() const {
  Shape s{nrows()};
  for (int k = 0; k < ragged_rank(); ++k) s.push_back(-1);
  for (int d = 1; d < flat_values_.ndim(); ++d) s.push_back(flat_values_.shape()[d]);
  return s;
}

MaybeRagged RaggedTensor::values() const {
  if (ragged_rank() == 1) return flat_values_;
  return from_nested_row_splits(flat_values_, {nested_row_splits_.begin() + 1, nested_row_splits_.end()}, false);
}

Tensor RaggedTensor::row_lengths() const {
  std::vector<int64_t> s = host_int64(row_splits()), len;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) len.push_back(s[i + 1] - s[i]);
  return int64_tensor(len);
}

Tensor RaggedTensor::value_rowids() const {
  std::vector<int64_t> s = host_int64(row_splits()), ids;
  for (std::size_t i = 0; i + 1 < s.size(); ++i)
    ids.insert(ids.end(), static_cast<std::size_t>(s[i + 1] - s[i]), static_cast<int64_t>(i));
  return int64_tensor(ids);
}

MaybeRagged RaggedTensor::operator[](int64_t row) const {
  const int64_t n = nrows();
  const int64_t r = row < 0 ? row + n : row;
  TF_CHECK_TYPED(r >= 0 && r < n, InvalidArgumentError, "RaggedGetItem", "row ", row,
                 " is out of bounds for a RaggedTensor with ", n, " rows");
  std::vector<int64_t> s = host_int64(row_splits());
  const int64_t b = s[static_cast<std::size_t>(r)], e = s[static_cast<std::size_t>(r) + 1];
  if (ragged_rank() == 1) return slice_rows(flat_values_, b, e);
  // Each deeper partition is cut to the rows under [lo, hi) and rebased to start at 0.
  int64_t lo = b, hi = e;
  std::vector<Tensor> nested;
  for (std::size_t k = 1; k < nested_row_splits_.size(); ++k) {
    std::vector<int64_t> ks = host_int64(nested_row_splits_[k]);
    std::vector<int64_t> part(ks.begin() + lo, ks.begin() + hi + 1);
    for (int64_t& v : part) v -= ks[static_cast<std::size_t>(lo)];
    nested.push_back(int64_tensor(part));
    lo = ks[static_cast<std::size_t>(lo)];
    hi = ks[static_cast<std::size_t>(hi)];
  }
  return from_nested_row_splits(slice_rows(flat_values_, lo, hi), std::move(nested), false);
}

RaggedTensor RaggedTensor::with_flat_values(const Tensor& new_values) const {
  TF_CHECK_ARG(new_values.ndim() >= 1 && new_values.shape()[0] == flat_values_.shape()[0], "RaggedTensor",
               "new flat values must keep the number of values (", flat_values_.shape()[0], "), got shape ",
               new_values.shape().to_string());
  return from_nested_row_splits(new_values, nested_row_splits_, false);
}

// ---- to_tensor -----------------------------------------------------------------------------------
namespace {
Tensor to_tensor_impl(const RaggedTensor& rt, const Tensor& default_value) {
  TF_CHECK_ARG(default_value.dtype() == rt.dtype(), "RaggedTensorToTensor", "default_value must have dtype ",
               dtype_name(rt.dtype()), ", got ", dtype_name(default_value.dtype()));
  // Bounding shape: nrows, then the longest row at each ragged level, then the uniform inner dims.
  Shape out{rt.nrows()};
  for (const Tensor& splits : rt.nested_row_splits()) {
    std::vector<int64_t> s = host_int64(splits);
    int64_t longest = 0;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) longest = std::max(longest, s[i + 1] - s[i]);
    out.push_back(longest);
  }
  for (int d = 1; d < rt.flat_values().ndim(); ++d) out.push_back(rt.flat_values().shape()[d]);
  std::vector<Tensor> inputs{rt.flat_values(), default_value};
  inputs.insert(inputs.end(), rt.nested_row_splits().begin(), rt.nested_row_splits().end());
  return dispatch1(ops::RaggedTensorToTensor, inputs, nullptr, {out, rt.dtype()});
}
}  // namespace

Tensor RaggedTensor::to_tensor(std::optional<Scalar> default_value) const {
  if (dtype() == DType::kString) return to_tensor(std::string());
  return to_tensor_impl(*this, scalar_tensor(default_value.value_or(0), dtype()));
}
Tensor RaggedTensor::to_tensor(const std::string& default_value) const {
  return to_tensor_impl(*this, tapeflow::constant(default_value));
}

// ---- printing ------------------------------------------------------------------------------------
std::string RaggedTensor::format_list() const {
  std::vector<std::string> elems = detail::py_element_reprs(flat_values_);
  const Shape& vs = flat_values_.shape();
  // Each flat value is itself a (possibly nested) list when the values have uniform inner dims.
  std::vector<std::string> items;
  const int64_t per = vs.rank() > 1 ? flat_values_.size() / std::max<int64_t>(vs[0], 1) : 1;
  for (int64_t v = 0; v < vs[0]; ++v) {
    std::function<std::string(int, int64_t&)> nest = [&](int d, int64_t& pos) -> std::string {
      if (d == vs.rank()) return elems[static_cast<std::size_t>(pos++)];
      std::string s = "[";
      for (int64_t i = 0; i < vs[d]; ++i) s += (i ? ", " : "") + nest(d + 1, pos);
      return s + "]";
    };
    int64_t pos = v * per;
    items.push_back(nest(1, pos));
  }
  for (std::size_t k = nested_row_splits_.size(); k-- > 0;) {
    std::vector<int64_t> s = host_int64(nested_row_splits_[k]);
    std::vector<std::string> rows;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
      std::string r = "[";
      for (int64_t j = s[i]; j < s[i + 1]; ++j) r += (j > s[i] ? ", " : "") + items[static_cast<std::size_t>(j)];
      rows.push_back(r + "]");
    }
    items = std::move(rows);
  }
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

std::ostream& operator<<(std::ostream& os, const RaggedTensor& rt) {
  if (!rt.defined()) return os << "<tf.RaggedTensor <undefined>>";
  return os << "<tf.RaggedTensor " << rt.format_list() << ">";
}

const Tensor& MaybeRagged::tensor() const {
  TF_CHECK_ARG(!is_ragged(), "MaybeRagged", "this value is a RaggedTensor of shape ", ragged_.shape().to_string(),
               ", not a Tensor; use ragged()");
  return dense_;
}
const RaggedTensor& MaybeRagged::ragged() const {
  TF_CHECK_ARG(is_ragged(), "MaybeRagged", "this value is a Tensor of shape ", dense_.shape().to_string(),
               ", not a RaggedTensor; use tensor()");
  return ragged_;
}
std::ostream& operator<<(std::ostream& os, const MaybeRagged& m) {
  return m.is_ragged() ? os << m.ragged() : os << m.tensor();
}

// ---- elementwise -----------------------------------------------------------------------------
namespace {
RaggedTensor binary_ragged(const RaggedTensor& a, const RaggedTensor& b, Tensor (*fn)(const Tensor&, const Tensor&)) {
  bool same = a.ragged_rank() == b.ragged_rank();
  for (int k = 0; same && k < a.ragged_rank(); ++k)
    same = host_int64(a.nested_row_splits()[k]) == host_int64(b.nested_row_splits()[k]);
  TF_CHECK_ARG(same, "RaggedBinaryOp", "Inputs must have identical ragged splits: shapes ", a.shape().to_string(),
               " and ", b.shape().to_string(), " partition their values differently");
  return a.with_flat_values(fn(a.flat_values(), b.flat_values()));
}
}  // namespace

RaggedTensor operator+(const RaggedTensor& a, Scalar b) { return a.with_flat_values(a.flat_values() + b); }
RaggedTensor operator-(const RaggedTensor& a, Scalar b) { return a.with_flat_values(a.flat_values() - b); }
RaggedTensor operator*(const RaggedTensor& a, Scalar b) { return a.with_flat_values(a.flat_values() * b); }
RaggedTensor operator/(const RaggedTensor& a, Scalar b) { return a.with_flat_values(a.flat_values() / b); }
RaggedTensor operator+(Scalar a, const RaggedTensor& b) { return b.with_flat_values(a + b.flat_values()); }
RaggedTensor operator*(Scalar a, const RaggedTensor& b) { return b.with_flat_values(a * b.flat_values()); }
RaggedTensor operator+(const RaggedTensor& a, const RaggedTensor& b) { return binary_ragged(a, b, add); }
RaggedTensor operator-(const RaggedTensor& a, const RaggedTensor& b) { return binary_ragged(a, b, subtract); }
RaggedTensor operator*(const RaggedTensor& a, const RaggedTensor& b) { return binary_ragged(a, b, multiply); }
RaggedTensor operator/(const RaggedTensor& a, const RaggedTensor& b) { return binary_ragged(a, b, divide); }
RaggedTensor operator==(const RaggedTensor& a, const RaggedTensor& b) { return binary_ragged(a, b, equal); }

namespace ragged {
namespace detail {
RaggedTensor build(const Tensor& flat_values, std::vector<std::vector<int64_t>> splits) {
  std::vector<Tensor> nested;
  for (const auto& s : splits) nested.push_back(int64_tensor(s));
  return RaggedTensor::from_nested_row_splits(flat_values.cpu(), std::move(nested), false);
}
}  // namespace detail

RaggedTensor map_flat_values(const std::function<Tensor(const Tensor&)>& fn, const RaggedTensor& rt) {
  return rt.with_flat_values(fn(rt.flat_values()));
}
}  // namespace ragged

}  // namespace tapeflow
