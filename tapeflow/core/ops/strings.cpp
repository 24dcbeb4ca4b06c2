// String ops: argument checks with TF's messages, output specs, dispatch; ragged results are
// assembled from the (values, row_splits) outputs of the split kernels.
#include "tapeflow/core/ops/strings.h"

#include "tapeflow/core/ops/creation.h"

namespace tapeflow {
namespace ops {
OpDef StringSplitV2{.name = "StringSplitV2", .placement = Placement::kHostOnly, .kernel_allocates_outputs = true},
    StringSplit{.name = "StringSplit", .placement = Placement::kHostOnly, .kernel_allocates_outputs = true},
    UnicodeSplit{.name = "UnicodeSplit", .placement = Placement::kHostOnly, .kernel_allocates_outputs = true},
    UnicodeDecode{.name = "UnicodeDecode", .placement = Placement::kHostOnly, .kernel_allocates_outputs = true},
    StringToNumber{.name = "StringToNumber", .placement = Placement::kHostOnly},
    StringLength{.name = "StringLength", .placement = Placement::kHostOnly},
    StringLower{.name = "StringLower", .placement = Placement::kHostOnly},
    StringUpper{.name = "StringUpper", .placement = Placement::kHostOnly},
    StringJoin{.name = "StringJoin", .placement = Placement::kHostOnly},
    ReduceJoin{.name = "ReduceJoin", .placement = Placement::kHostOnly},
    Substr{.name = "Substr", .placement = Placement::kHostOnly},
    AsString{.name = "AsString", .placement = Placement::kHostOnly},
    DecodeRaw{.name = "DecodeRaw", .placement = Placement::kHostOnly};

void register_string_ops() {
  for (OpDef* op : {&StringSplitV2, &StringSplit, &UnicodeSplit, &UnicodeDecode, &StringToNumber, &StringLength,
                    &StringLower, &StringUpper, &StringJoin, &ReduceJoin, &Substr, &AsString, &DecodeRaw})
    register_op(*op);
}
}  // namespace ops

namespace {

void check_string(const Tensor& t, const char* op) {
  TF_CHECK_ARG(t.dtype() == DType::kString, op, op, " needs a string tensor, got dtype ", dtype_name(t.dtype()));
}

/// A 1-D view of the strings in row-major order (the split kernels work on vectors of strings).
Tensor as_vector(const Tensor& t) {
  if (t.ndim() == 1) return t;
  const Tensor c = t.contiguous();
  return detail::make_view(c.storage(), Shape{c.size()}, DimVector{1}, c.offset(), c.dtype(), c.device());
}

/// Runs a splitting op on a scalar or vector input: a scalar gives the pieces, a vector a ragged tensor.
MaybeRagged run_split(const OpDef& op, const Tensor& input, const ops::StringSplitAttrs& attrs, DType value_dtype) {
  check_string(input, op.name);
  const Tensor in = as_vector(input);
  const OutputSpec specs[2] = {{Shape{-1}, value_dtype}, {Shape{in.size() + 1}, DType::kInt64}};
  TensorList out = dispatch(op, std::span<const Tensor>(&in, 1), &attrs, specs);
  if (input.ndim() == 0) return out[0];
  RaggedTensor result = RaggedTensor::from_row_splits(out[0], out[1], false);
  // An N-d input gives ragged_rank N: its outer dims become (uniform) row partitions, innermost
  // first. TF marks them uniform (shape (2, 2, None)); here they print as None.
  for (int d = input.ndim() - 1; d >= 1; --d) {
    const int64_t len = input.shape()[d];
    int64_t rows = 1;  // rows of the partition at dim d: the product of the dims before it
    for (int e = 0; e < d; ++e) rows *= input.shape()[e];
    std::vector<int64_t> splits;
    for (int64_t r = 0; r <= rows; ++r) splits.push_back(r * len);
    result = RaggedTensor::from_row_splits(result, constant(splits), false);
  }
  return result;
}

bool parse_unit(const std::string& unit, const char* op) {
  TF_CHECK_ARG(unit == "BYTE" || unit == "UTF8_CHAR", op, "unit must be one of BYTE, UTF8_CHAR; got ", unit);
  return unit == "UTF8_CHAR";
}

void check_encoding(const std::string& enc, const char* op) {
  TF_CHECK_TYPED(enc == "UTF-8" || enc == "UTF8", UnimplementedError, op, "Only UTF-8 input is supported here, got ",
                 enc);
}

Tensor elementwise(const OpDef& op, const Tensor& input, const OpAttrs* attrs, DType out_dtype) {
  return dispatch1(op, std::span<const Tensor>(&input, 1), attrs, {input.shape(), out_dtype});
}

}  // namespace

namespace strings {

MaybeRagged split(const Tensor& input, std::optional<std::string> sep, int64_t maxsplit) {
  ops::StringSplitAttrs attrs;
  // TF treats sep="" like sep=None (split on whitespace).
  if (sep && !sep->empty()) attrs.sep = sep;
  attrs.maxsplit = maxsplit;
  return run_split(ops::StringSplitV2, input, attrs, DType::kString);
}

MaybeRagged bytes_split(const Tensor& input) {
  return run_split(ops::StringSplit, input, ops::StringSplitAttrs{}, DType::kString);
}

MaybeRagged unicode_split(const Tensor& input, const std::string& input_encoding) {
  check_encoding(input_encoding, "UnicodeSplit");
  return run_split(ops::UnicodeSplit, input, ops::StringSplitAttrs{}, DType::kString);
}

MaybeRagged unicode_decode(const Tensor& input, const std::string& input_encoding) {
  check_encoding(input_encoding, "UnicodeDecode");
  return run_split(ops::UnicodeDecode, input, ops::StringSplitAttrs{}, DType::kInt32);
}

Tensor to_number(const Tensor& input, DType out_type) {
  check_string(input, "StringToNumber");
  TF_CHECK_ARG(out_type == DType::kFloat32 || out_type == DType::kFloat64 || out_type == DType::kInt32 ||
                   out_type == DType::kInt64,
               "StringToNumber", "Value for attr 'out_type' of ", dtype_name(out_type),
               " is not in the list of allowed values: float, double, int32, int64");
  ops::StringToNumberAttrs attrs;
  attrs.out_type = out_type;
  return elementwise(ops::StringToNumber, input, &attrs, out_type);
}
RaggedTensor to_number(const RaggedTensor& input, DType out_type) {
  return input.with_flat_values(to_number(input.flat_values(), out_type));
}
MaybeRagged to_number(const MaybeRagged& input, DType out_type) {
  if (input.is_ragged()) return to_number(input.ragged(), out_type);
  return to_number(input.tensor(), out_type);
}

Tensor length(const Tensor& input, const std::string& unit) {
  check_string(input, "StringLength");
  ops::StringLengthAttrs attrs;
  attrs.utf8_chars = parse_unit(unit, "StringLength");
  return elementwise(ops::StringLength, input, &attrs, DType::kInt32);
}
RaggedTensor length(const RaggedTensor& input, const std::string& unit) {
  return input.with_flat_values(length(input.flat_values(), unit));
}

Tensor lower(const Tensor& input) {
  check_string(input, "StringLower");
  return elementwise(ops::StringLower, input, nullptr, DType::kString);
}
Tensor upper(const Tensor& input) {
  check_string(input, "StringUpper");
  return elementwise(ops::StringUpper, input, nullptr, DType::kString);
}
RaggedTensor lower(const RaggedTensor& input) { return input.with_flat_values(lower(input.flat_values())); }
RaggedTensor upper(const RaggedTensor& input) { return input.with_flat_values(upper(input.flat_values())); }

Tensor join(const std::vector<Tensor>& inputs, const std::string& separator) {
  TF_CHECK_ARG(!inputs.empty(), "StringJoin", "join needs at least one input");
  // TF's StringJoin: every input is a scalar or has the one common shape (no general broadcasting).
  Shape out;
  bool have = false;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    check_string(inputs[i], "StringJoin");
    if (inputs[i].ndim() == 0) continue;
    if (!have) {
      out = inputs[i].shape();
      have = true;
      continue;
    }
    TF_CHECK_ARG(inputs[i].shape() == out, "StringJoin", "Input shapes do not match: ", out.to_string(), " vs. ",
                 inputs[i].shape().to_string());
  }
  ops::StringJoinAttrs attrs;
  attrs.separator = separator;
  return dispatch1(ops::StringJoin, inputs, &attrs, {out, DType::kString});
}

Tensor reduce_join(const Tensor& input, std::optional<int> axis, bool keepdims, const std::string& separator) {
  check_string(input, "ReduceJoin");
  ops::ReduceJoinAttrs attrs;
  attrs.separator = separator;
  Shape out;
  if (axis) {
    TF_CHECK_ARG(input.ndim() > 0, "ReduceJoin", "Invalid reduction dimension ", *axis, " for input with 0 dimensions");
    attrs.axis = normalize_axis("ReduceJoin", *axis, input.ndim());
    for (int d = 0; d < input.ndim(); ++d) {
      if (d != *attrs.axis)
        out.push_back(input.shape()[d]);
      else if (keepdims)
        out.push_back(1);
    }
  } else if (keepdims) {
    for (int d = 0; d < input.ndim(); ++d) out.push_back(1);
  }
  return dispatch1(ops::ReduceJoin, std::span<const Tensor>(&input, 1), &attrs, {out, DType::kString});
}

Tensor substr(const Tensor& input, int64_t pos, int64_t len, const std::string& unit) {
  check_string(input, "Substr");
  TF_CHECK_ARG(len >= 0, "Substr", "len must be non-negative, got ", len);
  ops::SubstrAttrs attrs;
  attrs.pos = pos;
  attrs.len = len;
  attrs.utf8_chars = parse_unit(unit, "Substr");
  return elementwise(ops::Substr, input, &attrs, DType::kString);
}

Tensor as_string(const Tensor& input, int precision) {
  TF_CHECK_ARG(input.dtype() != DType::kString, "AsString",
               "Value for attr 'T' of string is not in the list of allowed values: numbers and bool");
  ops::AsStringAttrs attrs;
  attrs.precision = precision;
  return elementwise(ops::AsString, input, &attrs, DType::kString);
}

}  // namespace strings

namespace io {
Tensor decode_raw(const Tensor& input_bytes, DType out_type) {
  check_string(input_bytes, "DecodeRaw");
  TF_CHECK_ARG(out_type != DType::kString, "DecodeRaw", "DecodeRaw cannot decode to string");
  const std::size_t esize = dtype_size(out_type);
  std::vector<std::string> v = input_bytes.to_vector<std::string>();
  int64_t n = 0;
  if (!v.empty()) {
    for (std::size_t i = 0; i < v.size(); ++i)
      TF_CHECK_ARG(v[i].size() == v[0].size(), "DecodeRaw",
                   "DecodeRaw requires input strings to all be the same size, but element ", i, " has size ",
                   v[i].size(), " != ", v[0].size());
    TF_CHECK_ARG(v[0].size() % esize == 0, "DecodeRaw", "Input to DecodeRaw has length ", v[0].size(),
                 " that is not a multiple of ", esize, ", the size of ", dtype_name(out_type));
    n = static_cast<int64_t>(v[0].size() / esize);
  }
  Shape out = input_bytes.shape();
  out.push_back(n);
  ops::DecodeRawAttrs attrs;
  attrs.out_type = out_type;
  return dispatch1(ops::DecodeRaw, std::span<const Tensor>(&input_bytes, 1), &attrs, {out, out_type});
}
}  // namespace io

}  // namespace tapeflow
