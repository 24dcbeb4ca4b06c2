// RaggedTensor (tf.RaggedTensor): a tensor whose inner dimensions have rows of varying length,
// stored as flat values plus one int64 row_splits vector per ragged dimension (outermost
// first). tf::ragged::constant builds one from nested lists; MaybeRagged carries the result of
// TF functions that are ragged only for some input ranks (tf.strings.split of a scalar is dense).
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/scalar.h"

namespace tapeflow {

class MaybeRagged;

/// A ragged tensor of ragged_rank >= 1. Shape (nrows, None, ..., None, *flat_values.shape[1:]).
/// Immutable and cheap to copy (its parts are Tensor handles). Row splits are always int64
/// (int32 partitions are converted), and live on CPU:0 with the values.
class RaggedTensor {
 public:
  RaggedTensor() = default;

  /// tf.RaggedTensor.from_row_splits: row i is values[row_splits[i]:row_splits[i+1]].
  /// With validate, a bad partition is an InvalidArgumentError ("Arguments to from_row_splits do
  /// not form a valid RaggedTensor: ..."): empty, not starting at 0, decreasing, or not ending at nvals.
  static RaggedTensor from_row_splits(const Tensor& values, const Tensor& row_splits, bool validate = true);
  static RaggedTensor from_row_splits(const RaggedTensor& values, const Tensor& row_splits, bool validate = true);
  /// tf.RaggedTensor.from_row_lengths: row i holds row_lengths[i] values (non-negative, summing to nvals).
  static RaggedTensor from_row_lengths(const Tensor& values, const Tensor& row_lengths, bool validate = true);
  static RaggedTensor from_row_lengths(const RaggedTensor& values, const Tensor& row_lengths, bool validate = true);
  /// tf.RaggedTensor.from_value_rowids: values[i] belongs to row value_rowids[i] (sorted, >= 0, < nrows);
  /// nrows defaults to value_rowids[-1] + 1.
  static RaggedTensor from_value_rowids(const Tensor& values, const Tensor& value_rowids,
                                        std::optional<int64_t> nrows = std::nullopt, bool validate = true);
  /// From already-validated parts: flat values and row splits, outermost first.
  static RaggedTensor from_nested_row_splits(const Tensor& flat_values, std::vector<Tensor> nested_row_splits,
                                             bool validate = true);

  bool defined() const noexcept { return flat_values_.defined(); }
  /// (4, None) for [[0, 1, 2, 3], [4, 5], [6, 7, 8], [9]]; ragged dims are -1.
  Shape shape() const;
  DType dtype() const { return flat_values_.dtype(); }
  int ndim() const { return 1 + ragged_rank() + flat_values_.ndim() - 1; }
  int ragged_rank() const { return static_cast<int>(nested_row_splits_.size()); }
  int64_t nrows() const;

  /// The values one level down: a Tensor for ragged_rank 1, else a RaggedTensor.
  MaybeRagged values() const;
  const Tensor& flat_values() const { return flat_values_; }
  /// Outermost partition (int64, shape (nrows + 1,)).
  const Tensor& row_splits() const { return nested_row_splits_.front(); }
  const std::vector<Tensor>& nested_row_splits() const { return nested_row_splits_; }
  /// int64 (nrows,): row_splits[1:] - row_splits[:-1].
  Tensor row_lengths() const;
  /// int64 (nvals,): the row of each value one level down.
  Tensor value_rowids() const;

  /// tf.RaggedTensor.to_tensor: pads rows with default_value (0 / "" by default) to the bounding shape.
  Tensor to_tensor(std::optional<Scalar> default_value = std::nullopt) const;
  /// Same, for string ragged tensors.
  Tensor to_tensor(const std::string& default_value) const;

  /// to_list() of a ragged_rank 1 tensor with scalar values, as nested vectors (T must match dtype).
  template <typename T> std::vector<std::vector<T>> to_list() const;
  /// Row i (drops the outer dimension): a Tensor for ragged_rank 1, else a RaggedTensor.
  MaybeRagged operator[](int64_t row) const;

  /// Python's repr of to_list(): "[[0, 1, 2, 3], [4, 5]]", strings as b'...'.
  std::string format_list() const;

  /// A tensor with the same row partitions and other flat values (same leading dimension).
  RaggedTensor with_flat_values(const Tensor& new_values) const;

 private:
  Tensor flat_values_;
  std::vector<Tensor> nested_row_splits_;
};

/// Prints as TF: <tf.RaggedTensor [[0, 1, 2, 3], [4, 5], [6, 7, 8], [9]]>
std::ostream& operator<<(std::ostream& os, const RaggedTensor& rt);

/// A Tensor or a RaggedTensor: the result of TF functions that are ragged only for some input
/// ranks (tf.strings.split, bytes_split, unicode_decode of a scalar give a dense 1-D tensor).
/// Converts implicitly to Tensor (an InvalidArgumentError when it holds a RaggedTensor).
class MaybeRagged {
 public:
  MaybeRagged(Tensor t) : dense_(std::move(t)) {}         // NOLINT
  MaybeRagged(RaggedTensor r) : ragged_(std::move(r)) {}  // NOLINT
  bool is_ragged() const noexcept { return ragged_.defined(); }
  const Tensor& tensor() const;
  const RaggedTensor& ragged() const;
  operator Tensor() const { return tensor(); }  // NOLINT
  Shape shape() const { return is_ragged() ? ragged_.shape() : dense_.shape(); }
  DType dtype() const { return is_ragged() ? ragged_.dtype() : dense_.dtype(); }
  template <typename T> std::vector<T> to_vector() const { return tensor().to_vector<T>(); }

 private:
  Tensor dense_;
  RaggedTensor ragged_;
};
std::ostream& operator<<(std::ostream& os, const MaybeRagged& m);

// ---- elementwise ops on ragged tensors: applied to the flat values ---------------------------
/// `rt * 2`, `rt + 1`: the scalar takes the values' dtype.
RaggedTensor operator+(const RaggedTensor& a, Scalar b);
RaggedTensor operator-(const RaggedTensor& a, Scalar b);
RaggedTensor operator*(const RaggedTensor& a, Scalar b);
RaggedTensor operator/(const RaggedTensor& a, Scalar b);
RaggedTensor operator+(Scalar a, const RaggedTensor& b);
RaggedTensor operator*(Scalar a, const RaggedTensor& b);
/// Two ragged tensors with identical row splits (else InvalidArgumentError "Inputs must have
/// identical ragged splits").
RaggedTensor operator+(const RaggedTensor& a, const RaggedTensor& b);
RaggedTensor operator-(const RaggedTensor& a, const RaggedTensor& b);
RaggedTensor operator*(const RaggedTensor& a, const RaggedTensor& b);
RaggedTensor operator/(const RaggedTensor& a, const RaggedTensor& b);
RaggedTensor operator==(const RaggedTensor& a, const RaggedTensor& b);

namespace ragged {

namespace detail {
/// Flattens nested lists whose inner lengths may differ; `splits[d]` collects level d's row splits.
template <typename T>
void flatten_ragged(std::vector<T>& out, std::vector<std::vector<int64_t>>& splits, int depth, const T& v) {
  (void)splits;
  (void)depth;
  out.push_back(v);
}
template <typename T, typename L>
void flatten_ragged(std::vector<T>& out, std::vector<std::vector<int64_t>>& splits, int depth,
                    std::initializer_list<L> list);
template <typename T, typename L>
void flatten_ragged(std::vector<T>& out, std::vector<std::vector<int64_t>>& splits, int depth,
                    std::initializer_list<L> list) {
  auto& s = splits[static_cast<std::size_t>(depth)];
  for (const L& item : list) flatten_ragged<T>(out, splits, depth + 1, item);
  const std::size_t next = static_cast<std::size_t>(depth) + 1;
  s.push_back(next < splits.size() ? static_cast<int64_t>(splits[next].size()) - 1 : static_cast<int64_t>(out.size()));
}
RaggedTensor build(const Tensor& flat_values, std::vector<std::vector<int64_t>> splits);
template <typename T, typename L>
RaggedTensor constant_nested(std::initializer_list<L> list, int levels, std::optional<DType> dtype) {
  std::vector<T> flat;
  std::vector<std::vector<int64_t>> splits(static_cast<std::size_t>(levels - 1), std::vector<int64_t>{0});
  for (const L& row : list) flatten_ragged<T>(flat, splits, 0, row);
  return build(tapeflow::constant(std::vector<std::conditional_t<std::is_same_v<T, const char*>, std::string, T>>(
                                      flat.begin(), flat.end()),
                                  dtype),
               std::move(splits));
}
}  // namespace detail

/// tf.ragged.constant: `tf::ragged::constant({{0, 1, 2, 3}, {4, 5}, {6, 7, 8}, {9}})` is an int32
/// RaggedTensor of shape (4, None); three levels of lists give ragged_rank 2. Row splits are int64.
template <typename T>
RaggedTensor constant(std::initializer_list<std::initializer_list<T>> v, std::optional<DType> dtype = std::nullopt) {
  return detail::constant_nested<T>(v, 2, dtype);
}
template <typename T>
RaggedTensor constant(std::initializer_list<std::initializer_list<std::initializer_list<T>>> v,
                      std::optional<DType> dtype = std::nullopt) {
  return detail::constant_nested<T>(v, 3, dtype);
}
/// From nested vectors (rows of any length).
template <typename T>
RaggedTensor constant(const std::vector<std::vector<T>>& rows, std::optional<DType> dtype = std::nullopt) {
  std::vector<T> flat;
  std::vector<std::vector<int64_t>> splits(1, std::vector<int64_t>{0});
  for (const auto& r : rows) {
    flat.insert(flat.end(), r.begin(), r.end());
    splits[0].push_back(static_cast<int64_t>(flat.size()));
  }
  return detail::build(tapeflow::constant(flat, dtype), std::move(splits));
}

/// tf.ragged.map_flat_values: applies fn to the flat values, keeping the row partitions.
/// fn must keep the leading dimension (number of values).
RaggedTensor map_flat_values(const std::function<Tensor(const Tensor&)>& fn, const RaggedTensor& rt);

}  // namespace ragged

namespace ops {
extern OpDef RaggedTensorToTensor;  // inputs: flat_values, default_value, row_splits...
void register_ragged_ops();
}  // namespace ops

// ---- template definitions ------------------------------------------------------------------
template <typename T> std::vector<std::vector<T>> RaggedTensor::to_list() const {
  TF_CHECK_ARG(ragged_rank() == 1 && flat_values_.ndim() == 1, "RaggedTensor.to_list",
               "to_list<T>() needs ragged_rank 1 and scalar values; this tensor has shape ", shape().to_string());
  std::vector<T> v = flat_values_.to_vector<T>();
  std::vector<int64_t> s = row_splits().to_vector<int64_t>();
  std::vector<std::vector<T>> out;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) out.emplace_back(v.begin() + s[i], v.begin() + s[i + 1]);
  return out;
}

}  // namespace tapeflow
