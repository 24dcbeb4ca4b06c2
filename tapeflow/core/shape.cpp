#include "tapeflow/core/shape.h"

#include <sstream>

#include "tapeflow/core/dim_unify.h"
#include "tapeflow/core/errors.h"

namespace tapeflow {

int64_t Shape::num_elements() const {
  int64_t n = 1;
  for (int64_t d : dims_) {
    if (d < 0) return -1;
    int64_t next;
    // TF checks every step (TensorShape::AddDim), with its message; a zero dimension after the
    // overflow does not undo it there either.
    if (__builtin_mul_overflow(n, d, &next)) [[unlikely]]
      TF_THROW(InvalidArgumentError, "", "Encountered overflow when multiplying ", n, " with ", d,
               ", result: -1 (shape ", to_string(), " has more than 2^63 - 1 elements)");
    n = next;
  }
  return n;
}

void Shape::throw_index(int i) const {
  TF_THROW(InvalidArgumentError, "", "Shape index ", i, " is out of range for shape ", to_string(), " of rank ", rank(),
           " (expected -", rank(), " <= index < ", rank(), ")");
}

bool Shape::is_fully_defined() const noexcept {
  for (int64_t d : dims_)
    if (d < 0) return false;
  return true;
}

std::string Shape::to_string() const {
  std::string s = "(";
  for (std::size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ", ";
    s += dims_[i] < 0 ? std::string("None") : std::to_string(dims_[i]);
  }
  if (dims_.size() == 1) s += ",";
  s += ")";
  return s;
}

std::string Shape::debug_string() const {
  std::string s = "[";
  for (int i = 0; i < rank(); ++i) {
    if (i) s += ',';
    s += std::to_string(dims_[i]);
  }
  s += ']';
  return s;
}

std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.to_string(); }

DimVector contiguous_strides(const Shape& shape) {
  DimVector strides(static_cast<std::size_t>(shape.rank()));
  // Unsigned: a shape with a zero dimension may have a stride product past int64 (TF allows
  // (0, 2^40, 2^40)); such strides are never used to address memory, so wrapping is harmless
  // there, and for every other shape num_elements() has already ruled the overflow out.
  uint64_t s = 1;
  for (int i = shape.rank() - 1; i >= 0; --i) {
    strides[static_cast<std::size_t>(i)] = static_cast<int64_t>(s);
    s *= static_cast<uint64_t>(shape[i] > 0 ? shape[i] : 1);
  }
  return strides;
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  if (a == b) return a;
  int r = a.rank() > b.rank() ? a.rank() : b.rank();
  DimVector out(static_cast<std::size_t>(r));
  for (int i = 0; i < r; ++i) {
    int ia = a.rank() - r + i, ib = b.rank() - r + i;
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da == db || db == 1) {
      out[static_cast<std::size_t>(i)] = da;
    } else if (da == 1) {
      out[static_cast<std::size_t>(i)] = db;
    } else if (da < 0 || db < 0) {
      // An unknown dimension (traced with None) broadcasts against a known one as TF's shape
      // inference assumes: the known size wins; two different unknowns of a trace are unified
      // (Note [Unifying unknown dimensions]: a call where they differ is rejected before it runs).
      out[static_cast<std::size_t>(i)] = da < 0 && db < 0 ? unify_dims(da, db) : (da < 0 ? db : da);
      // The known size wins: an unknown dimension of a trace is bound to it (checked per call).
      if ((da < -1) != (db < -1) && (da >= 0 || db >= 0) && unifying_dims())
        TF_CHECK_ARG(unify_dims(da, db) != -1, op, "Incompatible shapes: ", a.to_string(), " vs. ", b.to_string(),
                     " (dimension ", i - r, " is ", da, " and ", db, ")");
    } else {
      TF_THROW(InvalidArgumentError, op, "Incompatible shapes: ", a.to_string(), " vs. ", b.to_string(), " (dimension ",
               i - r, " is ", da, " and ", db, "; broadcasting needs equal sizes or 1)");
    }
  }
  return Shape(std::move(out));
}

int normalize_axis(const char* op, int64_t axis, int rank) {
  TF_CHECK_ARG(axis >= -rank && axis < rank, op, "axis ", axis, " is out of bounds for a tensor of rank ", rank,
               " (expected -", rank, " <= axis < ", rank, ")");
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

}  // namespace tapeflow
