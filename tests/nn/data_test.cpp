// tf::data::Dataset semantics and the Fashion-MNIST loader.
#include <gtest/gtest.h>

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>

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
  auto fixed =
      Dataset::from_tensor_slices({tf::range(0, 50)}).shuffle(50, {.seed = 7, .reshuffle_each_iteration = false});
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
  EXPECT_EQ(firsts(Dataset::from_tensor_slices({tf::range(0, 10)}).take(5).batch(2)),
            (std::vector<int>{0, 1, 2, 3, 4}));
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

TEST(Dataset, PrefetchProducerRunsUnderTheCallersDeviceScope) {
  std::optional<tf::Device> seen;
  auto ds = Dataset::from_tensor_slices({tf::range(0, 3)})
                .map([&](const tf::data::Element& e) {
                  seen = tf::current_scope_device();
                  return e;
                })
                .prefetch(1);
  {
    tf::DeviceScope on("GPU:0");  // nothing runs here on the GPU: the map only records its scope
    for (auto& e : ds) (void)e;   // the iterator (and its producer thread) ends with the loop
  }
  EXPECT_EQ(seen, tf::kGPU0);
}

/// Writes a gzip'ed IDX file: magic 00 00 08 <rank>, the big-endian sizes, then `data`.
std::string write_idx_gz(const std::string& name, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data,
                         unsigned char type = 0x08) {
  const std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::vector<uint8_t> bytes = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift : {24, 16, 8, 0}) bytes.push_back(static_cast<uint8_t>(d >> shift));
  bytes.insert(bytes.end(), data.begin(), data.end());
  gzFile f = gzopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  EXPECT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), int(bytes.size()));
  gzclose(f);
  return path;
}

TEST(FashionMnist, ReadsAnIdxFile) {
  const std::string path = write_idx_gz("tapeflow_idx_ok.gz", {2, 2, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 255});
  auto t = K::datasets::mnist_idx::read_idx_gz(path);
  EXPECT_EQ(t.dtype(), tf::uint8);
  tf::testing::expect_values(t, {2, 2, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 250, 255});
  std::filesystem::remove(path);
}

TEST(FashionMnist, HeaderClaimingMoreThanTheDataIsRejectedBeforeAllocating) {
  // 2^31 - 1 images of 28x28 (1.7 TB) claimed, 100 bytes present: a typed error naming the
  // file, not std::bad_alloc (the reader grows its buffer with the data it actually reads).
  const std::string path = write_idx_gz("tapeflow_idx_huge.gz", {0x7fffffffu, 28, 28}, std::vector<uint8_t>(100, 7));
  EXPECT_TF_ERROR(K::datasets::mnist_idx::read_idx_gz(path), tf::errors::InvalidArgumentError,
                  path +
                      ": the IDX header claims 2147483647 x 28 x 28 = 1683627179248 bytes of data but the file "
                      "holds 100");
  // Four sizes of 2^32 - 1: their product overflows 64 bits.
  const std::string overflow = write_idx_gz("tapeflow_idx_overflow.gz", {~0u, ~0u, ~0u, ~0u}, {1, 2, 3});
  EXPECT_TF_ERROR(K::datasets::mnist_idx::read_idx_gz(overflow), tf::errors::InvalidArgumentError,
                  overflow + ": the IDX header claims");
  // A truncated header and a wrong type byte.
  const std::string bad_type = write_idx_gz("tapeflow_idx_type.gz", {1}, {1}, 0x0D);
  EXPECT_TF_ERROR(K::datasets::mnist_idx::read_idx_gz(bad_type), tf::errors::InvalidArgumentError,
                  bad_type + " is not an unsigned-byte IDX file");
  const std::string path_short = (std::filesystem::temp_directory_path() / "tapeflow_idx_short.gz").string();
  gzFile f = gzopen(path_short.c_str(), "wb");
  gzwrite(f, "\0\0\x08\x03\0\0", 6);
  gzclose(f);
  EXPECT_TF_ERROR(K::datasets::mnist_idx::read_idx_gz(path_short), tf::errors::OutOfRangeError,
                  "Truncated IDX file " + path_short);
  for (const auto& p : {path, overflow, bad_type, path_short}) std::filesystem::remove(p);
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
  EXPECT_THROW(K::datasets::mnist_idx::read_idx_gz("/nonexistent/train-images-idx3-ubyte.gz"),
               tf::errors::NotFoundError);
  if (old)
    setenv("TAPEFLOW_DATA", saved.c_str(), 1);
  else
    unsetenv("TAPEFLOW_DATA");
}

}  // namespace
