// String tensors and tf.strings ops: the "String tensors" examples of TF's tensor guide
// (https://www.tensorflow.org/guide/tensor), each op's edge cases and its bad-input errors.
#include <gtest/gtest.h>

#include "tests/core/test_util.h"

namespace {

using Strings = std::vector<std::string>;

TEST(Strings, ScalarAndVectorConstantsAreStringTensors) {
  auto scalar_string_tensor = tf::constant("Gray wolf");
  EXPECT_EQ(scalar_string_tensor.dtype(), tf::string);
  EXPECT_EQ(scalar_string_tensor.shape(), tf::Shape{});
  EXPECT_EQ(scalar_string_tensor.item<std::string>(), "Gray wolf");
  auto tensor_of_strings = tf::constant({"Gray wolf", "Quick brown fox", "Lazy dog"});
  EXPECT_EQ(tensor_of_strings.dtype(), tf::string);
  EXPECT_EQ(tensor_of_strings.shape(), tf::Shape{3});
  EXPECT_EQ(tensor_of_strings.to_vector<std::string>(), (Strings{"Gray wolf", "Quick brown fox", "Lazy dog"}));
  // Unicode is stored as UTF-8 bytes: "🥳👍" is b'\xf0\x9f\xa5\xb3\xf0\x9f\x91\x8d'.
  auto emoji = tf::constant("🥳👍");
  EXPECT_EQ(emoji.item<std::string>(), "\xf0\x9f\xa5\xb3\xf0\x9f\x91\x8d");
  EXPECT_EQ(tf::strings::length(emoji).item<int32_t>(), 8);
  EXPECT_EQ(tf::strings::length(emoji, "UTF8_CHAR").item<int32_t>(), 2);
}

TEST(Strings, SplitScalarGivesDenseVector) {
  auto words = tf::strings::split(tf::constant("Gray wolf"), " ");
  ASSERT_FALSE(words.is_ragged());
  EXPECT_EQ(words.shape(), tf::Shape{2});
  EXPECT_EQ(words.to_vector<std::string>(), (Strings{"Gray", "wolf"}));
}

TEST(Strings, SplitVectorGivesRaggedTensor) {
  auto tensor_of_strings = tf::constant({"Gray wolf", "Quick brown fox", "Lazy dog"});
  auto split = tf::strings::split(tensor_of_strings);
  ASSERT_TRUE(split.is_ragged());
  std::ostringstream os;
  os << split;
  EXPECT_EQ(os.str(), "<tf.RaggedTensor [[b'Gray', b'wolf'], [b'Quick', b'brown', b'fox'], [b'Lazy', b'dog']]>");
  EXPECT_EQ(split.shape().to_string(), "(3, None)");
  EXPECT_EQ(split.ragged().row_splits().to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 5, 7}));
}

TEST(Strings, SplitSemanticsMatchPythonStrSplit) {
  // Without sep: runs of whitespace, no empty pieces; with sep: every occurrence, empties kept.
  auto s = tf::constant({"  a \t b\n", "", "a,,b,"});
  EXPECT_EQ(tf::strings::split(s).ragged().to_list<std::string>(), (std::vector<Strings>{{"a", "b"}, {}, {"a,,b,"}}));
  EXPECT_EQ(tf::strings::split(s, ",").ragged().to_list<std::string>(),
            (std::vector<Strings>{{"  a \t b\n"}, {""}, {"a", "", "b", ""}}));
  EXPECT_EQ(tf::strings::split(tf::constant("a<>b<>c"), "<>", 1).to_vector<std::string>(), (Strings{"a", "b<>c"}));
  EXPECT_EQ(tf::strings::split(tf::constant(" a b  c "), std::nullopt, 1).to_vector<std::string>(),
            (Strings{"a", "b  c"}));
  EXPECT_EQ(tf::strings::split(tf::constant(std::vector<std::string>{}, tf::Shape{0})).ragged().nrows(), 0);
  EXPECT_TF_ERROR(tf::strings::split(tf::constant({1, 2})), tf::errors::InvalidArgumentError, "string tensor");
}

TEST(Strings, SplitMatrixGivesRaggedRankTwo) {
  auto m = tf::constant({{"a b", "c"}, {"", "d e f"}});
  auto r = tf::strings::split(m).ragged();
  EXPECT_EQ(r.ragged_rank(), 2);
  EXPECT_EQ(r.shape().to_string(), "(2, None, None)");
  std::ostringstream os;
  os << r;
  EXPECT_EQ(os.str(), "<tf.RaggedTensor [[[b'a', b'b'], [b'c']], [[], [b'd', b'e', b'f']]]>");
  EXPECT_EQ(tf::strings::unicode_decode(m).ragged().to_tensor().shape(), (tf::Shape{2, 2, 5}));
}

TEST(Strings, ToNumberOfSplitText) {
  auto text = tf::constant("1 10 100");
  auto numbers = tf::strings::to_number(tf::strings::split(text, " "));
  ASSERT_FALSE(numbers.is_ragged());
  EXPECT_EQ(numbers.dtype(), tf::float32);
  EXPECT_EQ(numbers.to_vector<float>(), (std::vector<float>{1.f, 10.f, 100.f}));
}

TEST(Strings, ToNumberDtypesAndErrors) {
  auto s = tf::constant({"-3", " 42 ", "7"});
  EXPECT_EQ(tf::strings::to_number(s, tf::int32).to_vector<int32_t>(), (std::vector<int32_t>{-3, 42, 7}));
  EXPECT_EQ(tf::strings::to_number(s, tf::int64).to_vector<int64_t>(), (std::vector<int64_t>{-3, 42, 7}));
  EXPECT_EQ(tf::strings::to_number(tf::constant({"0.5", "1e3", "-inf"}), tf::float64).to_vector<double>(),
            (std::vector<double>{0.5, 1000.0, -INFINITY}));
  EXPECT_TF_ERROR(tf::strings::to_number(tf::constant({"1", "abc"})), tf::errors::InvalidArgumentError,
                  "StringToNumberOp could not correctly convert string: abc");
  EXPECT_TF_ERROR(tf::strings::to_number(tf::constant("1.5"), tf::int32), tf::errors::InvalidArgumentError,
                  "could not correctly convert string: 1.5");
  EXPECT_TF_ERROR(tf::strings::to_number(tf::constant("3000000000"), tf::int32), tf::errors::InvalidArgumentError,
                  "3000000000");
  EXPECT_TF_ERROR(tf::strings::to_number(tf::constant(""), tf::float32), tf::errors::InvalidArgumentError,
                  "could not correctly convert string");
  EXPECT_TF_ERROR(tf::strings::to_number(s, tf::uint8), tf::errors::InvalidArgumentError, "out_type");
  // Ragged input: applied to the flat values.
  auto r = tf::strings::to_number(tf::strings::split(tf::constant({"1 2", "3"})), tf::int32);
  EXPECT_EQ(r.ragged().to_list<int32_t>(), (std::vector<std::vector<int32_t>>{{1, 2}, {3}}));
}

TEST(Strings, BytesSplitAndDecodeRaw) {
  auto byte_strings = tf::strings::bytes_split(tf::constant("Duck"));
  EXPECT_EQ(byte_strings.to_vector<std::string>(), (Strings{"D", "u", "c", "k"}));
  auto byte_ints = tf::io::decode_raw(tf::constant("Duck"), tf::uint8);
  EXPECT_EQ(byte_ints.shape(), tf::Shape{4});
  EXPECT_EQ(byte_ints.to_vector<uint8_t>(), (std::vector<uint8_t>{68, 117, 99, 107}));
  auto ints = tf::io::decode_raw(tf::constant({std::string("\x01\x00\x00\x00", 4), std::string("\xff\xff\xff\xff", 4)}),
                                 tf::int32);
  EXPECT_EQ(ints.shape(), (tf::Shape{2, 1}));
  EXPECT_EQ(ints.to_vector<int32_t>(), (std::vector<int32_t>{1, -1}));
  EXPECT_TF_ERROR(tf::io::decode_raw(tf::constant({"ab", "abc"}), tf::uint8), tf::errors::InvalidArgumentError,
                  "same size, but element 1 has size 3 != 2");
  EXPECT_TF_ERROR(tf::io::decode_raw(tf::constant("abc"), tf::int32), tf::errors::InvalidArgumentError,
                  "length 3 that is not a multiple of 4");
  auto ragged = tf::strings::bytes_split(tf::constant({"ab", "", "c"}));
  EXPECT_EQ(ragged.ragged().to_list<std::string>(), (std::vector<Strings>{{"a", "b"}, {}, {"c"}}));
}

TEST(Strings, UnicodeSplitAndDecode) {
  auto unicode_bytes = tf::constant("アヒル 🦆");
  EXPECT_EQ(unicode_bytes.item<std::string>(), "\xe3\x82\xa2\xe3\x83\x92\xe3\x83\xab \xf0\x9f\xa6\x86");
  auto chars = tf::strings::unicode_split(unicode_bytes, "UTF-8");
  EXPECT_EQ(chars.to_vector<std::string>(),
            (Strings{"\xe3\x82\xa2", "\xe3\x83\x92", "\xe3\x83\xab", " ", "\xf0\x9f\xa6\x86"}));
  auto values = tf::strings::unicode_decode(unicode_bytes, "UTF-8");
  EXPECT_EQ(values.dtype(), tf::int32);
  EXPECT_EQ(values.to_vector<int32_t>(), (std::vector<int32_t>{12450, 12498, 12523, 32, 129414}));
  // "🥳" is code point 129395; an invalid byte decodes to U+FFFD.
  auto party = tf::strings::unicode_decode(tf::constant({"🥳", "a\xff"}));
  EXPECT_EQ(party.ragged().to_list<int32_t>(), (std::vector<std::vector<int32_t>>{{129395}, {97, 65533}}));
  EXPECT_TF_ERROR(tf::strings::unicode_decode(unicode_bytes, "UTF-16-BE"), tf::errors::UnimplementedError, "UTF-8");
}

TEST(Strings, LengthLowerUpperSubstr) {
  auto s = tf::constant({{"Hello", "ÀB"}, {"", "xyz"}});
  auto len = tf::strings::length(s);
  EXPECT_EQ(len.shape(), (tf::Shape{2, 2}));
  EXPECT_EQ(len.to_vector<int32_t>(), (std::vector<int32_t>{5, 3, 0, 3}));
  EXPECT_EQ(tf::strings::length(s, "UTF8_CHAR").to_vector<int32_t>(), (std::vector<int32_t>{5, 2, 0, 3}));
  EXPECT_EQ(tf::strings::lower(s).to_vector<std::string>(), (Strings{"hello", "Àb", "", "xyz"}));
  EXPECT_EQ(tf::strings::upper(s).to_vector<std::string>(), (Strings{"HELLO", "ÀB", "", "XYZ"}));
  auto w = tf::constant({"Hello", "World"});
  EXPECT_EQ(tf::strings::substr(w, 1, 3).to_vector<std::string>(), (Strings{"ell", "orl"}));
  EXPECT_EQ(tf::strings::substr(w, -2, 10).to_vector<std::string>(), (Strings{"lo", "ld"}));
  EXPECT_EQ(tf::strings::substr(tf::constant("aÀb"), 1, 1, "UTF8_CHAR").item<std::string>(), "À");
  EXPECT_TF_ERROR(tf::strings::substr(w, 6, 1), tf::errors::InvalidArgumentError,
                  "pos 6 out of range for string b'Hello' at index 0");
  EXPECT_TF_ERROR(tf::strings::length(s, "CHAR"), tf::errors::InvalidArgumentError, "unit must be one of");
  EXPECT_TF_ERROR(tf::strings::lower(tf::constant(1.f)), tf::errors::InvalidArgumentError, "string tensor");
}

TEST(Strings, JoinAndReduceJoin) {
  auto a = tf::constant({"a", "b"});
  auto j = tf::strings::join({a, tf::constant("-"), tf::constant({"x", "y"})});
  EXPECT_EQ(j.to_vector<std::string>(), (Strings{"a-x", "b-y"}));
  EXPECT_EQ(tf::strings::join({a, a}, "+").to_vector<std::string>(), (Strings{"a+a", "b+b"}));
  EXPECT_TF_ERROR(tf::strings::join({a, tf::constant({"x", "y", "z"})}), tf::errors::InvalidArgumentError,
                  "Input shapes do not match: (2,) vs. (3,)");
  auto m = tf::constant({{"a", "b", "c"}, {"d", "e", "f"}});
  EXPECT_EQ(tf::strings::reduce_join(m).item<std::string>(), "abcdef");
  EXPECT_EQ(tf::strings::reduce_join(m, 0).to_vector<std::string>(), (Strings{"ad", "be", "cf"}));
  auto r = tf::strings::reduce_join(m, -1, true, " ");
  EXPECT_EQ(r.shape(), (tf::Shape{2, 1}));
  EXPECT_EQ(r.to_vector<std::string>(), (Strings{"a b c", "d e f"}));
  EXPECT_TF_ERROR(tf::strings::reduce_join(m, 2), tf::errors::InvalidArgumentError, "out of bounds");
}

TEST(Strings, AsString) {
  EXPECT_EQ(tf::strings::as_string(tf::constant({1, -20})).to_vector<std::string>(), (Strings{"1", "-20"}));
  EXPECT_EQ(tf::strings::as_string(tf::constant({3.5f, 0.1f})).to_vector<std::string>(),
            (Strings{"3.500000", "0.100000"}));
  EXPECT_EQ(tf::strings::as_string(tf::constant(2.25), 1).item<std::string>(), "2.2");
  EXPECT_EQ(tf::strings::as_string(tf::constant({true, false})).to_vector<std::string>(), (Strings{"true", "false"}));
  EXPECT_EQ(tf::strings::as_string(tf::constant({1.5}, tf::float16)).item<std::string>(), "1.500000");
  EXPECT_TF_ERROR(tf::strings::as_string(tf::constant("x")), tf::errors::InvalidArgumentError, "attr 'T'");
}

TEST(Strings, EqualityAndNonContiguousInput) {
  auto a = tf::constant({"Gray wolf", "Lazy dog"});
  EXPECT_EQ((a == tf::constant({"Gray wolf", "Lazy cat"})).to_vector<bool>(), (std::vector<bool>{true, false}));
  // A transposed view (strides (1, 2)) of [[a b] [c d]] reads column-major.
  auto m = tf::constant({{"a", "b"}, {"c", "d"}});
  auto t = tf::detail::make_view(m.storage(), tf::Shape{2, 2}, tf::DimVector{1, 2}, 0, tf::string, m.device());
  EXPECT_EQ(tf::strings::upper(t).to_vector<std::string>(), (Strings{"A", "C", "B", "D"}));
  EXPECT_EQ(tf::strings::reduce_join(t, 1).to_vector<std::string>(), (Strings{"ac", "bd"}));
}

}  // namespace
