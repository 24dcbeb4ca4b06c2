// String ops (tf.strings.*) on string tensors, which live on CPU:0: split, bytes/unicode split and
// decode, to_number, length, join, reduce_join, lower/upper, substr, as_string; and
// tf.io.decode_raw. Functions whose TF result is ragged return MaybeRagged (dense for a scalar input).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tapeflow/core/dispatch.h"
#include "tapeflow/core/ops/ragged.h"

namespace tapeflow {
namespace strings {

/// tf.strings.split(input, sep=None, maxsplit=-1): without sep, splits on runs of whitespace and
/// drops empty pieces; with sep, every occurrence splits (empty pieces kept), as Python's str.split.
/// A scalar input gives a 1-D string tensor; a 1-D input a RaggedTensor (nrows = input size).
/// `tf::strings::split(tf::constant("Gray wolf"), " ")` -> [b'Gray' b'wolf'].
MaybeRagged split(const Tensor& input, std::optional<std::string> sep = std::nullopt, int64_t maxsplit = -1);
/// tf.strings.bytes_split: one piece per byte ("Duck" -> [b'D' b'u' b'c' b'k']). Scalar -> 1-D, 1-D -> ragged.
MaybeRagged bytes_split(const Tensor& input);
/// tf.strings.unicode_split(input, "UTF-8"): one piece per UTF-8 character.
MaybeRagged unicode_split(const Tensor& input, const std::string& input_encoding = "UTF-8");
/// tf.strings.unicode_decode(input, "UTF-8"): int32 code points (invalid bytes decode to U+FFFD, as TF's
/// errors="replace"). Scalar -> 1-D, 1-D -> ragged.
MaybeRagged unicode_decode(const Tensor& input, const std::string& input_encoding = "UTF-8");

/// tf.strings.to_number(input, out_type=float32): out_type float32/float64/int32/int64. A string that
/// is not a number is an InvalidArgumentError "StringToNumberOp could not correctly convert string: abc".
Tensor to_number(const Tensor& input, DType out_type = DType::kFloat32);
RaggedTensor to_number(const RaggedTensor& input, DType out_type = DType::kFloat32);
MaybeRagged to_number(const MaybeRagged& input, DType out_type = DType::kFloat32);

/// tf.strings.length: int32 length in bytes, or in UTF-8 characters with unit "UTF8_CHAR".
Tensor length(const Tensor& input, const std::string& unit = "BYTE");
RaggedTensor length(const RaggedTensor& input, const std::string& unit = "BYTE");
/// tf.strings.lower / upper (ASCII letters only, as TF without encoding).
Tensor lower(const Tensor& input);
Tensor upper(const Tensor& input);
RaggedTensor lower(const RaggedTensor& input);
RaggedTensor upper(const RaggedTensor& input);
/// tf.strings.join(inputs, separator): elementwise concatenation; inputs broadcast (same shape or scalars).
Tensor join(const std::vector<Tensor>& inputs, const std::string& separator = "");
/// tf.strings.reduce_join(input, axis=None, keepdims=false, separator=""): joins along an axis
/// (negative counts from the end), or all elements when axis is omitted.
Tensor reduce_join(const Tensor& input, std::optional<int> axis = std::nullopt, bool keepdims = false,
                   const std::string& separator = "");
/// tf.strings.substr(input, pos, len, unit="BYTE"): negative pos counts from the end; pos beyond the
/// string is an InvalidArgumentError "pos 10 out of range for string b'...' at index 0".
Tensor substr(const Tensor& input, int64_t pos, int64_t len, const std::string& unit = "BYTE");
/// tf.strings.as_string: numbers and bools to strings (floats as "%f" with precision 6 unless given,
/// bools as "true"/"false").
Tensor as_string(const Tensor& input, int precision = -1);

}  // namespace strings

namespace io {
/// tf.io.decode_raw(input_bytes, out_type): reinterprets each string's bytes as out_type values
/// (little-endian); all strings must have the same length, a multiple of the element size.
/// A scalar "Duck" with uint8 gives [68 117 99 107].
Tensor decode_raw(const Tensor& input_bytes, DType out_type);
}  // namespace io

namespace ops {
extern OpDef StringSplitV2, StringSplit, UnicodeSplit, UnicodeDecode, StringToNumber, StringLength, StringLower,
    StringUpper, StringJoin, ReduceJoin, Substr, AsString, DecodeRaw;

/// StringSplitV2 (sep, maxsplit), StringSplit (bytes), UnicodeSplit, UnicodeDecode: outputs are the
/// ragged parts (values, row_splits int64) of a 1-D input.
struct StringSplitAttrs : OpAttrsBase<StringSplitAttrs> {
  std::optional<std::string> sep;
  int64_t maxsplit = -1;
};
struct StringToNumberAttrs : OpAttrsBase<StringToNumberAttrs> {
  DType out_type = DType::kFloat32;
};
struct StringLengthAttrs : OpAttrsBase<StringLengthAttrs> {
  bool utf8_chars = false;
};
struct StringJoinAttrs : OpAttrsBase<StringJoinAttrs> {
  std::string separator;
};
struct ReduceJoinAttrs : OpAttrsBase<ReduceJoinAttrs> {
  std::optional<int> axis;  // normalized; nullopt joins everything
  std::string separator;
};
struct SubstrAttrs : OpAttrsBase<SubstrAttrs> {
  int64_t pos = 0, len = 0;
  bool utf8_chars = false;
};
struct AsStringAttrs : OpAttrsBase<AsStringAttrs> {
  int precision = -1;
};
struct DecodeRawAttrs : OpAttrsBase<DecodeRawAttrs> {
  DType out_type = DType::kUInt8;
};
void register_string_ops();
}  // namespace ops

}  // namespace tapeflow
