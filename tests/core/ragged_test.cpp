// RaggedTensor: the "Ragged tensors" example of TF's tensor guide, the from_* constructors and
// their partition errors, accessors, to_tensor, printing and elementwise ops on flat values.
#include <gtest/gtest.h>

#include "tests/core/test_util.h"

namespace {

using I64 = std::vector<int64_t>;

std::string str(const tf::RaggedTensor& r) {
  std::ostringstream os;
  os << r;
  return os.str();
}

TEST(Ragged, TutorialExample) {
  // tf.constant refuses a ragged list; tf.ragged.constant takes it.
  EXPECT_TF_ERROR(tf::constant({{0, 1, 2, 3}, {4, 5}, {6, 7, 8}, {9}}), tf::errors::InvalidArgumentError,
                  "Can't convert non-rectangular Python sequence to Tensor.");
  auto ragged_tensor = tf::ragged::constant({{0, 1, 2, 3}, {4, 5}, {6, 7, 8}, {9}});
  EXPECT_EQ(str(ragged_tensor), "<tf.RaggedTensor [[0, 1, 2, 3], [4, 5], [6, 7, 8], [9]]>");
  EXPECT_EQ(ragged_tensor.shape().to_string(), "(4, None)");
  EXPECT_EQ(ragged_tensor.shape(), (tf::Shape{4, -1}));
  EXPECT_EQ(ragged_tensor.dtype(), tf::int32);
  EXPECT_EQ(ragged_tensor.ragged_rank(), 1);
  EXPECT_EQ(ragged_tensor.nrows(), 4);
  EXPECT_EQ(ragged_tensor.row_splits().dtype(), tf::int64);
  EXPECT_EQ(ragged_tensor.row_splits().to_vector<int64_t>(), (I64{0, 4, 6, 9, 10}));
  EXPECT_EQ(ragged_tensor.row_lengths().to_vector<int64_t>(), (I64{4, 2, 3, 1}));
  EXPECT_EQ(ragged_tensor.value_rowids().to_vector<int64_t>(), (I64{0, 0, 0, 0, 1, 1, 2, 2, 2, 3}));
  EXPECT_EQ(ragged_tensor.values().to_vector<int32_t>(), (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(ragged_tensor.to_list<int32_t>(),
            (std::vector<std::vector<int32_t>>{{0, 1, 2, 3}, {4, 5}, {6, 7, 8}, {9}}));
}

TEST(Ragged, PrintsPythonReprOfEachDtype) {
  EXPECT_EQ(str(tf::ragged::constant({{1.5f, 2.f}, {}, {0.1f}})),
            "<tf.RaggedTensor [[1.5, 2.0], [], [0.10000000149011612]]>");
  EXPECT_EQ(str(tf::ragged::constant({{1e-5, 1e20}}, tf::float64)), "<tf.RaggedTensor [[1e-05, 1e+20]]>");
  EXPECT_EQ(str(tf::ragged::constant({{true}, {false, true}})), "<tf.RaggedTensor [[True], [False, True]]>");
  EXPECT_EQ(str(tf::ragged::constant({{"it's"}, {"a\n"}})), "<tf.RaggedTensor [[b\"it's\"], [b'a\\n']]>");
  EXPECT_EQ(str(tf::ragged::constant({{1.5, -2.0}}, tf::bfloat16)), "<tf.RaggedTensor [[1.5, -2.0]]>");
}

TEST(Ragged, RaggedRankTwo) {
  auto r = tf::ragged::constant({{{1, 2}, {3}}, {}, {{4, 5, 6}}});
  EXPECT_EQ(r.ragged_rank(), 2);
  EXPECT_EQ(r.shape().to_string(), "(3, None, None)");
  EXPECT_EQ(str(r), "<tf.RaggedTensor [[[1, 2], [3]], [], [[4, 5, 6]]]>");
  EXPECT_EQ(r.nested_row_splits()[0].to_vector<int64_t>(), (I64{0, 2, 2, 3}));
  EXPECT_EQ(r.nested_row_splits()[1].to_vector<int64_t>(), (I64{0, 2, 3, 6}));
  auto inner = r.values();
  ASSERT_TRUE(inner.is_ragged());
  EXPECT_EQ(str(inner.ragged()), "<tf.RaggedTensor [[1, 2], [3], [4, 5, 6]]>");
  EXPECT_EQ(str(r[2].ragged()), "<tf.RaggedTensor [[4, 5, 6]]>");
  EXPECT_EQ(str(r[-3].ragged()), "<tf.RaggedTensor [[1, 2], [3]]>");
  auto dense = r.to_tensor(-1);
  EXPECT_EQ(dense.shape(), (tf::Shape{3, 2, 3}));
  EXPECT_EQ(dense.to_vector<int32_t>(),
            (std::vector<int32_t>{1, 2, -1, 3, -1, -1, -1, -1, -1, -1, -1, -1, 4, 5, 6, -1, -1, -1}));
}

TEST(Ragged, FromRowSplitsLengthsAndRowids) {
  auto values = tf::constant({3, 1, 4, 1, 5, 9, 2});
  auto a = tf::RaggedTensor::from_row_splits(values, tf::constant({0, 4, 4, 6, 7}));
  EXPECT_EQ(str(a), "<tf.RaggedTensor [[3, 1, 4, 1], [], [5, 9], [2]]>");
  auto b = tf::RaggedTensor::from_row_lengths(values, tf::constant({4, 0, 2, 1}));
  EXPECT_EQ(str(b), str(a));
  auto c = tf::RaggedTensor::from_value_rowids(values, tf::constant({0, 0, 0, 0, 2, 2, 3}));
  EXPECT_EQ(str(c), str(a));
  auto d = tf::RaggedTensor::from_value_rowids(values, tf::constant({0, 0, 0, 0, 2, 2, 3}), 6);
  EXPECT_EQ(str(d), "<tf.RaggedTensor [[3, 1, 4, 1], [], [5, 9], [2], [], []]>");
  // Nesting: a ragged tensor of ragged rows.
  auto nested = tf::RaggedTensor::from_row_lengths(b, tf::constant(I64{3, 1}));
  EXPECT_EQ(str(nested), "<tf.RaggedTensor [[[3, 1, 4, 1], [], [5, 9]], [[2]]]>");
  // Values with uniform inner dims: shape (2, None, 2).
  auto pairs = tf::RaggedTensor::from_row_splits(tf::constant({{1, 2}, {3, 4}, {5, 6}}), tf::constant({0, 1, 3}));
  EXPECT_EQ(pairs.shape().to_string(), "(2, None, 2)");
  EXPECT_EQ(str(pairs), "<tf.RaggedTensor [[[1, 2]], [[3, 4], [5, 6]]]>");
  EXPECT_EQ(pairs.to_tensor().to_vector<int32_t>(), (std::vector<int32_t>{1, 2, 0, 0, 3, 4, 5, 6}));
}

TEST(Ragged, BadPartitionsAreInvalidArgument) {
  auto values = tf::constant({1, 2, 3});
  using tf::RaggedTensor;
  EXPECT_TF_ERROR(RaggedTensor::from_row_splits(values, tf::constant({1, 2, 3})), tf::errors::InvalidArgumentError,
                  "Arguments to from_row_splits do not form a valid RaggedTensor: zero");
  EXPECT_TF_ERROR(RaggedTensor::from_row_splits(values, tf::constant({0, 2, 1, 3})), tf::errors::InvalidArgumentError,
                  "monotonic: row_splits must be non-decreasing, but row_splits[2] = 1 < row_splits[1] = 2");
  EXPECT_TF_ERROR(RaggedTensor::from_row_splits(values, tf::constant({0, 2})), tf::errors::InvalidArgumentError,
                  "the last element of row_splits (2) must equal the number of values (3)");
  EXPECT_TF_ERROR(RaggedTensor::from_row_splits(values, tf::constant(std::vector<int64_t>{}, tf::Shape{0})),
                  tf::errors::InvalidArgumentError, "non-empty");
  EXPECT_TF_ERROR(RaggedTensor::from_row_splits(values, tf::constant({{0, 3}})), tf::errors::InvalidArgumentError,
                  "must have rank 1");
  EXPECT_TF_ERROR(RaggedTensor::from_row_splits(values, tf::constant({0.f, 3.f})), tf::errors::InvalidArgumentError,
                  "int32 or int64");
  EXPECT_TF_ERROR(RaggedTensor::from_row_lengths(values, tf::constant({4, -1})), tf::errors::InvalidArgumentError,
                  "negative: row_lengths[1] = -1");
  EXPECT_TF_ERROR(RaggedTensor::from_row_lengths(values, tf::constant({1, 1})), tf::errors::InvalidArgumentError,
                  "must equal the number of values (3)");
  EXPECT_TF_ERROR(RaggedTensor::from_value_rowids(values, tf::constant({0, 2, 1})), tf::errors::InvalidArgumentError,
                  "sorted");
  EXPECT_TF_ERROR(RaggedTensor::from_value_rowids(values, tf::constant({0, 1, 2}), 2), tf::errors::InvalidArgumentError,
                  "value_rowids[2] = 2 is not less than nrows = 2");
  EXPECT_TF_ERROR(RaggedTensor::from_value_rowids(values, tf::constant({-1, 0, 0})), tf::errors::InvalidArgumentError,
                  "negative");
  EXPECT_TF_ERROR(RaggedTensor::from_row_splits(tf::constant(1), tf::constant({0, 1})),
                  tf::errors::InvalidArgumentError, "rank at least 1");
  // validate=false skips the value checks, as TF's.
  EXPECT_NO_THROW(RaggedTensor::from_row_splits(values, tf::constant({0, 1, 3}), false));
}

TEST(Ragged, ToTensorPadsWithDefault) {
  auto r = tf::ragged::constant({{0, 1, 2, 3}, {4, 5}, {6, 7, 8}, {9}});
  auto t = r.to_tensor();
  EXPECT_EQ(t.shape(), (tf::Shape{4, 4}));
  EXPECT_EQ(t.dtype(), tf::int32);
  EXPECT_EQ(t.to_vector<int32_t>(), (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 0, 0, 6, 7, 8, 0, 9, 0, 0, 0}));
  auto f = tf::ragged::constant({{1.5}, {}}, tf::float64).to_tensor(7);
  EXPECT_EQ(f.shape(), (tf::Shape{2, 1}));
  EXPECT_EQ(f.to_vector<double>(), (std::vector<double>{1.5, 7.0}));
  auto s = tf::ragged::constant({{"a", "b"}, {"c"}}).to_tensor();
  EXPECT_EQ(s.to_vector<std::string>(), (std::vector<std::string>{"a", "b", "c", ""}));
  EXPECT_EQ(tf::ragged::constant({{"a"}, {}}).to_tensor("?").to_vector<std::string>(),
            (std::vector<std::string>{"a", "?"}));
  // All rows empty: (3, 0).
  auto empty = tf::RaggedTensor::from_row_splits(tf::constant(std::vector<float>{}), tf::constant({0, 0, 0, 0}));
  EXPECT_EQ(empty.to_tensor().shape(), (tf::Shape{3, 0}));
  EXPECT_EQ(str(empty), "<tf.RaggedTensor [[], [], []]>");
  EXPECT_TF_ERROR(r.to_tensor(std::string("x")), tf::errors::InvalidArgumentError,
                  "default_value must have dtype int32");
}

TEST(Ragged, ElementwiseOpsOnFlatValues) {
  auto r = tf::ragged::constant({{1, 2}, {3}});
  EXPECT_EQ(str(r * 2), "<tf.RaggedTensor [[2, 4], [6]]>");
  EXPECT_EQ(str(r + r), "<tf.RaggedTensor [[2, 4], [6]]>");
  EXPECT_EQ(str(10 + r - 1), "<tf.RaggedTensor [[10, 11], [12]]>");
  EXPECT_EQ(str(r == tf::ragged::constant({{1, 0}, {3}})), "<tf.RaggedTensor [[True, False], [True]]>");
  EXPECT_TF_ERROR(r + tf::ragged::constant({{1}, {2, 3}}), tf::errors::InvalidArgumentError,
                  "Inputs must have identical ragged splits");
  auto sq = tf::ragged::map_flat_values([](const tf::Tensor& v) { return v * v; }, r);
  EXPECT_EQ(str(sq), "<tf.RaggedTensor [[1, 4], [9]]>");
  EXPECT_TF_ERROR(tf::ragged::map_flat_values([](const tf::Tensor&) { return tf::constant({1}); }, r),
                  tf::errors::InvalidArgumentError, "must keep the number of values (3)");
  // Row access: r[1] is the dense row [3]; out-of-range rows are errors.
  EXPECT_EQ(r[1].to_vector<int32_t>(), (std::vector<int32_t>{3}));
  EXPECT_EQ(r[-2].to_vector<int32_t>(), (std::vector<int32_t>{1, 2}));
  EXPECT_TF_ERROR(r[2], tf::errors::InvalidArgumentError, "row 2 is out of bounds for a RaggedTensor with 2 rows");
  EXPECT_TF_ERROR(r.values().ragged(), tf::errors::InvalidArgumentError, "not a RaggedTensor");
}

TEST(Ragged, FromVectorsAndStrings) {
  std::vector<std::vector<int64_t>> rows{{1}, {}, {2, 3}};
  auto r = tf::ragged::constant(rows);
  EXPECT_EQ(r.dtype(), tf::int64);
  EXPECT_EQ(r.to_list<int64_t>(), rows);
  auto s = tf::ragged::constant({{"We", "are"}, {"legion"}});
  EXPECT_EQ(str(s), "<tf.RaggedTensor [[b'We', b'are'], [b'legion']]>");
  EXPECT_EQ(str(tf::strings::length(s)), "<tf.RaggedTensor [[2, 3], [6]]>");
  EXPECT_EQ(str(tf::strings::upper(s)), "<tf.RaggedTensor [[b'WE', b'ARE'], [b'LEGION']]>");
}

TEST(Ragged, NonContiguousValuesAndEveryDtype) {
  // values = column 0 of [[1, 2], [3, 4], [5, 6]] (stride 2): rows [[1], [3, 5]].
  auto m = tf::constant({{1, 2}, {3, 4}, {5, 6}});
  auto col = tf::detail::make_view(m.storage(), tf::Shape{3}, tf::DimVector{2}, 0, tf::int32, m.device());
  auto r = tf::RaggedTensor::from_row_splits(col, tf::constant({0, 1, 3}));
  EXPECT_EQ(str(r), "<tf.RaggedTensor [[1], [3, 5]]>");
  EXPECT_EQ(r.to_tensor().to_vector<int32_t>(), (std::vector<int32_t>{1, 0, 3, 5}));
  EXPECT_EQ(r[1].to_vector<int32_t>(), (std::vector<int32_t>{3, 5}));
  for (tf::DType dt :
       {tf::float32, tf::float64, tf::float16, tf::bfloat16, tf::int8, tf::uint8, tf::int64, tf::bool_}) {
    auto x = tf::ragged::constant({{1, 0}, {}, {3}}, dt);
    EXPECT_EQ(x.dtype(), dt);
    tf::testing::expect_values(x.to_tensor(), tf::Shape{3, 2}, {1, 0, 0, 0, dt == tf::bool_ ? 1.0 : 3.0, 0});
  }
}

}  // namespace
