// The bad-input sweep (issue 12): every op in the registry is called through its public function
// with wrong dtypes, wrong ranks, mismatched and empty shapes, NaN/Inf values, negative and huge
// dimensions, out-of-range axes and indices. Every call must either succeed (its outputs are then
// read in full) or raise a tf::errors::OpError; any other exception fails the test and a crash
// fails the binary. The table below is checked against tf::registered_ops(), so an op added
// without a sweep entry fails CI, as the gradient audit does.
#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tapeflow/core/ops/fused_contraction.h"
#include "tapeflow/core/ops/fused_elementwise.h"
#include "tapeflow/core/ops/rnn.h"
#include "tests/core/test_util.h"

namespace {

using Inputs = std::vector<tf::Tensor>;
using Run = std::function<void(const Inputs&)>;

/// An op's sweep entry: good inputs (each position is replaced in turn by every pool tensor) and
/// the public call. Ops without tensor inputs have no good inputs and rely on their probes.
struct Entry {
  Inputs good;
  Run run;
};

// Reads every element of a result, so an out-of-bounds kernel write or a wrong size shows.
void touch(const tf::Tensor& t) {
  if (!t.defined() || t.dtype() == tf::string) return;
  if (t.size() > (1 << 20)) return;
  (void)tf::cast(t, tf::float64).to_vector<double>();
}
void touch(const std::vector<tf::Tensor>& ts) {
  for (const auto& t : ts) touch(t);
}
void touch(const tf::RaggedTensor& r) { touch(r.flat_values()); }
void touch(const tf::MaybeRagged& m) {
  if (m.is_ragged())
    touch(m.ragged());
  else
    touch(m.tensor());
}

tf::Tensor f32(const tf::Shape& s) { return tf::reshape(tf::cast(tf::range(s.num_elements()), tf::float32), s) / 7.0f; }
tf::Tensor i32(const tf::Shape& s) { return tf::reshape(tf::range(s.num_elements()), s); }
tf::Tensor i64(std::vector<int64_t> v) { return tf::constant(v, tf::Shape{static_cast<int64_t>(v.size())}); }
tf::Tensor str(const tf::Shape& s) {
  return tf::detail::constant_from_strings(
      std::vector<std::string>(static_cast<std::size_t>(s.num_elements()), "1.5 a"), s);
}

/// The pool each input position is swept over: every dtype, ranks 0-4, empty shapes, NaN/Inf,
/// negative and huge integer values, a non-contiguous view, an undefined (moved-from) handle.
std::vector<std::pair<std::string, tf::Tensor>> pool() {
  std::vector<std::pair<std::string, tf::Tensor>> p;
  const std::vector<tf::Shape> shapes = {{}, {0}, {3}, {2, 3}, {2, 0, 3}, {1, 2, 3, 4}};
  for (tf::DType dt :
       {tf::float32, tf::float64, tf::float16, tf::bfloat16, tf::int8, tf::int32, tf::int64, tf::uint8, tf::bool_}) {
    for (const auto& s : shapes) p.emplace_back(std::string(tf::dtype_name(dt)) + s.to_string(), tf::cast(i32(s), dt));
  }
  for (const auto& s : shapes) p.emplace_back("string" + s.to_string(), str(s));
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  p.emplace_back("nan/inf(2, 3)", tf::constant({{nan, inf, -inf}, {0.f, -0.f, 1e38f}}));
  p.emplace_back("negative int32(3,)", tf::constant({-1, -7, INT_MIN}));
  p.emplace_back("huge int64(3,)", i64({int64_t{1} << 40, INT64_MAX, INT64_MIN}));
  p.emplace_back("transposed float32(3, 2)", tf::transpose(f32({2, 3})));
  p.emplace_back("large float32(64, 64)", f32({64, 64}));
  p.emplace_back("undefined (default-constructed) Tensor", tf::Tensor());
  return p;
}

tf::Tensor img() { return f32({1, 4, 4, 2}); }  // (N, H, W, C)

std::map<std::string, Entry> entries() {
  std::map<std::string, Entry> e;
  auto unary = [&](const char* name, tf::Tensor (*fn)(const tf::Tensor&)) {
    e[name] = {{f32({2, 3})}, [fn](const Inputs& x) { touch(fn(x[0])); }};
  };
  auto binary = [&](const char* name, tf::Tensor (*fn)(const tf::Tensor&, const tf::Tensor&)) {
    e[name] = {{f32({2, 3}), f32({3})}, [fn](const Inputs& x) { touch(fn(x[0], x[1])); }};
  };
  unary("Abs", tf::abs);
  unary("Neg", tf::negative);
  unary("Sign", tf::sign);
  unary("Square", tf::square);
  unary("Sqrt", tf::sqrt);
  unary("Rsqrt", tf::rsqrt);
  unary("Exp", tf::exp);
  unary("Expm1", tf::expm1);
  unary("Log", tf::log);
  unary("Log1p", tf::log1p);
  unary("Sin", tf::sin);
  unary("Cos", tf::cos);
  unary("Tan", tf::tan);
  unary("Tanh", tf::tanh);
  unary("Sigmoid", tf::sigmoid);
  unary("Floor", tf::floor);
  unary("Ceil", tf::ceil);
  unary("Round", tf::round);
  unary("Reciprocal", tf::reciprocal);
  unary("Erf", tf::erf);
  unary("Erfc", tf::erfc);
  unary("IsNan", tf::is_nan);
  unary("IsInf", tf::is_inf);
  unary("IsFinite", tf::is_finite);
  unary("Identity", tf::identity);
  e["LogicalNot"] = {{tf::constant({true, false})}, [](const Inputs& x) { touch(tf::logical_not(x[0])); }};
  e["LogicalAnd"] = {{tf::constant({true, false}), tf::constant(true)},
                     [](const Inputs& x) { touch(tf::logical_and(x[0], x[1])); }};
  e["LogicalOr"] = {{tf::constant({true, false}), tf::constant(false)},
                    [](const Inputs& x) { touch(tf::logical_or(x[0], x[1])); }};
  unary("Relu", tf::nn::relu);
  unary("Relu6", tf::nn::relu6);
  unary("Elu", tf::nn::elu);
  unary("Selu", tf::nn::selu);
  unary("Softplus", tf::nn::softplus);
  unary("Softsign", tf::nn::softsign);
  unary("Silu", tf::nn::silu);
  unary("StopGradient", tf::stop_gradient);
  e["LeakyRelu"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::nn::leaky_relu(x[0], 0.3f)); }};
  e["Gelu"] = {{f32({2, 3})}, [](const Inputs& x) {
                 touch(tf::nn::gelu(x[0]));
                 touch(tf::nn::gelu(x[0], true));
               }};
  binary("AddV2", tf::add);
  binary("Sub", tf::subtract);
  binary("Mul", tf::multiply);
  binary("RealDiv", tf::divide);
  binary("FloorDiv", tf::floordiv);
  binary("FloorMod", tf::floormod);
  binary("Pow", tf::pow);
  binary("Maximum", tf::maximum);
  binary("Minimum", tf::minimum);
  binary("SquaredDifference", tf::squared_difference);
  binary("Equal", tf::equal);
  binary("NotEqual", tf::not_equal);
  binary("Less", tf::less);
  binary("LessEqual", tf::less_equal);
  binary("Greater", tf::greater);
  binary("GreaterEqual", tf::greater_equal);
  e["SelectV2"] = {{tf::constant({true, false, true}), f32({2, 3}), f32({3})},
                   [](const Inputs& x) { touch(tf::where(x[0], x[1], x[2])); }};
  e["Where"] = {{tf::constant({true, false, true})}, [](const Inputs& x) { touch(tf::where(x[0])); }};
  e["Cast"] = {{f32({2, 3})}, [](const Inputs& x) {
                 for (tf::DType dt : {tf::float16, tf::bfloat16, tf::int8, tf::int32, tf::int64, tf::uint8, tf::bool_})
                   touch(tf::cast(x[0], dt));
               }};
  auto reduction = [&](const char* name, tf::Tensor (*fn)(const tf::Tensor&, tf::Axes, bool)) {
    e[name] = {{f32({2, 3})}, [fn](const Inputs& x) {
                 touch(fn(x[0], {}, false));
                 touch(fn(x[0], -1, true));
               }};
  };
  reduction("Sum", tf::reduce_sum);
  reduction("Mean", tf::reduce_mean);
  reduction("Max", tf::reduce_max);
  reduction("Min", tf::reduce_min);
  reduction("Prod", tf::reduce_prod);
  reduction("Any", tf::reduce_any);
  reduction("All", tf::reduce_all);
  e["Any"].good = e["All"].good = {tf::constant({{true, false}, {false, false}})};
  e["ArgMax"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::argmax(x[0], -1)); }};
  e["ArgMin"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::argmin(x[0], 0)); }};
  e["Cumsum"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::cumsum(x[0], -1, true, true)); }};
  e["Cumprod"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::cumprod(x[0], 0)); }};
  e["TopKV2"] = {{f32({2, 3})}, [](const Inputs& x) {
                   auto r = tf::top_k(x[0], 2);
                   touch(r.values);
                   touch(r.indices);
                 }};
  e["MatMul"] = {{f32({2, 3}), f32({3, 2})}, [](const Inputs& x) { touch(tf::matmul(x[0], x[1])); }};
  e["BatchMatMulV2"] = {{f32({2, 2, 3}), f32({3, 2})},
                        [](const Inputs& x) { touch(tf::matmul(x[0], x[1], true, true)); }};
  e["Reshape"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::reshape(x[0], {3, -1})); }};
  e["Transpose"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::transpose(x[0])); }};
  e["ExpandDims"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::expand_dims(x[0], -1)); }};
  e["Squeeze"] = {{f32({1, 3})}, [](const Inputs& x) { touch(tf::squeeze(x[0])); }};
  e["BroadcastTo"] = {{f32({3})}, [](const Inputs& x) { touch(tf::broadcast_to(x[0], {2, 3})); }};
  e["ConcatV2"] = {{f32({2, 3}), f32({2, 3})}, [](const Inputs& x) { touch(tf::concat({x[0], x[1]}, -1)); }};
  e["Pack"] = {{f32({2, 3}), f32({2, 3})}, [](const Inputs& x) { touch(tf::stack({x[0], x[1]}, 1)); }};
  e["Tile"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::tile(x[0], std::vector<int64_t>(x[0].ndim(), 2))); }};
  e["PadV2"] = {{f32({2, 3})}, [](const Inputs& x) {
                  touch(tf::pad(x[0], std::vector<std::pair<int64_t, int64_t>>(x[0].ndim(), {1, 2})));
                }};
  e["MirrorPad"] = {{f32({2, 3})}, [](const Inputs& x) {
                      touch(tf::pad(x[0], std::vector<std::pair<int64_t, int64_t>>(x[0].ndim(), {1, 1}), "REFLECT"));
                    }};
  e["ReverseV2"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::reverse(x[0], {-1})); }};
  e["StridedSlice"] = {{f32({2, 3})}, [](const Inputs& x) {
                         touch(x[0][tf::slice({}, {}, -1)]);
                         touch(x[0][{tf::ellipsis, tf::slice(1, {})}]);
                       }};
  e["GatherV2"] = {{f32({2, 3}), tf::constant({1, 0, 1})}, [](const Inputs& x) { touch(tf::gather(x[0], x[1], -1)); }};
  e["GatherNd"] = {{f32({2, 3}), tf::constant({{1, 2}, {0, 0}})},
                   [](const Inputs& x) { touch(tf::gather_nd(x[0], x[1])); }};
  e["OneHot"] = {{tf::constant({0, 2, -1, 5})}, [](const Inputs& x) { touch(tf::one_hot(x[0], 3)); }};
  e["UnsortedSegmentSum"] = {{f32({3, 2}), tf::constant({0, 2, 1})},
                             [](const Inputs& x) { touch(tf::unsorted_segment_sum(x[0], x[1], 3)); }};
  e["Fill"] = {{}, [](const Inputs&) { touch(tf::fill({2, 3}, 1.5)); }};
  e["Range"] = {{}, [](const Inputs&) { touch(tf::range(0, 10, 3)); }};
  e["Const"] = {{}, [](const Inputs&) { touch(tf::constant({1.f, 2.f})); }};
  e["Copy"] = {{tf::transpose(f32({2, 3}))}, [](const Inputs& x) { touch(x[0].contiguous()); }};
  e["_CopyToDevice"] = {{f32({2, 3})}, [](const Inputs& x) { touch(x[0].to(tf::kCPU0)); }};
  e["Softmax"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::nn::softmax(x[0], -1)); }};
  e["LogSoftmax"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::nn::log_softmax(x[0], 0)); }};
  e["_SoftmaxGrad"] = {{f32({2, 3}), f32({2, 3})},
                       [](const Inputs& x) { touch(tf::ops::softmax_grad(x[0], x[1], -1)); }};
  e["_LogSoftmaxGrad"] = {{f32({2, 3}), f32({2, 3})},
                          [](const Inputs& x) { touch(tf::ops::log_softmax_grad(x[0], x[1], 0)); }};
  e["SoftmaxCrossEntropyWithLogits"] = {{f32({2, 3}), f32({2, 3})}, [](const Inputs& x) {
                                          touch(tf::nn::softmax_cross_entropy_with_logits(x[0], x[1]));
                                        }};
  e["SparseSoftmaxCrossEntropyWithLogits"] = {{tf::constant({0, 2}), f32({2, 3})}, [](const Inputs& x) {
                                                touch(tf::nn::sparse_softmax_cross_entropy_with_logits(x[0], x[1]));
                                              }};
  e["Conv2D"] = {{img(), f32({2, 2, 2, 3})}, [](const Inputs& x) { touch(tf::nn::conv2d(x[0], x[1], 1, "SAME")); }};
  e["Conv2DBackpropInput"] = {{f32({2, 2, 2, 3}), f32({1, 4, 4, 3})}, [](const Inputs& x) {
                                touch(tf::nn::conv2d_backprop_input({1, 4, 4, 2}, x[0], x[1], 1, "SAME"));
                              }};
  e["Conv2DBackpropFilter"] = {{img(), f32({1, 4, 4, 3})}, [](const Inputs& x) {
                                 touch(tf::nn::conv2d_backprop_filter(x[0], {2, 2, 2, 3}, x[1], 1, "SAME"));
                               }};
  e["MaxPool"] = {{img()}, [](const Inputs& x) { touch(tf::nn::max_pool2d(x[0], 2, 2, "VALID")); }};
  e["AvgPool"] = {{img()}, [](const Inputs& x) { touch(tf::nn::avg_pool2d(x[0], 2, 1, "SAME")); }};
  e["BiasAdd"] = {{img(), f32({2})}, [](const Inputs& x) { touch(tf::nn::bias_add(x[0], x[1])); }};
  e["_FusedMatMul"] = {{f32({2, 3}), f32({3, 2}), f32({2})},
                       [](const Inputs& x) { touch(tf::ops::fused_matmul(x[0], x[1], x[2], {}, true)); }};
  e["_FusedConv2D"] = {{img(), f32({2, 2, 2, 3}), f32({3})},
                       [](const Inputs& x) { touch(tf::ops::fused_conv2d(x[0], x[1], x[2], {}, true)); }};
  // The fused recurrent op (LSTM, B 2, T 3, D 2, U 2) with sequence lengths, and its gradient.
  e["_CudnnRNN"] = {{f32({2, 3, 2}), f32({2, 2}), f32({2, 2}), f32({2, 8}), f32({2, 8}), f32({8}), tf::constant({3, 1})},
                    [](const Inputs& x) {
                      const auto r = tf::ops::cudnn_rnn(x[0], x[1], x[2], x[3], x[4], x[5], x[6], {});
                      touch({r.output, r.h, r.c, r.reserve});
                    }};
  {
    const auto r = tf::ops::cudnn_rnn(f32({2, 3, 2}), f32({2, 2}), f32({2, 2}), f32({2, 8}), f32({2, 8}), f32({8}),
                                      std::nullopt, {});
    e["_CudnnRNNGrad"] = {{f32({2, 3, 2}), f32({2, 2}), f32({2, 2}), f32({2, 8}), f32({2, 8}), f32({8}),
                           tf::zeros({0}, tf::int32), r.output, r.reserve, f32({2, 3, 2}), f32({2, 2}), f32({2, 2})},
                          [](const Inputs& x) {
                            for (const tf::Tensor& g : tf::ops::cudnn_rnn_grad(x[0], x[1], x[2], x[3], x[4], x[5],
                                                                               x[6], x[7], x[8], x[9], x[10], x[11], {}))
                              touch(g);
                          }};
  }
  e["_FusedElementwise"] = {
      {f32({2, 3}), f32({2, 3})}, [](const Inputs& x) {
        using tf::ops::ElementwiseOp;
        touch(tf::ops::fused_elementwise(
            x, {{ElementwiseOp::Mul, 0, 1}, {ElementwiseOp::Exp, 2}, {ElementwiseOp::Add, 3, 0}}));
      }};
  e["FusedBatchNormV3"] = {{img(), tf::ones({2}), tf::zeros({2})}, [](const Inputs& x) {
                             auto r = tf::nn::fused_batch_norm(x[0], x[1], x[2]);
                             touch(r.y);
                             touch(r.mean);
                             touch(r.variance);
                           }};
  e["Dropout"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::nn::dropout(x[0], 0.5, {.seed = 1})); }};
  e["RandomUniform"] = {{}, [](const Inputs&) { touch(tf::random::uniform({2, 3}, {.seed = 1})); }};
  e["RandomUniformInt"] = {
      {}, [](const Inputs&) {
        touch(tf::random::uniform({2, 3}, {.minval = -3, .maxval = 5, .dtype = tf::int32, .seed = 1}));
      }};
  e["RandomStandardNormal"] = {{}, [](const Inputs&) { touch(tf::random::normal({2, 3}, {.seed = 1})); }};
  e["TruncatedNormal"] = {{}, [](const Inputs&) { touch(tf::random::truncated_normal({2, 3}, {.seed = 1})); }};
  e["StringSplitV2"] = {{str({2})}, [](const Inputs& x) { touch(tf::strings::split(x[0], " ")); }};
  e["StringSplit"] = {{str({2})}, [](const Inputs& x) { touch(tf::strings::bytes_split(x[0])); }};
  e["UnicodeSplit"] = {{str({2})}, [](const Inputs& x) { touch(tf::strings::unicode_split(x[0])); }};
  e["UnicodeDecode"] = {{str({2})}, [](const Inputs& x) { touch(tf::strings::unicode_decode(x[0])); }};
  e["StringToNumber"] = {{tf::constant("1.5")}, [](const Inputs& x) { touch(tf::strings::to_number(x[0])); }};
  e["StringLength"] = {{str({2})}, [](const Inputs& x) { touch(tf::strings::length(x[0])); }};
  e["StringLower"] = {{str({2})}, [](const Inputs& x) { (void)tf::strings::lower(x[0]); }};
  e["StringUpper"] = {{str({2})}, [](const Inputs& x) { (void)tf::strings::upper(x[0]); }};
  e["StringJoin"] = {{str({2}), str({2})}, [](const Inputs& x) { (void)tf::strings::join({x[0], x[1]}, "-"); }};
  e["ReduceJoin"] = {{str({2, 2})}, [](const Inputs& x) { (void)tf::strings::reduce_join(x[0], -1); }};
  e["Substr"] = {{str({2})}, [](const Inputs& x) { (void)tf::strings::substr(x[0], 1, 2); }};
  e["AsString"] = {{f32({2, 3})}, [](const Inputs& x) { (void)tf::strings::as_string(x[0]); }};
  e["DecodeRaw"] = {{str({2})}, [](const Inputs& x) { touch(tf::io::decode_raw(x[0], tf::uint8)); }};
  e["SparseToDense"] = {
      {tf::constant({{0LL, 1LL}, {1LL, 2LL}}, tf::int64), tf::constant({1.f, 2.f}), i64({2, 3})},
      [](const Inputs& x) { touch(tf::sparse::to_dense(tf::sparse::SparseTensor(x[0], x[1], x[2]))); }};
  e["SparseFromDense"] = {{f32({2, 3})}, [](const Inputs& x) { touch(tf::sparse::from_dense(x[0]).values()); }};
  e["SparseReorder"] = {
      {tf::constant({{1LL, 2LL}, {0LL, 1LL}}, tf::int64), tf::constant({1.f, 2.f}), i64({2, 3})},
      [](const Inputs& x) { touch(tf::sparse::reorder(tf::sparse::SparseTensor(x[0], x[1], x[2])).values()); }};
  e["SparseAdd"] = {{tf::constant({{0LL, 1LL}}, tf::int64), tf::constant({1.f}), i64({2, 3})}, [](const Inputs& x) {
                      tf::sparse::SparseTensor a(x[0], x[1], x[2]);
                      touch(tf::sparse::add(a, a).values());
                    }};
  e["SparseTensorDenseAdd"] = {
      {tf::constant({{0LL, 1LL}}, tf::int64), tf::constant({1.f}), i64({2, 3}), f32({2, 3})},
      [](const Inputs& x) { touch(tf::sparse::add(tf::sparse::SparseTensor(x[0], x[1], x[2]), x[3])); }};
  e["SparseReduceSum"] = {
      {tf::constant({{0LL, 1LL}}, tf::int64), tf::constant({1.f}), i64({2, 3})}, [](const Inputs& x) {
        touch(tf::sparse::reduce_sum(tf::sparse::SparseTensor(x[0], x[1], x[2]), std::vector<int>{1}));
      }};
  e["SparseTensorDenseMatMul"] = {
      {tf::constant({{0LL, 1LL}}, tf::int64), tf::constant({1.f}), i64({2, 3}), f32({3, 2})}, [](const Inputs& x) {
        touch(tf::sparse::sparse_dense_matmul(tf::sparse::SparseTensor(x[0], x[1], x[2]), x[3]));
      }};
  e["RaggedTensorToTensor"] = {{f32({4}), i64({0, 1, 4})}, [](const Inputs& x) {
                                 touch(tf::RaggedTensor::from_row_splits(x[0], x[1]).to_tensor());
                               }};
  return e;
}

// Ops reached only inside another op's gradient or a fused optimizer step: the sweep drives them
// through that public entry (see GradientInternalOpsTakeBadInputs below).
const std::set<std::string> kReachedThroughOthers = {
    "AvgPoolGrad", "MaxPoolGrad", "MaxPoolGradGrad", "BiasAddGrad", "FusedBatchNormGradV3", "StridedSliceGrad",
    "CustomGradient", "_FusedApplyAdagrad", "_FusedApplyAdam", "_FusedApplyGradientDescent", "_FusedApplyKerasMomentum",
    "_FusedApplyRMSProp",
    // The graph ops, built only by tf::cond, tf::while_loop and Function calls (tests/graph/).
    "If", "While", "PartitionedCall"};

bool has_kernel(const tf::OpDef& op) {
  return std::any_of(std::begin(op.kernels), std::end(op.kernels), [](tf::KernelFn k) { return k != nullptr; });
}

int g_succeeded = 0, g_raised = 0;  // how the calls ended, so a sweep that only raises shows

/// Calls `fn`; an OpError is an accepted answer, anything else is reported with `what`.
template <typename F> void expect_typed(const std::string& what, F&& fn) {
  try {
    fn();
    ++g_succeeded;
  } catch (const tf::errors::OpError&) { ++g_raised; } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": raised a non-OpError exception: " << e.what();
  } catch (...) { ADD_FAILURE() << what << ": raised a non-std exception"; }
}

TEST(BadInputSweep, EveryRegisteredOpHasAnEntry) {
  const auto table = entries();
  int n = 0;
  for (tf::OpDef* op : tf::registered_ops()) {
    if (!has_kernel(*op)) continue;
    ++n;
    EXPECT_TRUE(table.count(op->name) || kReachedThroughOthers.count(op->name))
        << "op " << op->name << " is registered but the bad-input sweep does not call it: add an entry";
  }
  EXPECT_GT(n, 100);
}

TEST(BadInputSweep, EveryInputPositionTakesEveryPoolTensor) {
  const auto table = entries();
  const auto inputs = pool();
  int calls = 0;
  for (const auto& [name, entry] : table) {
    try {
      entry.run(entry.good);  // the reference call must work, or the sweep around it tests nothing
    } catch (const std::exception& e) { ADD_FAILURE() << name << " fails on its good inputs: " << e.what(); }
    for (std::size_t pos = 0; pos < entry.good.size(); ++pos) {
      for (const auto& [label, t] : inputs) {
        Inputs x = entry.good;
        x[pos] = t;
        expect_typed(name + " with input " + std::to_string(pos) + " = " + label, [&] { entry.run(x); });
        ++calls;
      }
    }
  }
  EXPECT_GT(calls, 3000);
  EXPECT_GT(g_succeeded, 500);  // broadcasting, casts and dtype-generic ops accept many pool tensors
  EXPECT_GT(g_raised, 1000);
}

// Attributes out of range: axes, indices, dimensions, window sizes.
TEST(BadInputSweep, AttributesOutOfRange) {
  auto x = f32({2, 3});
  const int raised_before = g_raised;
  const std::vector<int> axes = {2, -3, 100, -100, INT_MAX, INT_MIN};
  for (int a : axes) {
    const std::string at = " axis " + std::to_string(a);
    expect_typed("reduce_sum" + at, [&] { touch(tf::reduce_sum(x, a)); });
    expect_typed("reduce_max" + at, [&] { touch(tf::reduce_max(x, a, true)); });
    expect_typed("argmax" + at, [&] { touch(tf::argmax(x, a)); });
    expect_typed("cumsum" + at, [&] { touch(tf::cumsum(x, a)); });
    expect_typed("concat" + at, [&] { touch(tf::concat({x, x}, a)); });
    expect_typed("stack" + at, [&] { touch(tf::stack({x, x}, a)); });
    expect_typed("unstack" + at, [&] { touch(tf::unstack(x, a)); });
    expect_typed("split" + at, [&] { touch(tf::split(x, 1, a)); });
    expect_typed("expand_dims" + at, [&] { touch(tf::expand_dims(x, a)); });
    expect_typed("squeeze" + at, [&] { touch(tf::squeeze(x, {a})); });
    expect_typed("reverse" + at, [&] { touch(tf::reverse(x, {a})); });
    expect_typed("softmax" + at, [&] { touch(tf::nn::softmax(x, a)); });
    expect_typed("gather" + at, [&] { touch(tf::gather(x, tf::constant({0}), a)); });
    expect_typed("one_hot" + at, [&] { touch(tf::one_hot(tf::constant({0}), 3, 1, 0, a)); });
    expect_typed("transpose" + at, [&] { touch(tf::transpose(x, {a, 0})); });
    expect_typed("reduce_join" + at, [&] { (void)tf::strings::reduce_join(str({2}), a); });
    expect_typed("index" + at, [&] { touch(x[a]); });
    expect_typed("slice" + at, [&] { touch(x[{tf::all, tf::slice(a, {})}]); });
    expect_typed("top_k k=" + std::to_string(a), [&] { touch(tf::top_k(x, a).values); });
  }
  for (int64_t i : {int64_t{-1}, int64_t{2}, int64_t{3}, int64_t{1} << 40, INT64_MAX, INT64_MIN}) {
    const std::string at = " index " + std::to_string(i);
    expect_typed("gather" + at, [&] { touch(tf::gather(x, i64({i}), 1)); });
    expect_typed("gather_nd" + at, [&] { touch(tf::gather_nd(x, i64({0, i}))); });
    expect_typed("unsorted_segment_sum" + at, [&] { touch(tf::unsorted_segment_sum(x, i64({0, i}), 2)); });
    expect_typed("one_hot depth" + at, [&] { touch(tf::one_hot(tf::constant({0}), i)); });
    expect_typed("substr" + at, [&] { (void)tf::strings::substr(str({2}), i, 2); });
    expect_typed("sparse index" + at, [&] {
      touch(tf::sparse::to_dense(
          tf::sparse::SparseTensor(tf::reshape(i64({0, i}), {1, 2}), tf::constant({1.f}), i64({2, 3}))));
    });
    expect_typed("ragged splits" + at, [&] {
      touch(tf::RaggedTensor::from_row_splits(f32({4}), i64({0, i, 4})).to_tensor());
    });
  }
  EXPECT_GT(g_raised - raised_before, 100);
  // TF's documented answers for two of them.
  EXPECT_TF_ERROR(tf::gather(x, tf::constant({3}), 1), tf::errors::InvalidArgumentError,
                  "indices[0] = 3 is not in [0, 3)");
  EXPECT_TF_ERROR(tf::reduce_sum(x, 2), tf::errors::InvalidArgumentError, "Invalid reduction dimension");
}

TEST(BadInputSweep, NegativeAndHugeDimensions) {
  auto x = f32({2, 3});
  const std::vector<tf::Shape> shapes = {
      {-2},       {-1, -1}, {-5, 2}, {int64_t{1} << 40, int64_t{1} << 40}, {INT64_MAX, 2}, {int64_t{1} << 62, 4},
      {INT64_MIN}};
  for (const auto& s : shapes) {
    const std::string at = " shape " + s.to_string();
    expect_typed("zeros" + at, [&] { touch(tf::zeros(s)); });
    expect_typed("fill" + at, [&] { touch(tf::fill(s, 1, tf::int8)); });
    expect_typed("reshape" + at, [&] { touch(tf::reshape(x, s)); });
    expect_typed("broadcast_to" + at, [&] { touch(tf::broadcast_to(x, s)); });
    expect_typed("random::uniform" + at, [&] { touch(tf::random::uniform(s, {.seed = 1})); });
    expect_typed("random::normal" + at, [&] { touch(tf::random::normal(s, {.seed = 1})); });
    expect_typed("conv2d_backprop_input" + at, [&] {
      touch(tf::nn::conv2d_backprop_input(s, f32({2, 2, 2, 3}), f32({1, 4, 4, 3}), 1, "SAME"));
    });
    expect_typed("eye" + at, [&] { touch(tf::eye(s[0])); });
    expect_typed("linspace" + at, [&] { touch(tf::linspace(0, 1, s[0])); });
  }
  for (int64_t m : {int64_t{-1}, int64_t{1} << 40, INT64_MAX}) {
    expect_typed("tile " + std::to_string(m), [&] { touch(tf::tile(x, {m, 1})); });
    expect_typed("pad " + std::to_string(m), [&] { touch(tf::pad(x, {{m, 0}, {0, 0}})); });
    expect_typed("range " + std::to_string(m), [&] { touch(tf::range(0, m, 1)); });
    expect_typed("split sizes " + std::to_string(m), [&] { touch(tf::split(x, std::vector<int64_t>{m, -1}, 1)); });
  }
  EXPECT_TF_ERROR(tf::range(INT64_MIN, INT64_MAX, 1, tf::int64), tf::errors::InvalidArgumentError,
                  "Requires ((limit - start) / delta) <= 9223372036854775807");
  EXPECT_TF_ERROR(tf::range(0.f, 1e30f, 1e-10f), tf::errors::InvalidArgumentError,
                  "Requires ((limit - start) / delta)");
  EXPECT_TF_ERROR(tf::range(0.0, std::nan(""), 1.0), tf::errors::InvalidArgumentError, "finite");
  EXPECT_TF_ERROR(tf::range(0.5, 3, 1, tf::int32), tf::errors::InvalidArgumentError, "Cannot convert 0.5");
  EXPECT_EQ(tf::range(INT64_MAX - 2, INT64_MAX, 1, tf::int64).to_vector<int64_t>(),
            (std::vector<int64_t>{INT64_MAX - 2, INT64_MAX - 1}));
  for (int n : {0, -1, 4, INT_MIN}) expect_typed("split into " + std::to_string(n), [&] { touch(tf::split(x, n, 1)); });
  for (int64_t b : {INT64_MIN, INT64_MIN + 1, int64_t{-4}, int64_t{4}, INT64_MAX}) {
    const std::string at = " bound " + std::to_string(b);
    expect_typed("slice start" + at, [&] { touch(x[{tf::all, tf::slice(b, {})}]); });
    expect_typed("slice stop" + at, [&] { touch(x[{tf::all, tf::slice({}, b)}]); });
    expect_typed("slice step" + at, [&] { touch(x[{tf::all, tf::slice({}, {}, b)}]); });
    expect_typed("slice reversed" + at, [&] { touch(x[tf::slice(b, {}, -1)]); });
  }
  expect_typed("range int32 past limits", [&] { touch(tf::range(0, int64_t{1} << 40, 1, tf::int32)); });
  for (int k : {0, -1, 100, INT_MAX}) {
    const std::string at = " window " + std::to_string(k);
    expect_typed("max_pool2d" + at, [&] { touch(tf::nn::max_pool2d(img(), k, 1, "VALID")); });
    expect_typed("avg_pool2d" + at, [&] { touch(tf::nn::avg_pool2d(img(), 2, k, "SAME")); });
    expect_typed("conv2d stride" + at, [&] { touch(tf::nn::conv2d(img(), f32({2, 2, 2, 3}), k, "VALID")); });
    expect_typed("conv2d dilation" + at, [&] { touch(tf::nn::conv2d(img(), f32({2, 2, 2, 3}), 1, "SAME", k)); });
  }
  expect_typed("conv2d padding name", [&] { touch(tf::nn::conv2d(img(), f32({2, 2, 2, 3}), 1, "FULL")); });
  expect_typed("dropout rate 1", [&] { touch(tf::nn::dropout(x, 1.0)); });
  expect_typed("dropout rate -1", [&] { touch(tf::nn::dropout(x, -1.0)); });
  expect_typed("dropout rate nan", [&] { touch(tf::nn::dropout(x, std::nan(""))); });
  expect_typed("uniform minval > maxval",
               [&] { touch(tf::random::uniform({2}, {.minval = 5, .maxval = 1, .dtype = tf::int32})); });
  expect_typed("decode_raw odd length", [&] { touch(tf::io::decode_raw(tf::constant("abc"), tf::int32)); });
}

// Odd attribute combinations and handle misuse that slip past a per-argument check.
TEST(BadInputSweep, MisusedAttributesAndHandles) {
  auto x = f32({2, 3});
  const int raised_before = g_raised;
  for (int b : {-5, -1, 2, 3, INT_MAX, INT_MIN})
    expect_typed("gather batch_dims " + std::to_string(b), [&] {
      touch(tf::gather(x, tf::constant({{0}, {1}}), 1, b));
    });
  for (int64_t n : {int64_t{-1}, int64_t{0}, int64_t{1} << 40})
    expect_typed("unsorted_segment_sum num_segments " + std::to_string(n), [&] {
      touch(tf::unsorted_segment_sum(x, tf::constant({0, 1}), n));
    });
  expect_typed("transpose duplicate perm", [&] { touch(tf::transpose(x, {0, 0})); });
  expect_typed("transpose short perm", [&] { touch(tf::transpose(x, {1})); });
  expect_typed("squeeze a non-1 axis", [&] { touch(tf::squeeze(x, {0})); });
  expect_typed("split sizes two -1", [&] { touch(tf::split(x, std::vector<int64_t>{-1, -1}, 1)); });
  expect_typed("split sizes too large", [&] { touch(tf::split(x, std::vector<int64_t>{2, 2}, 1)); });
  expect_typed("tensordot axes too many", [&] { touch(tf::tensordot(x, x, 3)); });
  expect_typed("tensordot axes negative", [&] { touch(tf::tensordot(x, x, -1)); });
  expect_typed("tensordot axes pairs", [&] { touch(tf::tensordot(x, x, {{5}, {0}})); });
  expect_typed("substr negative length", [&] { (void)tf::strings::substr(str({2}), 0, -3); });
  expect_typed("to_number garbage", [&] { touch(tf::strings::to_number(tf::constant("abc"))); });
  expect_typed("to_number overflow int32",
               [&] { touch(tf::strings::to_number(tf::constant("99999999999"), tf::int32)); });
  expect_typed("item of an empty tensor", [&] { (void)tf::zeros({0}).item<float>(); });
  expect_typed("item with the wrong type", [&] { (void)tf::zeros({1}).item<int32_t>(); });
  expect_typed("to_vector of undefined", [&] { (void)tf::Tensor().to_vector<float>(); });
  expect_typed("variable assign shape", [&] {
    tf::Variable v(x);
    v.assign(tf::zeros({3, 2}));
  });
  expect_typed("variable assign dtype", [&] {
    tf::Variable v(x);
    v.assign(tf::zeros({2, 3}, tf::float64));
  });
  expect_typed("variable of undefined", [&] { tf::Variable v{tf::Tensor()}; });
  expect_typed("sparse dense_shape negative", [&] {
    touch(tf::sparse::to_dense(tf::sparse::SparseTensor(tf::zeros({0, 2}, tf::int64), tf::zeros({0}), i64({-2, 3}))));
  });
  expect_typed("sparse rank mismatch", [&] {
    touch(tf::sparse::to_dense(tf::sparse::SparseTensor(tf::zeros({1, 3}, tf::int64), tf::zeros({1}), i64({2, 3}))));
  });
  expect_typed("ragged splits not from 0", [&] {
    touch(tf::RaggedTensor::from_row_splits(f32({4}), i64({1, 4})).to_tensor());
  });
  expect_typed("ragged splits decreasing", [&] {
    touch(tf::RaggedTensor::from_row_splits(f32({4}), i64({0, 3, 1, 4})).to_tensor());
  });
  for (bool validate : {true, false}) {
    expect_typed("ragged splits past the values, validate=" + std::to_string(validate), [&] {
      touch(tf::RaggedTensor::from_row_splits(f32({4}), i64({0, 9}), validate).to_tensor());
    });
    expect_typed("ragged splits negative, validate=" + std::to_string(validate), [&] {
      touch(tf::RaggedTensor::from_row_splits(f32({4}), i64({0, -3, 4}), validate).to_tensor());
    });
  }
  EXPECT_GT(g_raised - raised_before, 20);
}

// Integer division and modulo by zero raise as TF's CPU kernels do; INT_MIN / -1 wraps as
// NumPy does instead of trapping (SIGFPE).
TEST(BadInputSweep, IntegerDivisionByZeroAndOverflow) {
  auto a = tf::constant({7, -7, INT_MIN});
  auto z = tf::constant({0, 0, 0});
  EXPECT_TF_ERROR(tf::floordiv(a, z), tf::errors::InvalidArgumentError, "Integer division by zero");
  EXPECT_TF_ERROR(tf::floormod(a, z), tf::errors::InvalidArgumentError, "Integer division by zero");
  for (tf::DType dt : {tf::int8, tf::int64, tf::uint8}) {
    expect_typed("floordiv by zero " + std::string(tf::dtype_name(dt)),
                 [&] { touch(tf::floordiv(tf::cast(a, dt), tf::cast(z, dt))); });
    expect_typed("truediv by zero " + std::string(tf::dtype_name(dt)),
                 [&] { touch(tf::divide(tf::cast(a, dt), tf::cast(z, dt))); });
  }
  auto m1 = tf::constant({-1, -1, -1});
  auto q = tf::floordiv(a, m1);
  EXPECT_EQ(q.to_vector<int32_t>(), (std::vector<int32_t>{-7, 7, INT_MIN}));
  auto r = tf::floormod(a, m1);
  EXPECT_EQ(r.to_vector<int32_t>(), (std::vector<int32_t>{0, 0, 0}));
  auto q64 = tf::floordiv(i64({INT64_MIN}), i64({-1}));
  EXPECT_EQ(q64.item<int64_t>(), INT64_MIN);
  // Two's complement as TF: -INT_MIN and |INT_MIN| are INT_MIN; integer reciprocal is refused.
  EXPECT_EQ(tf::negative(tf::constant({INT_MIN})).item<int32_t>(), INT_MIN);
  EXPECT_EQ(tf::abs(tf::constant({INT_MIN})).item<int32_t>(), INT_MIN);
  EXPECT_TF_ERROR(tf::reciprocal(tf::constant({0, 2})), tf::errors::InvalidArgumentError, "");
}

// NaN and Inf inputs give IEEE/TF values, never an error or a crash.
TEST(BadInputSweep, NanAndInfGiveTfValues) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  auto x = tf::constant({nan, inf, -inf, 0.f});
  EXPECT_EQ(tf::is_nan(x).to_vector<bool>(), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(tf::is_inf(x).to_vector<bool>(), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(tf::is_finite(x).to_vector<bool>(), (std::vector<bool>{false, false, false, true}));
  auto e = tf::exp(x).to_vector<float>();
  EXPECT_TRUE(std::isnan(e[0]));
  EXPECT_EQ(e[1], inf);
  EXPECT_EQ(e[2], 0.f);
  EXPECT_EQ(tf::log(x).to_vector<float>()[3], -inf);
  EXPECT_TRUE(std::isnan(tf::sqrt(tf::constant(-1.f)).item<float>()));
  EXPECT_TRUE(std::isnan(tf::reduce_sum(tf::constant({inf, -inf})).item<float>()));
  EXPECT_TRUE(std::isnan(tf::reduce_mean(tf::zeros({0})).item<float>()));  // TF: nan for an empty mean
  EXPECT_EQ(tf::nn::relu(tf::constant({-inf, inf})).to_vector<float>(), (std::vector<float>{0.f, inf}));
  EXPECT_EQ(tf::nn::sigmoid(tf::constant({-inf, inf})).to_vector<float>(), (std::vector<float>{0.f, 1.f}));
  EXPECT_EQ(tf::tanh(tf::constant({-inf, inf})).to_vector<float>(), (std::vector<float>{-1.f, 1.f}));
  auto sm = tf::nn::softmax(tf::constant({0.f, nan})).to_vector<float>();
  EXPECT_TRUE(std::isnan(sm[0]) && std::isnan(sm[1]));
  EXPECT_EQ(tf::reduce_max(tf::zeros({0})).item<float>(), -inf);  // TF: the identity of max
  EXPECT_EQ(tf::reduce_min(tf::zeros({0})).item<float>(), inf);
  EXPECT_EQ(tf::reduce_prod(tf::zeros({0})).item<float>(), 1.f);
}

// The gradient-only and optimizer-only ops, fed bad values through their public entries.
TEST(BadInputSweep, GradientInternalOpsTakeBadInputs) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int succeeded_before = g_succeeded;
  for (const tf::Tensor& x : {img(), tf::fill({1, 4, 4, 2}, nan), tf::zeros({0, 4, 4, 2}), tf::zeros({1, 0, 4, 2})}) {
    tf::Variable w(f32({2, 2, 2, 3})), b(tf::zeros({3}));
    tf::Variable gamma(tf::ones({3})), beta(tf::zeros({3}));
    expect_typed("conv/pool/batch norm gradients of " + x.shape().to_string(), [&] {
      tf::GradientTape tape({.persistent = true});
      tape.watch(x);
      auto y = tf::nn::bias_add(tf::nn::conv2d(x, w, 1, "SAME"), b);
      auto p = tf::nn::max_pool2d(y, 2, 1, "SAME") + tf::nn::avg_pool2d(y, 2, 1, "SAME");
      auto bn = tf::nn::fused_batch_norm(p, gamma, beta);
      auto loss = tf::reduce_sum(bn.y) + tf::reduce_sum(x[{tf::all, tf::slice(1, {})}]);
      tape.stop();
      for (const auto& g : tape.gradient(loss, {tf::Source(x), tf::Source(w), tf::Source(b), tf::Source(gamma)}))
        if (g) touch(*g);
      // Second order through max pooling (MaxPoolGradGrad).
      tf::GradientTape outer;
      outer.watch(x);
      tf::GradientTape inner;
      inner.watch(x);
      auto mp = tf::reduce_sum(tf::square(tf::nn::max_pool2d(x, 2, 2, "VALID")));
      inner.stop();
      auto gx = inner.gradient(mp, x);
      auto s = gx ? tf::reduce_sum(*gx) : tf::constant(0.f);
      outer.stop();
      if (auto gg = outer.gradient(s, x)) touch(*gg);
    });
  }
  // The fused optimizer updates with NaN and empty gradients.
  for (const tf::Tensor& g : {tf::fill({3}, nan), tf::zeros({0})}) {
    for (const char* name : {"sgd", "adam", "rmsprop", "adagrad"}) {
      expect_typed(std::string(name) + " step with gradient " + g.shape().to_string(), [&] {
        tf::Variable v(g.size() ? tf::ones({3}) : tf::zeros({0}));
        tf::keras::optimizers::AnyOptimizer opt(name);
        opt->apply_gradients({std::optional<tf::Tensor>(g)}, {v});
        touch(v.read_value());
      });
    }
    expect_typed("momentum step", [&] {
      tf::Variable v(g.size() ? tf::ones({3}) : tf::zeros({0}));
      tf::keras::optimizers::SGD sgd({.momentum = 0.9});
      sgd.apply_gradients({std::optional<tf::Tensor>(g)}, {v});
    });
    expect_typed("mismatched gradient shape", [&] {
      tf::Variable v(tf::ones({2}));
      tf::keras::optimizers::Adam adam;
      adam.apply_gradients({std::optional<tf::Tensor>(g)}, {v});
    });
  }
  // The good inputs (the first image, the NaN gradients) really ran the internal ops.
  EXPECT_GE(g_succeeded - succeeded_before, 8);
}

}  // namespace
