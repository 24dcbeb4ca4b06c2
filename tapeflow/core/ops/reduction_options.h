// The reductions' keyword form, in TF's argument order: `tf::reduce_sum(x, {.axis = 1,
// .keepdims = true})` (tf.reduce_sum(x, axis=1, keepdims=True)). Included by math_names.h (and so
// by tapeflow.h); reduction.h keeps the positional forms.
#pragma once
#include <concepts>
#include <initializer_list>
#include <vector>

#include "tapeflow/core/ops/reduction.h"

namespace tapeflow {

/// `{.axis = 1, .keepdims = true}`; axis as Axes takes it (one int, `{0, 1}`, all when left out).
/// GCC reads a lone designator, `{.axis = 1}`, as ambiguous with the axes forms: name both fields
/// or write `tf::reduce_sum(x, 1)`; `tf::reduce_sum(x, {})` is ambiguous too (leave the `{}` out).
struct ReduceOptions {
  Axes axis;
  bool keepdims = false;
};

// A braced list of axes, `tf::reduce_sum(x, {0, 1})`, takes the initializer_list overload (an
// exact match, so it is never read as a ReduceOptions); its element type is deduced, so a
// designated list, whose elements mix an int and a bool, never matches it.
#define TAPEFLOW_REDUCE_KEYWORD_FORMS(fn)                                                                    \
  template <std::integral I>                                                                               \
    requires(!std::same_as<I, bool>)                                                                       \
  Tensor fn(const Tensor& x, std::initializer_list<I> axis, bool keepdims = false) {                       \
    return fn(x, Axes(std::vector<int64_t>(axis.begin(), axis.end())), keepdims);                          \
  }                                                                                                        \
  inline Tensor fn(const Tensor& x, const ReduceOptions& options) { return fn(x, options.axis, options.keepdims); }
TAPEFLOW_REDUCE_KEYWORD_FORMS(reduce_sum)
TAPEFLOW_REDUCE_KEYWORD_FORMS(reduce_mean)
TAPEFLOW_REDUCE_KEYWORD_FORMS(reduce_max)
TAPEFLOW_REDUCE_KEYWORD_FORMS(reduce_min)
TAPEFLOW_REDUCE_KEYWORD_FORMS(reduce_prod)
TAPEFLOW_REDUCE_KEYWORD_FORMS(reduce_any)
TAPEFLOW_REDUCE_KEYWORD_FORMS(reduce_all)
#undef TAPEFLOW_REDUCE_KEYWORD_FORMS

}  // namespace tapeflow
