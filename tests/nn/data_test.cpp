// tf::data::Dataset semantics and the Fashion-MNIST loader.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "tests/core/test_util.h"

namespace {
namespace K = tf::keras;
using tf::data::Dataset;

std::vector<int> firsts(const Dataset& ds) {
  std::vector<int> out;
  for (auto& e : ds)
    for (int v : e[0].to_vector<int>()) out.push_back(v);
  return out;
}

TEST(Dataset, FromTensorSlicesYieldsRows) {
  auto x = tf::reshape(tf::range(0, 10), {5, 2});
  auto y = tf::constant({10, 11, 12, 13, 14});
  auto ds = Dataset::from_tensor_slices({x, y});
  EXPECT_EQ(ds.cardinality(), 5);
  int i = 0;
  for (auto& e : ds) {
    ASSERT_EQ(e.size(), 2u);
    tf::testing::expect_values(e[0], {2}, {2.0 * i, 2.0 * i + 1});
    tf::testing::expect_values(e[1], {}, {10.0 + i});
    ++i;
  }
  EXPECT_EQ(i, 5);
  EXPECT_TF_ERROR(Dataset::from_tensor_slices({x, tf::constant({1, 2})}), tf::errors::InvalidArgumentError,
                  "Dimensions 5 and 2 are not compatible");
}

TEST(Dataset, BatchStacksAndKeepsOrDropsTheRemainder) {
  auto ds = Dataset::from_tensor_slices({tf::range(0, 7)});
  std::vector<tf::Shape> shapes;
  for (auto& b : ds.batch(3)) shapes.push_back(b[0].shape());
  ASSERT_EQ(shapes.size(), 3u);
  EXPECT_EQ(shapes[2], tf::Shape({1}));
  EXPECT_EQ(ds.batch(3).cardinality(), 3);
  EXPECT_EQ(ds.batch(3, /*drop_remainder=*/true).cardinality(), 2);
  EXPECT_EQ(firsts(ds.batch(3, true)), (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST(Dataset, ShuffleIsAPermutationSeededAndReshuffledEachPass) {
  auto ds = Dataset::from_tensor_slices({tf::range(0, 50)}).shuffle(50, {.seed = 7});
  auto a = firsts(ds), b = firsts(ds);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> want(50);
  for (int i = 0; i < 50; ++i) want[i] = i;
  EXPECT_EQ(sorted, want);
  EXPECT_NE(a, want);
  EXPECT_NE(a, b);  // reshuffle_each_iteration
  auto again = Dataset::from_tensor_slices({tf::range(0, 50)}).shuffle(50, {.seed = 7});
  EXPECT_EQ(firsts(again), a);  // same seed, same first pass
  auto fixed = Dataset::from_tensor_slices({tf::range(0, 50)}).shuffle(50, {.seed = 7, .reshuffle_each_iteration = false});
  EXPECT_EQ(firsts(fixed), firsts(fixed));
  // A buffer of 1 keeps the order.
  EXPECT_EQ(firsts(Dataset::from_tensor_slices({tf::range(0, 5)}).shuffle(1)), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Dataset, MapRepeatTakePrefetch) {
  auto ds = Dataset::from_tensor_slices({tf::range(0, 3)})
                .map([](const tf::data::Element& e) { return tf::data::Element{e[0] * 10}; })
                .repeat(2)
                .prefetch(2);
  EXPECT_EQ(firsts(ds), (std::vector<int>{0, 10, 20, 0, 10, 20}));
  EXPECT_EQ(ds.cardinality(), 6);
  auto forever = Dataset::from_tensor_slices({tf::range(0, 3)}).repeat();
  EXPECT_EQ(forever.cardinality(), -1);
  EXPECT_EQ(firsts(forever.take(7)), (std::vector<int>{0, 1, 2, 0, 1, 2, 0}));
  EXPECT_EQ(firsts(Dataset::from_tensor_slices({tf::range(0, 3)}).repeat(0)), std::vector<int>{});
}

TEST(Dataset, IteratorsOutliveTheirDataset) {
  auto it = Dataset::from_tensor_slices({tf::range(0, 3)}).map([](const tf::data::Element& e) { return e; }).begin();
  EXPECT_EQ((*it)[0].item<int>(), 0);
  ++it;
  EXPECT_EQ((*it)[0].item<int>(), 1);
}

TEST(Dataset, GatheredBatchesEqualStackedRows) {
  // shuffle + batch over from_tensor_slices gathers rows (Note [Row-indexed pipelines]); a map in
  // between forces the element path. Both must give the same batches in the same order.
  auto x = tf::reshape(tf::range(0, 40), {20, 2});
  auto y = tf::range(100, 120);
  auto gathered = Dataset::from_tensor_slices({x, y}).shuffle(8, {.seed = 3}).batch(6);
  auto stacked = Dataset::from_tensor_slices({x, y})
                     .map([](const tf::data::Element& e) { return e; })
                     .shuffle(8, {.seed = 3})
                     .batch(6);
  std::vector<std::vector<int>> a, b;
  for (auto& e : gathered) {
    EXPECT_EQ(e[0].shape(), tf::Shape({e[1].shape()[0], 2}));
    auto rows = e[0].to_vector<int>(), labels = e[1].to_vector<int>();
    for (std::size_t i = 0; i < labels.size(); ++i) EXPECT_EQ(rows[2 * i] / 2 + 100, labels[i]);  // rows stay paired
    a.push_back(rows);
  }
  for (auto& e : stacked) b.push_back(e[0].to_vector<int>());
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a.back().size(), 4u);  // 20 = 3 * 6 + 2 rows
  // Unshuffled batches are views of consecutive rows; take() limits the rows.
  EXPECT_EQ(firsts(Dataset::from_tensor_slices({tf::range(0, 10)}).take(5).batch(2)), (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Dataset, PrefetchRunsAheadAndPropagatesErrors) {
  auto ds = Dataset::from_tensor_slices({tf::range(0, 100)}).batch(7).prefetch(3);
  std::vector<int> want(100);
  for (int i = 0; i < 100; ++i) want[i] = i;
  EXPECT_EQ(firsts(ds), want);
  EXPECT_EQ(firsts(ds), want);  // every pass starts a fresh producer
  EXPECT_EQ(firsts(Dataset::from_tensor_slices({tf::range(0, 5)}).prefetch(-1)), (std::vector<int>{0, 1, 2, 3, 4}));
  // An error raised by the producer comes out of the loop after the elements before it.
  auto failing = Dataset::from_tensor_slices({tf::range(0, 10)})
                     .map([](const tf::data::Element& e) {
                       if (e[0].item<int>() == 4) throw tf::errors::InvalidArgumentError("bad element 4", "Map");
                       return e;
                     })
                     .prefetch(2);
  std::vector<int> seen;
  auto drain = [&] {
    for (auto& e : failing) seen.push_back(e[0].item<int>());
  };
  EXPECT_TF_ERROR(drain(), tf::errors::InvalidArgumentError, "bad element 4");
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TF_ERROR(Dataset::from_tensor_slices({tf::range(0, 3)}).prefetch(0), tf::errors::InvalidArgumentError,
                  "buffer_size must be positive");
}

TEST(Dataset, LeavingAPrefetchedLoopEarlyStopsTheProducer) {
  // An endless pipeline: destroying the iterator must stop and join the producer thread
  // (the test would hang otherwise).
  auto ds = Dataset::from_tensor_slices({tf::range(0, 4)}).repeat().prefetch(2);
  int n = 0;
  for (auto& e : ds) {
    (void)e;
    if (++n == 10) break;
  }
  EXPECT_EQ(n, 10);
  auto it = ds.begin();
  EXPECT_EQ((*it)[0].item<int>(), 0);
}

TEST(FashionMnist, LoadsOrSaysHowToInstall) {
  if (K::datasets::fashion_mnist::data_dir().empty()) {
    EXPECT_TF_ERROR(K::datasets::fashion_mnist::load_data(), tf::errors::NotFoundError,
                    "apt-get install -y dataset-fashion-mnist");
    GTEST_SKIP() << "Fashion-MNIST is not installed (apt-get install -y dataset-fashion-mnist)";
  }
  auto [train, test] = K::datasets::fashion_mnist::load_data();
  auto [x_train, y_train] = train;
  auto [x_test, y_test] = test;
  EXPECT_EQ(x_train.shape(), tf::Shape({60000, 28, 28}));
  EXPECT_EQ(x_train.dtype(), tf::uint8);
  EXPECT_EQ(y_train.shape(), tf::Shape({60000}));
  EXPECT_EQ(x_test.shape(), tf::Shape({10000, 28, 28}));
  EXPECT_EQ(y_test.shape(), tf::Shape({10000}));
  // Keras's copy: the first training labels are 9, 0, 0, 3; the classes are balanced.
  auto labels = y_train.to_vector<uint8_t>();
  EXPECT_EQ(std::vector<int>(labels.begin(), labels.begin() + 4), (std::vector<int>{9, 0, 0, 3}));
  EXPECT_EQ(std::count(labels.begin(), labels.end(), 7), 6000);
  EXPECT_EQ(tf::reduce_max(tf::cast(x_train[0], tf::int32)).item<int>(), 255);
}

TEST(FashionMnist, MissingFilesGiveNotFound) {
  const char* old = std::getenv("TAPEFLOW_DATA");
  std::string saved = old ? old : "";
  setenv("TAPEFLOW_DATA", "/nonexistent", 1);
  EXPECT_THROW(K::datasets::mnist_idx::read_idx_gz("/nonexistent/train-images-idx3-ubyte.gz"), tf::errors::NotFoundError);
  if (old) setenv("TAPEFLOW_DATA", saved.c_str(), 1);
  else unsetenv("TAPEFLOW_DATA");
}

}  // namespace
