// The table of TF ops a loaded SavedModel function may hold (tf_op_table.h). Each entry is a
// few lines of public ops; TF strips attributes equal to their defaults from SavedModels
// (stripped_default_attrs), so every attribute read here has TF's default.
#include "tapeflow/serialization/tf_op_table.h"

#include <cstring>
#include <map>

#include "graph.pb.h"
#include "tapeflow/core/errors.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/bias_add.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/linalg.h"
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
  Tensor c = cast(*v[i].constant, DType::kInt64).cpu();
  return c.to_vector<int64_t>();
}

Values one(Tensor t) { return {TfValue{std::move(t), Variable(), std::nullopt}}; }

TfOp unary(const char* out, Tensor (*f)(const Tensor&)) {
  return {{out}, {"T"}, [f](const Values& v, const tensorflow::NodeDef& n) { return one(f(in(v, 0, n))); }};
}
TfOp binary(Tensor (*f)(const Tensor&, const Tensor&)) {
  return {{"z"}, {"T"}, [f](const Values& v, const tensorflow::NodeDef& n) { return one(f(in(v, 0, n), in(v, 1, n))); }};
}
TfOp reduction(Tensor (*f)(const Tensor&, Axes, bool)) {
  return {{"output"}, {"keep_dims", "T", "Tidx"}, [f](const Values& v, const tensorflow::NodeDef& n) {
            return one(f(in(v, 0, n), Axes(const_ints(v, 1, n)), attr_bool(n, "keep_dims")));
          }};
}

std::map<std::string, TfOp> make_table() {
  std::map<std::string, TfOp> t;
  t["MatMul"] = {{"product"}, {"transpose_a", "transpose_b", "T"}, [](const Values& v, const tensorflow::NodeDef& n) {
                   return one(matmul(in(v, 0, n), in(v, 1, n), attr_bool(n, "transpose_a"), attr_bool(n, "transpose_b")));
                 }};
  t["BatchMatMulV2"] = {{"output"}, {"T", "adj_x", "adj_y"}, [](const Values& v, const tensorflow::NodeDef& n) {
                          return one(matmul(in(v, 0, n), in(v, 1, n),
                                            {.adjoint_a = attr_bool(n, "adj_x"), .adjoint_b = attr_bool(n, "adj_y")}));
                        }};
  t["BiasAdd"] = {{"output"}, {"T", "data_format"}, [](const Values& v, const tensorflow::NodeDef& n) {
                    auto f = n.attr().find("data_format");
                    TF_CHECK_TYPED(f == n.attr().end() || f->second.s() == "NHWC", UnimplementedError, "",
                                   "node '", n.name(), "': BiasAdd with data_format ", f->second.s());
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
                  TF_CHECK_TYPED(it != n.attr().end() && it->second.has_tensor(), DataLossError, "", "node '",
                                 n.name(), "' (Const) has no value");
                  Tensor host = tensor_from_tensor_proto(it->second.tensor());
                  return Values{TfValue{identity(host), Variable(), host}};
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
    // TF's Const: fewer values than elements repeat the last one (a splat).
    TF_CHECK_TYPED(repeated.size() <= n && (repeated.size() > 0 || n == 0), DataLossError, "", "TensorProto holds ",
                   repeated.size(), " values for shape ", shape);
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
