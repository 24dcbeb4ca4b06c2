// Shape: the dimensions of a tensor (TF's TensorShape), printed as TF prints it: "(2, 3)".
// A dimension of -1 is unknown (TensorSpec shapes) and prints as "None".
#pragma once
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "tapeflow/util/small_vector.h"

namespace tapeflow {

using DimVector = util::SmallVector<int64_t, 6>;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(const std::vector<int64_t>& dims) : dims_(dims.begin(), dims.end()) {}
  explicit Shape(std::span<const int64_t> dims) : dims_(dims.begin(), dims.end()) {}
  explicit Shape(DimVector dims) : dims_(std::move(dims)) {}

  int rank() const noexcept { return static_cast<int>(dims_.size()); }
  /// Dimension i, counting from the end when negative (Python's `shape[-1]`); an index outside
  /// [-rank, rank) raises InvalidArgumentError (Python's IndexError) instead of reading past the end.
  int64_t operator[](int i) const { return dims_[checked_index(i)]; }
  int64_t& operator[](int i) { return dims_[checked_index(i)]; }
  int64_t dim(int i) const { return dims_[checked_index(i)]; }
  /// Product of the dimensions (1 for a scalar); -1 when a dimension is unknown. A product past
  /// 2^63 - 1 raises InvalidArgumentError, as TF's TensorShape does, instead of wrapping.
  int64_t num_elements() const;
  bool is_fully_defined() const noexcept;
  const DimVector& dims() const noexcept { return dims_; }
  std::vector<int64_t> as_vector() const { return {dims_.begin(), dims_.end()}; }
  const int64_t* begin() const noexcept { return dims_.begin(); }
  const int64_t* end() const noexcept { return dims_.end(); }
  void push_back(int64_t d) { dims_.push_back(d); }
  /// "(2, 3)", "(3,)", "()".
  std::string to_string() const;
  /// TF's TensorShape::DebugString, used in kernel messages: "[2,3]", "[]".
  std::string debug_string() const;

  friend bool operator==(const Shape& a, const Shape& b) { return a.dims_ == b.dims_; }
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

 private:
  std::size_t checked_index(int i) const {
    const int r = rank();
    if (i < 0) i += r;  // Python's rule; one compare covers both ends after the shift
    if (static_cast<unsigned>(i) >= static_cast<unsigned>(r)) [[unlikely]]
      throw_index(i < 0 ? i - r : i);
    return static_cast<std::size_t>(i);
  }
  [[noreturn]] void throw_index(int i) const;
  DimVector dims_;
};

std::ostream& operator<<(std::ostream& os, const Shape& s);

/// Row-major strides (in elements) of a contiguous tensor of this shape.
DimVector contiguous_strides(const Shape& shape);

/// NumPy broadcasting of two shapes; throws InvalidArgumentError naming op and both shapes.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

/// Normalizes a possibly negative axis for a tensor of the given rank; throws
/// InvalidArgumentError "op: axis 3 is out of bounds for a tensor of rank 2" otherwise.
int normalize_axis(const char* op, int64_t axis, int rank);

}  // namespace tapeflow
