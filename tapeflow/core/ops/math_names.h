// tf::math: TF's tf.math names for the ops Tapeflow defines in namespace tf (the same functions,
// every overload): `tf::math::reduce_sum(x, {.axis = 1, .keepdims = true})`, `tf::math::argmax(x, 1)`.
#pragma once
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/reduction_options.h"
#include "tapeflow/core/ops/softmax.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::math {
// Reductions, scans, top_k.
using tapeflow::argmax;
using tapeflow::argmin;
using tapeflow::cumprod;
using tapeflow::cumsum;
using tapeflow::reduce_all;
using tapeflow::reduce_any;
using tapeflow::reduce_max;
using tapeflow::reduce_mean;
using tapeflow::reduce_min;
using tapeflow::reduce_prod;
using tapeflow::reduce_sum;
using tapeflow::top_k;
using tapeflow::unsorted_segment_sum;
// Elementwise unary.
using tapeflow::abs;
using tapeflow::ceil;
using tapeflow::cos;
using tapeflow::erf;
using tapeflow::erfc;
using tapeflow::exp;
using tapeflow::expm1;
using tapeflow::floor;
using tapeflow::is_finite;
using tapeflow::is_inf;
using tapeflow::is_nan;
using tapeflow::log;
using tapeflow::log1p;
using tapeflow::logical_not;
using tapeflow::negative;
using tapeflow::reciprocal;
using tapeflow::round;
using tapeflow::rsqrt;
using tapeflow::sigmoid;
using tapeflow::sign;
using tapeflow::sin;
using tapeflow::sqrt;
using tapeflow::square;
using tapeflow::tan;
using tapeflow::tanh;
using tapeflow::nn::log_softmax;
using tapeflow::nn::softmax;
using tapeflow::nn::softplus;
using tapeflow::nn::softsign;
// Elementwise binary and comparisons.
using tapeflow::add;
using tapeflow::divide;
using tapeflow::equal;
using tapeflow::floordiv;
using tapeflow::floormod;
using tapeflow::greater;
using tapeflow::greater_equal;
using tapeflow::less;
using tapeflow::less_equal;
using tapeflow::logical_and;
using tapeflow::logical_or;
using tapeflow::maximum;
using tapeflow::minimum;
using tapeflow::mod;
using tapeflow::multiply;
using tapeflow::not_equal;
using tapeflow::pow;
using tapeflow::squared_difference;
using tapeflow::subtract;
using tapeflow::truediv;
}  // namespace tapeflow::math
