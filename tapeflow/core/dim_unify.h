// Unknown dimensions while tracing (Note [Unifying unknown dimensions]): the shape checks that
// equate two dimensions ask the active trace whether two unknown ones may be the same size.
// Included only by the .cpp files whose checks equate dimensions.
#pragma once
#include <cstdint>

#include "tapeflow/core/shape.h"
#include "tapeflow/core/tensor.h"

namespace tapeflow {

/// Set by a tf::function trace (graph/tracer.cpp) on its thread: records that two unknown
/// dimensions (the trace's placeholders, below -1) are one size, checked at every call.
class DimUnifier {
 public:
  virtual ~DimUnifier() = default;
  /// The placeholder standing for both `a` and `b` (both below -1) from now on; -1 when their
  /// classes were bound to different sizes.
  virtual int64_t unify(int64_t a, int64_t b) = 0;
  /// Records that placeholder `d` is `size` (an op met it with a known size); false when its class
  /// is bound to another size.
  virtual bool bind(int64_t d, int64_t size) = 0;
};

/// Installs `u` on this thread (nullptr: none) and returns the previous one.
DimUnifier* set_dim_unifier(DimUnifier* u) noexcept;

/// Whether a trace on this thread keeps classes of unknown dimensions (dims_match can unify).
bool unifying_dims() noexcept;

/// Whether dimensions `a` and `b` of two operands may be equated: equal sizes, or unknown
/// dimensions of the active trace, which are then unified with each other or bound to the known
/// size (the call checks its arguments' sizes against them before anything runs).
bool dims_match(int64_t a, int64_t b);

/// The dimension equal to both `a` and `b` (the unified placeholder of two unknown ones, the known
/// size an unknown one is bound to); -1 when no trace can unify them.
int64_t unify_dims(int64_t a, int64_t b);

/// dims_match for every dimension of two shapes of one rank.
bool shapes_match(const Shape& a, const Shape& b);

/// Whether every dimension of `s` is known, or an unknown dimension of the active trace (its size
/// bound at each call): a shape an op can be traced with (tf::fill, tf::ones_like).
bool shape_is_bound(const Shape& s);

/// The number of elements of `t` as a scalar of `dtype`: a constant when its shape is known, else
/// counted when the traced function runs (a None batch), as Keras's `ops.size`.
Tensor element_count(const Tensor& t, DType dtype);

/// The size of dimension `axis` of `t` as a scalar of `dtype`: a constant when it is known, else
/// counted when the traced function runs (Keras's `ops.shape(x)[0]` of a None batch).
Tensor dim_size(const Tensor& t, int axis, DType dtype);

}  // namespace tapeflow
