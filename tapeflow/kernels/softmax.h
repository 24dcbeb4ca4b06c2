// Scalar math of softmax, log_softmax and the softmax cross-entropies, written once for the CPU
// kernels and the CUDA kernels (__host__ __device__). Every formula subtracts the row maximum
// first, so exp never overflows: softmax(x) = exp(x - max) / sum(exp(x - max)).
// C is the compute type (float for float16/bfloat16, else the dtype's type).
#pragma once
#include <cmath>
#include <limits>

#include "tapeflow/util/half.h"

namespace tapeflow::kernels {

/// Running (max, sum of exp(x - max)) of a row, one value at a time: a new maximum rescales the
/// sum. Parts of a row reduced separately are merged (a CUDA block merges its warps' stats).
/// -inf entries add nothing; a row of only -inf gives NaN, as TF's exp(x - max) does.
template <typename C> struct SoftmaxStats {
  C max = -std::numeric_limits<C>::infinity();
  C sum = C(0);

  TF_HOST_DEVICE void push(C x) {
    if (x != x) {  // NaN poisons the row, as in TF
      max = sum = x;
    } else if (max != max) {
      return;
    } else if (x > max) {
      sum = sum * std::exp(max - x) + C(1);
      max = x;
    } else if (x > -std::numeric_limits<C>::infinity()) {  // exp(-inf - max) adds nothing
      sum += std::exp(x - max);
    }
  }
  TF_HOST_DEVICE void merge(const SoftmaxStats& o) {
    if (o.max != o.max) {
      *this = o;
    } else if (max != max) {
      return;
    } else if (o.max > max) {
      sum = sum * std::exp(max - o.max) + o.sum;
      max = o.max;
    } else if (o.max > -std::numeric_limits<C>::infinity()) {
      sum += o.sum * std::exp(o.max - max);
    }
  }
  /// log(sum(exp(x))) of the row: -inf for an empty row.
  TF_HOST_DEVICE C log_sum_exp() const { return max + std::log(sum); }
};

/// softmax(x) given the row's stats: exp(x - max) / sum.
struct SoftmaxFn {
  template <typename C> TF_HOST_DEVICE C operator()(C x, const SoftmaxStats<C>& s) const {
    return std::exp(x - s.max) / s.sum;
  }
};
/// log_softmax(x) = x - log_sum_exp.
struct LogSoftmaxFn {
  template <typename C> TF_HOST_DEVICE C operator()(C x, C log_sum_exp) const { return x - log_sum_exp; }
};

/// One class's share of the cross-entropy -sum(labels * log_softmax(logits)): labels * (lse - x),
/// taken as 0 where the label is 0 (so an -inf logit with label 0 adds nothing, as in TF).
struct XentLossTermFn {
  template <typename C> TF_HOST_DEVICE C operator()(C x, C label, C log_sum_exp) const {
    return label == C(0) ? C(0) : label * (log_sum_exp - x);
  }
};
/// d(loss)/d(x) of one class: softmax(x) - label.
struct XentBackpropFn {
  template <typename C> TF_HOST_DEVICE C operator()(C x, C label, C log_sum_exp) const {
    return std::exp(x - log_sum_exp) - label;
  }
};

}  // namespace tapeflow::kernels
