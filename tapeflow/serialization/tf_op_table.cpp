// The table of TF ops a loaded SavedModel function may hold (tf_op_table.h). Each entry is a
// few lines of public ops; TF strips attributes equal to their defaults from SavedModels
// (stripped_default_attrs), so every attribute read here has TF's default.
#include "tapeflow/serialization/tf_op_table.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "graph.pb.h"
#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/bias_add.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/conv.h"
#include "tapeflow/core/ops/linalg.h"
#include "tapeflow/core/ops/pooling.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/softmax.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/serialization/tensor_bundle.h"

namespace tapeflow::serialization {
namespace {

using Values = std::vector<TfValue>;

bool attr_bool(const tensorflow::NodeDef& n, const char* name, bool fallback = false) {
  auto it = n.attr().find(name);
  return it == n.attr().end() ? fallback : it->second.b();
}

Tensor in(const Values& v, std::size_t i, const tensorflow::NodeDef& n) {
  TF_CHECK_ARG(i < v.size(), "", "node '", n.name(), "' (", n.op(), ") needs input ", i, ", has ", v.size());
  TF_CHECK_ARG(v[i].tensor.defined(), "", "node '", n.name(), "' (", n.op(), "): input ", i,
               " is a resource, a tensor is needed");
  return v[i].tensor;
}

// The host value of a Const input (a shape, an axis list), as int64s.
std::vector<int64_t> const_ints(const Values& v, std::size_t i, const tensorflow::NodeDef& n) {
  TF_CHECK_ARG(i < v.size() && v[i].constant, "", "node '", n.name(), "' (", n.op(), "): input ", i,
               " must be a constant (Tapeflow needs it when loading)");
  InterceptorPause eager;  // host arithmetic, not graph nodes
  return cast(*v[i].constant, DType::kInt64).cpu().to_vector<int64_t>();
}

// A value computed eagerly on the host while the function is traced (the interceptor paused):
// its host copy is what shape arithmetic reads, and the graph sees it as a captured constant.
template <typename F> Values host_constant(F make) {
  Tensor host;
  {
    InterceptorPause eager;
    host = make().cpu();
  }
  return {TfValue{identity(host), Variable(), host}};
}

Values one(Tensor t) { return {TfValue{std::move(t), Variable(), std::nullopt}}; }

TfOp unary(const char* out, Tensor (*f)(const Tensor&)) {
  return {{out}, {"T"}, [f](const Values& v, const tensorflow::NodeDef& n) { return one(f(in(v, 0, n))); }};
}
TfOp binary(Tensor (*f)(const Tensor&, const Tensor&)) {
  return {
      {"z"}, {"T"}, [f](const Values& v, const tensorflow::NodeDef& n) { return one(f(in(v, 0, n), in(v, 1, n))); }};
}
TfOp reduction(Tensor (*f)(const Tensor&, Axes, bool)) {
  return {{"output"}, {"keep_dims", "T", "Tidx"}, [f](const Values& v, const tensorflow::NodeDef& n) {
            return one(f(in(v, 0, n), Axes(const_ints(v, 1, n)), attr_bool(n, "keep_dims")));
          }};
}

// A 4-element NHWC window attribute (strides, ksize, dilations) as its (height, width) pair.
std::vector<int> window(const tensorflow::NodeDef& n, const char* name, int fallback) {
  auto it = n.attr().find(name);
  if (it == n.attr().end()) return {fallback, fallback};
  const auto& l = it->second.list().i();
  TF_CHECK_ARG(l.size() == 4 && l[0] == 1 && l[3] == 1, "", "node '", n.name(), "' (", n.op(), "): ", name,
               " must be [1, h, w, 1] (NHWC)");
  TF_CHECK_ARG(l[1] > 0 && l[2] > 0 && l[1] < (1 << 20) && l[2] < (1 << 20), "", "node '", n.name(), "' (", n.op(),
               "): invalid ", name);
  return {static_cast<int>(l[1]), static_cast<int>(l[2])};
}

std::string padding(const tensorflow::NodeDef& n) {
  auto it = n.attr().find("padding");
  TF_CHECK_ARG(it != n.attr().end(), "", "node '", n.name(), "' (", n.op(), ") has no padding");
  TF_CHECK_TYPED(it->second.s() == "SAME" || it->second.s() == "VALID", UnimplementedError, "", "node '", n.name(),
                 "' (", n.op(), "): padding ", it->second.s());
  auto f = n.attr().find("data_format");
  TF_CHECK_TYPED(f == n.attr().end() || f->second.s() == "NHWC", UnimplementedError, "", "node '", n.name(), "' (",
                 n.op(), "): data_format ", f->second.s());
  return it->second.s();
}

std::map<std::string, TfOp> make_table() {
  std::map<std::string, TfOp> t;
  t["MatMul"] = {
      {"product"}, {"transpose_a", "transpose_b", "T"}, [](const Values& v, const tensorflow::NodeDef& n) {
        return one(matmul(in(v, 0, n), in(v, 1, n), attr_bool(n, "transpose_a"), attr_bool(n, "transpose_b")));
      }};
  t["BatchMatMulV2"] = {{"output"}, {"T", "adj_x", "adj_y"}, [](const Values& v, const tensorflow::NodeDef& n) {
                          return one(matmul(in(v, 0, n), in(v, 1, n),
                                            {.adjoint_a = attr_bool(n, "adj_x"), .adjoint_b = attr_bool(n, "adj_y")}));
                        }};
  t["BiasAdd"] = {{"output"}, {"T", "data_format"}, [](const Values& v, const tensorflow::NodeDef& n) {
                    auto f = n.attr().find("data_format");
                    TF_CHECK_TYPED(f == n.attr().end() || f->second.s() == "NHWC", UnimplementedError, "", "node '",
                                   n.name(), "': BiasAdd with data_format ", f->second.s());
                    return one(nn::bias_add(in(v, 0, n), in(v, 1, n)));
                  }};
  t["AddV2"] = binary(add);
  t["Add"] = binary(add);
  t["Sub"] = binary(subtract);
  t["Mul"] = binary(multiply);
  t["RealDiv"] = binary(truediv);
  t["Maximum"] = binary(maximum);
  t["Minimum"] = binary(minimum);
  t["SquaredDifference"] = binary(squared_difference);
  t["Relu"] = unary("activations", nn::relu);
  t["Relu6"] = unary("activations", nn::relu6);
  t["Elu"] = unary("activations", nn::elu);
  t["Selu"] = unary("activations", nn::selu);
  t["Softplus"] = unary("activations", nn::softplus);
  t["Softsign"] = unary("activations", nn::softsign);
  t["Sigmoid"] = unary("y", sigmoid);
  t["Tanh"] = unary("y", tanh);
  t["Exp"] = unary("y", exp);
  t["Log"] = unary("y", log);
  t["Neg"] = unary("y", negative);
  t["Abs"] = unary("y", abs);
  t["Square"] = unary("y", square);
  t["Sqrt"] = unary("y", sqrt);
  t["Rsqrt"] = unary("y", rsqrt);
  t["Erf"] = unary("y", erf);
  t["Identity"] = {{"output"}, {"T"}, [](const Values& v, const tensorflow::NodeDef& n) {
                     TF_CHECK_ARG(!v.empty(), "", "node '", n.name(), "' (Identity) has no input");
                     return Values{v[0]};  // a resource passes through as itself
                   }};
  t["LeakyRelu"] = {{"activations"}, {"alpha", "T"}, [](const Values& v, const tensorflow::NodeDef& n) {
                      auto a = n.attr().find("alpha");
                      return one(nn::leaky_relu(in(v, 0, n), a == n.attr().end() ? 0.2f : a->second.f()));
                    }};
  t["Softmax"] = {{"softmax"}, {"T"}, [](const Values& v, const tensorflow::NodeDef& n) {
                    return one(nn::softmax(in(v, 0, n), -1));
                  }};
  t["LogSoftmax"] = {{"logsoftmax"}, {"T"}, [](const Values& v, const tensorflow::NodeDef& n) {
                       return one(nn::log_softmax(in(v, 0, n), -1));
                     }};
  t["ReadVariableOp"] = {{"value"}, {"dtype"}, [](const Values& v, const tensorflow::NodeDef& n) {
                           TF_CHECK_ARG(!v.empty() && v[0].variable.defined(), "", "node '", n.name(),
                                        "' (ReadVariableOp): its input is not a variable");
                           return one(v[0].variable.read_value());
                         }};
  t["Const"] = {{"output"}, {"value", "dtype"}, [](const Values&, const tensorflow::NodeDef& n) {
                  auto it = n.attr().find("value");
                  TF_CHECK_TYPED(it != n.attr().end() && it->second.has_tensor(), DataLossError, "", "node '", n.name(),
                                 "' (Const) has no value");
                  return host_constant([&] { return tensor_from_tensor_proto(it->second.tensor()); });
                }};
  t["Cast"] = {{"y"}, {"SrcT", "DstT", "Truncate"}, [](const Values& v, const tensorflow::NodeDef& n) {
                 auto it = n.attr().find("DstT");
                 TF_CHECK_TYPED(it != n.attr().end(), DataLossError, "", "node '", n.name(), "' (Cast) has no DstT");
                 auto dt = dtype_from_tf_datatype(it->second.type());
                 TF_CHECK_TYPED(dt.has_value(), UnimplementedError, "", "node '", n.name(), "': Cast to DataType ",
                                it->second.type());
                 return one(cast(in(v, 0, n), *dt));
               }};
  t["Reshape"] = {{"output"}, {"T", "Tshape"}, [](const Values& v, const tensorflow::NodeDef& n) {
                    return one(reshape(in(v, 0, n), Shape(const_ints(v, 1, n))));
                  }};
  t["Mean"] = reduction(reduce_mean);
  t["Sum"] = reduction(reduce_sum);
  t["Max"] = reduction(reduce_max);
  t["Min"] = reduction(reduce_min);
  t["Conv2D"] = {{"output"},
                 {"T", "strides", "use_cudnn_on_gpu", "padding", "explicit_paddings", "data_format", "dilations"},
                 [](const Values& v, const tensorflow::NodeDef& n) {
                   return one(nn::conv2d(in(v, 0, n), in(v, 1, n), window(n, "strides", 1), padding(n),
                                         window(n, "dilations", 1)));
                 }};
  t["MaxPool"] = {{"output"},
                  {"T", "ksize", "strides", "padding", "explicit_paddings", "data_format"},
                  [](const Values& v, const tensorflow::NodeDef& n) {
                    return one(nn::max_pool2d(in(v, 0, n), window(n, "ksize", 1), window(n, "strides", 1), padding(n)));
                  }};
  t["AvgPool"] = {{"output"},
                  {"ksize", "strides", "padding", "data_format", "T"},
                  [](const Values& v, const tensorflow::NodeDef& n) {
                    return one(nn::avg_pool2d(in(v, 0, n), window(n, "ksize", 1), window(n, "strides", 1), padding(n)));
                  }};
  // Inference batch normalization: (x - mean) / sqrt(variance + epsilon) * scale + offset.
  t["FusedBatchNormV3"] = {
      {"y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2", "reserve_space_3"},
      {"T", "U", "epsilon", "exponential_avg_factor", "data_format", "is_training"},
      [](const Values& v, const tensorflow::NodeDef& n) {
        TF_CHECK_TYPED(!attr_bool(n, "is_training", true), UnimplementedError, "", "node '", n.name(),
                       "': FusedBatchNormV3 in training mode (a SavedModel for inference has is_training false)");
        auto f = n.attr().find("data_format");
        TF_CHECK_TYPED(f == n.attr().end() || f->second.s() == "NHWC", UnimplementedError, "", "node '", n.name(),
                       "' (FusedBatchNormV3): data_format ", f->second.s());
        auto e = n.attr().find("epsilon");
        const float eps = e == n.attr().end() ? 1e-4f : e->second.f();
        Tensor x = in(v, 0, n), scale = in(v, 1, n), offset = in(v, 2, n), mean = in(v, 3, n), var = in(v, 4, n);
        Tensor inv = multiply(rsqrt(add(var, scalar_tensor(eps, var.dtype()))), scale);
        Tensor y = add(multiply(subtract(x, mean), inv), offset);
        Values out = one(y);
        for (const Tensor& t : {mean, var, mean, var, mean}) out.push_back({t, Variable(), std::nullopt});
        return out;
      }};
  t["Squeeze"] = {{"output"}, {"T", "squeeze_dims"}, [](const Values& v, const tensorflow::NodeDef& n) {
                    std::vector<int> dims;
                    auto it = n.attr().find("squeeze_dims");
                    if (it != n.attr().end())
                      for (int64_t d : it->second.list().i()) dims.push_back(static_cast<int>(d));
                    return one(squeeze(in(v, 0, n), dims));
                  }};
  // Shape arithmetic (Keras's Flatten: Shape -> StridedSlice -> Pack -> Reshape) is folded on the
  // host: a loaded function is traced per concrete input shape, so shapes are known.
  t["Shape"] = {
      {"output"}, {"T", "out_type"}, [](const Values& v, const tensorflow::NodeDef& n) {
        const Shape& s = in(v, 0, n).shape();
        std::vector<int64_t> dims(s.begin(), s.end());
        for (int64_t d : dims)
          TF_CHECK_TYPED(d >= 0, UnimplementedError, "", "node '", n.name(),
                         "' (Shape): the shape is not known when tracing");
        auto it = n.attr().find("out_type");
        const DType dt =
            it != n.attr().end() && it->second.type() == tensorflow::DT_INT64 ? DType::kInt64 : DType::kInt32;
        return host_constant([&] { return cast(constant(dims, Shape{static_cast<int64_t>(dims.size())}), dt); });
      }};
  t["StridedSlice"] = {{"output"},
                       {"T", "Index", "begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"},
                       [](const Values& v, const tensorflow::NodeDef& n) {
                         auto mask = [&](const char* key) {
                           auto it = n.attr().find(key);
                           return it == n.attr().end() ? int64_t{0} : it->second.i();
                         };
                         TF_CHECK_TYPED(v.size() == 4 && v[0].constant && v[0].constant->shape().rank() == 1 &&
                                            mask("ellipsis_mask") == 0 && mask("new_axis_mask") == 0,
                                        UnimplementedError, "", "node '", n.name(),
                                        "' (StridedSlice): only slices of a constant vector are supported");
                         const std::vector<int64_t> x = const_ints(v, 0, n), b = const_ints(v, 1, n),
                                                    e = const_ints(v, 2, n), st = const_ints(v, 3, n);
                         TF_CHECK_ARG(b.size() == 1 && e.size() == 1 && st.size() == 1 && st[0] != 0, "", "node '",
                                      n.name(), "' (StridedSlice): a 1-D slice needs one begin, end and stride");
                         const int64_t len = static_cast<int64_t>(x.size());
                         auto clamp = [&](int64_t i) {
                           if (i < 0) i += len;
                           return std::clamp<int64_t>(i, st[0] > 0 ? 0 : -1, st[0] > 0 ? len : len - 1);
                         };
                         std::vector<int64_t> out;
                         if (mask("shrink_axis_mask") & 1) {
                           int64_t i = b[0] < 0 ? b[0] + len : b[0];
                           TF_CHECK_ARG(i >= 0 && i < len, "", "node '", n.name(), "' (StridedSlice): index ", b[0],
                                        " out of range for ", len, " values");
                           out.push_back(x[static_cast<std::size_t>(i)]);
                         } else {
                           int64_t lo = (mask("begin_mask") & 1) ? (st[0] > 0 ? 0 : len - 1) : clamp(b[0]);
                           int64_t hi = (mask("end_mask") & 1) ? (st[0] > 0 ? len : -1) : clamp(e[0]);
                           for (int64_t i = lo; st[0] > 0 ? i < hi : i > hi; i += st[0])
                             out.push_back(x[static_cast<std::size_t>(i)]);
                         }
                         const Shape shape =
                             (mask("shrink_axis_mask") & 1) ? Shape{} : Shape{static_cast<int64_t>(out.size())};
                         return host_constant([&] { return cast(constant(out, shape), v[0].constant->dtype()); });
                       }};
  t["Pack"] = {{"output"}, {"N", "T", "axis"}, [](const Values& v, const tensorflow::NodeDef& n) {
                 auto a = n.attr().find("axis");
                 const int axis = a == n.attr().end() ? 0 : static_cast<int>(a->second.i());
                 bool host = !v.empty() && axis == 0;
                 std::vector<Tensor> parts;
                 for (std::size_t i = 0; i < v.size(); ++i) {
                   parts.push_back(in(v, i, n));
                   host = host && v[i].constant && v[i].constant->shape().rank() == 0 &&
                          (v[i].constant->dtype() == DType::kInt32 || v[i].constant->dtype() == DType::kInt64);
                 }
                 if (!host) return one(stack(parts, axis));
                 std::vector<int64_t> vals;
                 for (std::size_t i = 0; i < v.size(); ++i) vals.push_back(const_ints(v, i, n)[0]);
                 return host_constant([&] {
                   return cast(constant(vals, Shape{static_cast<int64_t>(vals.size())}), v[0].constant->dtype());
                 });
               }};
  t["NoOp"] = {{}, {}, [](const Values&, const tensorflow::NodeDef&) { return Values{}; }};
  t["StatefulPartitionedCall"] = {{"output"}, {"Tin", "Tout", "f", "config", "config_proto", "executor_type"}, nullptr};
  t["PartitionedCall"] = {{"output"}, {"Tin", "Tout", "f", "config", "config_proto", "executor_type"}, nullptr};
  return t;
}

template <typename T, typename R>
Tensor from_values(const tensorflow::TensorProto& p, const R& repeated, const Shape& shape, int64_t n, DType dt) {
  std::vector<T> out;
  const std::string& c = p.tensor_content();
  if (!c.empty()) {
    TF_CHECK_TYPED(c.size() == static_cast<std::size_t>(n) * sizeof(T), DataLossError, "", "TensorProto holds ",
                   c.size(), " bytes, its shape ", shape, " needs ", n * static_cast<int64_t>(sizeof(T)));
    out.resize(static_cast<std::size_t>(n));
    if (n) std::memcpy(out.data(), c.data(), c.size());
  } else {
    // TF's Const: fewer values than elements repeat the last one (a splat). Its size is not
    // backed by bytes in the file, so it is bounded (64 MiB of float32).
    constexpr int64_t kMaxSplat = int64_t{1} << 24;
    TF_CHECK_TYPED(repeated.size() <= n && (repeated.size() > 0 || n == 0), DataLossError, "", "TensorProto holds ",
                   repeated.size(), " values for shape ", shape);
    TF_CHECK_TYPED(repeated.size() == n || n <= kMaxSplat, ResourceExhaustedError, "", "TensorProto repeats ",
                   repeated.size(), " values into ", n, " elements (at most ", kMaxSplat, " are allowed)");
    out.assign(repeated.begin(), repeated.end());
    out.resize(static_cast<std::size_t>(n), out.empty() ? T() : out.back());
  }
  return constant(out, shape, dt).cpu();
}

}  // namespace

const TfOp* find_tf_op(const std::string& op) {
  static const std::map<std::string, TfOp> table = make_table();
  auto it = table.find(op);
  return it == table.end() ? nullptr : &it->second;
}

bool is_call_op(const std::string& op) { return op == "StatefulPartitionedCall" || op == "PartitionedCall"; }

Tensor tensor_from_tensor_proto(const tensorflow::TensorProto& p) {
  InterceptorPause eager;                             // a host value even while a function is traced
  constexpr int64_t kMaxElements = int64_t{1} << 31;  // a Const larger than 2^31 elements is not a model's
  std::vector<int64_t> dims;
  int64_t n = 1;
  for (const auto& d : p.tensor_shape().dim()) {
    TF_CHECK_TYPED(d.size() >= 0 && (d.size() == 0 || n <= kMaxElements / d.size()), DataLossError, "",
                   "TensorProto has an invalid or absurd dimension ", d.size());
    dims.push_back(d.size());
    n *= d.size();
  }
  const Shape shape(dims);
  switch (p.dtype()) {
    case tensorflow::DT_FLOAT: return from_values<float>(p, p.float_val(), shape, n, DType::kFloat32);
    case tensorflow::DT_DOUBLE: return from_values<double>(p, p.double_val(), shape, n, DType::kFloat64);
    case tensorflow::DT_INT32: return from_values<int32_t>(p, p.int_val(), shape, n, DType::kInt32);
    case tensorflow::DT_INT64: return from_values<int64_t>(p, p.int64_val(), shape, n, DType::kInt64);
    default:
      TF_THROW(UnimplementedError, "", "Const tensors of DataType ", static_cast<int>(p.dtype()),
               " are not loaded by Tapeflow");
  }
}

}  // namespace tapeflow::serialization
