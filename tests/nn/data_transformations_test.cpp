// tf.data's transformations (range, zip, filter, skip, cache, unbatch, per-component map, parallel
// map, padded_batch, interleave, structured bindings) against what TF 2.21 yields: fixtures from
// tests/nn/fixtures/gen_tf_data.py.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "tests/core/test_util.h"
#include "tests/nn/fixtures/tf_data_fixtures.h"

namespace {
using tf::data::Dataset;
namespace fx = fixtures::tf_data;

/// Component k of every element, flattened one after another (as the generator writes them),
/// and the leading size of each element's first component.
struct Flat {
  std::vector<std::vector<double>> components;
  std::vector<double> sizes;
};
Flat flatten(const Dataset& ds) {
  Flat f;
  for (const auto& e : ds) {
    if (f.components.empty()) f.components.resize(e.size());
    for (std::size_t k = 0; k < e.size(); ++k) {
      auto v = tf::testing::values_as_double(e[k]);
      f.components[k].insert(f.components[k].end(), v.begin(), v.end());
    }
    f.sizes.push_back(e[0].ndim() ? double(e[0].shape()[0]) : 1.0);
  }
  return f;
}

void expect_like_tf(const Dataset& ds, std::vector<const fx::Case*> components, const fx::Case& sizes,
                    const fx::Case& cardinality) {
  Flat f = flatten(ds);
  EXPECT_EQ(f.sizes, sizes.values);
  if (sizes.values.empty()) return;
  ASSERT_EQ(f.components.size(), components.size());
  for (std::size_t k = 0; k < components.size(); ++k)
    EXPECT_EQ(f.components[k], components[k]->values) << "component " << k;
  EXPECT_EQ(ds.cardinality(), int64_t(cardinality.values[0]));
}
#define EXPECT_LIKE_TF(ds, name, ...) expect_like_tf(ds, {__VA_ARGS__}, fx::name##_sizes, fx::card_##name)

TEST(DataTransformations, RangeIsInt64AndFollowsStartStopStep) {
  EXPECT_EQ((*Dataset::range(5).begin())[0].dtype(), tf::DType::kInt64);
  EXPECT_LIKE_TF(Dataset::range(5), range_5, &fx::range_5_c0);
  EXPECT_LIKE_TF(Dataset::range(2, 10, 3), range_2_10_3, &fx::range_2_10_3_c0);
  EXPECT_LIKE_TF(Dataset::range(5, 0, -2), range_5_0_m2, &fx::range_5_0_m2_c0);
  EXPECT_LIKE_TF(Dataset::range(3, 3), range_empty, &fx::range_empty_c0);
  EXPECT_EQ(Dataset::range(3, 3).cardinality(), 0);
  tf::testing::expect_invalid_argument([] { return Dataset::range(0, 5, 0); }, "RangeDataset",
                                       "step must be a non-zero integer.");
}

TEST(DataTransformations, TakeSkipRepeatAndBatchOrder) {
  auto r = [](int n) { return Dataset::range(n); };
  EXPECT_LIKE_TF(r(5).take(-1), take_all, &fx::take_all_c0);
  EXPECT_LIKE_TF(r(3).take(10), take_more, &fx::take_more_c0);
  EXPECT_LIKE_TF(r(5).skip(2), skip_2, &fx::skip_2_c0);
  EXPECT_LIKE_TF(r(5).skip(10), skip_past_end, &fx::skip_past_end_c0);
  EXPECT_EQ(r(5).skip(10).cardinality(), 0);
  EXPECT_LIKE_TF(r(5).skip(-1), skip_all, &fx::skip_all_c0);
  EXPECT_EQ(r(5).skip(-1).cardinality(), 0);
  EXPECT_LIKE_TF(r(5).repeat(2).batch(3), repeat_then_batch, &fx::repeat_then_batch_c0);
  EXPECT_LIKE_TF(r(5).batch(3).repeat(2), batch_then_repeat, &fx::batch_then_repeat_c0);
  EXPECT_LIKE_TF(r(5).batch(2, /*drop_remainder=*/true), batch_drop_remainder, &fx::batch_drop_remainder_c0);
  EXPECT_LIKE_TF(r(3).repeat(2), repeat_twice, &fx::repeat_twice_c0);
  EXPECT_EQ(r(3).repeat().cardinality(), int64_t(fx::card_repeat_forever.values[0]));
  EXPECT_EQ(r(0).repeat().cardinality(), int64_t(fx::card_repeat_empty_forever.values[0]));
  EXPECT_EQ(r(3).repeat().take(7).cardinality(), int64_t(fx::card_take_of_forever.values[0]));
  EXPECT_EQ(r(3).repeat().skip(-1).cardinality(), int64_t(fx::card_skip_of_forever.values[0]));
  // Forever really is forever: 1000 elements of range(3) repeated, in order.
  int64_t i = 0;
  for (tf::Tensor v : r(3).repeat().take(1000)) EXPECT_EQ(v.item<int64_t>(), i++ % 3);
  EXPECT_EQ(i, 1000);
}

TEST(DataTransformations, FilterKeepsWhatThePredicateAccepts) {
  auto kept = Dataset::range(10).filter([](tf::Tensor v) { return tf::equal(v % 3, tf::constant(int64_t{0})); });
  EXPECT_LIKE_TF(kept, filter_mod3, &fx::filter_mod3_c0);
  EXPECT_EQ(Dataset::range(10).filter([](tf::Tensor v) { return v.item<int64_t>() > 2; }).cardinality(),
            int64_t(fx::card_filter.values[0]));
  // The element form, and a two-component predicate.
  auto x = tf::reshape(tf::range(0, 12), {6, 2});
  auto y = tf::constant({10, 11, 12, 13, 14, 15});
  auto ds = Dataset::from_tensor_slices({x, y});
  int n = 0;
  for (auto [a, b] : ds.filter([](tf::Tensor, tf::Tensor b) { return tf::greater(b, 12); })) {
    EXPECT_GT(b.item<int>(), 12);
    EXPECT_EQ(a.shape(), tf::Shape({2}));
    ++n;
  }
  EXPECT_EQ(n, 3);
  Dataset untyped = ds;
  auto odd = untyped.filter([](const tf::data::Element& e) { return e[1].item<int>() % 2 == 1; });
  EXPECT_EQ(flatten(odd).components[1], (std::vector<double>{11, 13, 15}));
  // TF's rule: a scalar bool tensor.
  auto bad = Dataset::range(3).filter([](tf::Tensor v) { return v; });
  EXPECT_TF_ERROR(flatten(bad), tf::errors::InvalidArgumentError,
                  "`predicate` must return a `tf.bool` scalar tensor, but its return type is TensorSpec(shape=()");
  auto not_scalar = Dataset::range(3).filter([](tf::Tensor v) { return tf::stack({v > 1, v > 2}, 0); });
  EXPECT_TF_ERROR(flatten(not_scalar), tf::errors::InvalidArgumentError, "TensorSpec(shape=(2,), dtype=tf.bool");
}

TEST(DataTransformations, MapTakesOneArgumentPerComponent) {
  auto x = tf::reshape(tf::range(0, 12), {6, 2});
  auto y = tf::constant({10, 11, 12, 13, 14, 15});
  auto swapped = Dataset::from_tensor_slices({x, y}).map([](tf::Tensor a, tf::Tensor b) {
    return std::tuple{b, a * 2};
  });
  static_assert(std::is_same_v<decltype(swapped), tf::data::DatasetOf<2>>);
  EXPECT_LIKE_TF(swapped, map_components, &fx::map_components_c0, &fx::map_components_c1);
  // One tensor in, one out; std::pair; a std::array; AUTOTUNE accepted.
  auto squares = Dataset::range(4).map([](tf::Tensor v) { return v * v; }, tf::data::AUTOTUNE);
  static_assert(std::is_same_v<decltype(squares), tf::data::DatasetOf<1>>);
  EXPECT_LIKE_TF(squares.cache(), map_cache, &fx::map_cache_c0);
  auto pair = Dataset::range(3).map([](tf::Tensor v) { return std::pair{v, v + 1}; });
  EXPECT_EQ(flatten(pair).components[1], (std::vector<double>{1, 2, 3}));
  auto three = pair.map([](tf::Tensor a, tf::Tensor b) { return std::array<tf::Tensor, 3>{a, b, a + b}; });
  EXPECT_EQ(flatten(three).components[2], (std::vector<double>{1, 3, 5}));
  // An untyped Dataset takes a per-component lambda too (its arity says how many components).
  Dataset untyped = Dataset::from_tensor_slices({x, y});
  auto sums = untyped.map([](tf::Tensor a, tf::Tensor b) { return tf::reduce_sum(a) + b; });
  EXPECT_EQ(flatten(sums).components[0], (std::vector<double>{11, 16, 21, 26, 31, 36}));
  auto wrong = untyped.map([](tf::Tensor a) { return a; });
  EXPECT_TF_ERROR(flatten(wrong), tf::errors::InvalidArgumentError, "elements have 2 components");
  EXPECT_TF_ERROR(Dataset::range(3).map([](tf::Tensor v) { return v; }, 0), tf::errors::InvalidArgumentError,
                  "num_parallel_calls must be greater than zero.");
}

TEST(DataTransformations, StructuredBindingsOverElementsAndBatches) {
  auto x = tf::reshape(tf::cast(tf::range(0, 12), tf::float32), {6, 2});
  auto y = tf::constant({0, 1, 0, 1, 0, 1});
  auto ds = Dataset::from_tensor_slices({x, y});
  int i = 0;
  for (auto [xi, yi] : ds) {
    tf::testing::expect_values(xi, {2}, {2.0 * i, 2.0 * i + 1});
    EXPECT_EQ(yi.item<int>(), i % 2);
    ++i;
  }
  EXPECT_EQ(i, 6);
  std::vector<int64_t> batch_sizes;
  for (const auto& [xb, yb] : ds.shuffle(6, {.seed = 1}).batch(4)) {
    EXPECT_EQ(xb.shape()[0], yb.shape()[0]);
    batch_sizes.push_back(xb.shape()[0]);
  }
  EXPECT_EQ(batch_sizes, (std::vector<int64_t>{4, 2}));
  // A batch still reads as a vector of components.
  for (auto& batch : ds.batch(6)) EXPECT_EQ(batch.size(), 2u);
  // Viewing an untyped dataset with the wrong arity raises when the element comes.
  Dataset untyped = ds;
  EXPECT_TF_ERROR(tf::data::DatasetOf<3>(untyped).begin(), tf::errors::InvalidArgumentError,
                  "elements have 2 components, but the function or binding takes 3");
}

TEST(DataTransformations, UnbatchSplitsEveryComponent) {
  auto x = tf::reshape(tf::range(0, 12), {6, 2});
  auto y = tf::constant({10, 11, 12, 13, 14, 15});
  auto xy = Dataset::from_tensor_slices({x, y});
  EXPECT_LIKE_TF(xy.batch(4).unbatch(), unbatch, &fx::unbatch_c0, &fx::unbatch_c1);
  EXPECT_LIKE_TF(xy.batch(4).unbatch().skip(1).take(3), batch_unbatch_skip_take, &fx::batch_unbatch_skip_take_c0,
                 &fx::batch_unbatch_skip_take_c1);
  auto mismatched = Dataset::range(1).map([](tf::Tensor) {
    return std::tuple{tf::constant({1, 2, 3}), tf::constant({1, 2})};
  });
  EXPECT_TF_ERROR(flatten(mismatched.unbatch()), tf::errors::InvalidArgumentError,
                  "components have a matching leading dimension. Encountered both 3 and 2.");
  EXPECT_TF_ERROR(flatten(Dataset::range(2).unbatch()), tf::errors::InvalidArgumentError,
                  "Cannot unbatch an input with scalar components.");
}

TEST(DataTransformations, ZipStopsAtTheShortest) {
  auto z = Dataset::zip(Dataset::range(5), Dataset::range(10, 13));
  static_assert(std::is_same_v<decltype(z), tf::data::DatasetOf<2>>);
  EXPECT_LIKE_TF(z, zip, &fx::zip_c0, &fx::zip_c1);
  EXPECT_EQ(Dataset::zip(Dataset::range(5), Dataset::range(3).repeat()).cardinality(),
            int64_t(fx::card_zip_with_forever.values[0]));
  std::vector<int64_t> sums;
  for (auto [a, b] : z) sums.push_back(a.item<int64_t>() + b.item<int64_t>());
  EXPECT_EQ(sums, (std::vector<int64_t>{10, 12, 14}));
  auto three =
      Dataset::zip({Dataset::range(2), Dataset::from_tensor_slices({tf::constant({1, 2}), tf::constant({3, 4})})});
  EXPECT_EQ(flatten(three).components.size(), 3u);
  tf::testing::expect_invalid_argument([] { return Dataset::zip(std::vector<Dataset>{}); }, "ZipDataset",
                                       "Must pass at least one dataset to `zip`.");
}

TEST(DataTransformations, CacheReplaysTheFirstCompletePass) {
  int calls = 0;
  auto ds = Dataset::range(4)
                .map([&calls](tf::Tensor v) {
                  ++calls;
                  return v * 10;
                })
                .cache();
  auto first = flatten(ds).components[0];
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(flatten(ds).components[0], first);
  EXPECT_EQ(calls, 4);  // replayed, not recomputed
  // A pass left early caches nothing.
  int partial_calls = 0;
  auto partial = Dataset::range(4)
                     .map([&partial_calls](tf::Tensor v) {
                       ++partial_calls;
                       return v;
                     })
                     .cache();
  for (auto v : partial) {
    (void)v;
    break;
  }
  EXPECT_EQ(flatten(partial).components[0], (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(partial_calls, 5);
  // Cached shuffles replay the first order (TF: shuffle after cache for a new order each epoch).
  auto shuffled = Dataset::range(20).shuffle(20, {.seed = 3}).cache();
  EXPECT_EQ(flatten(shuffled).components[0], flatten(shuffled).components[0]);
  EXPECT_TF_ERROR(Dataset::range(3).cache("/tmp/x"), tf::errors::UnimplementedError, "in-memory");
}

TEST(DataTransformations, ShuffleReshufflesEachIterationUnlessAskedNotTo) {
  auto again = Dataset::range(30).shuffle(30, {.seed = 5});
  EXPECT_NE(flatten(again).components[0], flatten(again).components[0]);
  auto fixed = Dataset::range(30).shuffle(30, {.seed = 5, .reshuffle_each_iteration = false});
  EXPECT_EQ(flatten(fixed).components[0], flatten(fixed).components[0]);
  // Shuffling then repeating reshuffles each pass: both passes are permutations of 0..29.
  auto both = flatten(Dataset::range(30).shuffle(30, {.seed = 5}).repeat(2)).components[0];
  std::vector<double> a(both.begin(), both.begin() + 30), b(both.begin() + 30, both.end());
  EXPECT_NE(a, b);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
}

TEST(DataTransformations, FromOneTensorAndAutotunePrefetch) {
  auto x = tf::constant({{1.f, 2.f}, {3.f, 4.f}, {5.f, 6.f}});
  auto rows = Dataset::from_tensor_slices(x).prefetch(tf::data::AUTOTUNE);
  static_assert(std::is_same_v<decltype(rows), tf::data::DatasetOf<1>>);
  std::vector<double> seen;
  for (tf::Tensor row : rows)
    for (float v : row.to_vector<float>()) seen.push_back(v);
  EXPECT_EQ(seen, (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(tf::data::AUTOTUNE, -1);
}

/// Element v of range(lo, hi) as the vector [v] * v (int64), as the generator makes them.
tf::data::DatasetOf<1> filled(int64_t lo, int64_t hi) {
  return Dataset::range(lo, hi).map([](tf::Tensor v) {
    const int64_t n = v.item<int64_t>();
    return tf::fill(tf::Shape{n}, n, tf::int64);
  });
}

TEST(DataTransformations, PaddedBatchPadsEachComponentToTheBatchOrTheGivenShape) {
  auto dflt = filled(1, 6).padded_batch(2);
  EXPECT_LIKE_TF(dflt, padded_batch_default, &fx::padded_batch_default_c0);
  std::vector<tf::Shape> shapes;
  for (auto& e : dflt) shapes.push_back(e[0].shape());
  EXPECT_EQ(shapes, (std::vector<tf::Shape>{{2, 2}, {2, 4}, {1, 5}}));
  auto fixed = filled(1, 6).padded_batch(2, {tf::Shape{5}}, {tf::constant(int64_t{-1})}, /*drop_remainder=*/true);
  EXPECT_LIKE_TF(fixed, padded_batch_shape_value, &fx::padded_batch_shape_value_c0);
  // Two components: (v, 2) floats padded to (None, 3) with 0.5, scalars kept, padded with 7.
  auto two = Dataset::range(1, 5)
                 .map([](tf::Tensor v) {
                   const int64_t n = v.item<int64_t>();
                   return std::tuple{tf::fill(tf::Shape{n, 2}, float(n), tf::float32), v};
                 })
                 .padded_batch(3, {tf::Shape{-1, 3}, tf::Shape{}}, {tf::constant(0.5f), tf::constant(int64_t{7})});
  EXPECT_LIKE_TF(two, padded_batch_two_components, &fx::padded_batch_two_components_c0,
                 &fx::padded_batch_two_components_c1);
  // TF's messages (its kernel's, and its Python TypeError for the dtype as InvalidArgumentError).
  EXPECT_TF_ERROR(flatten(filled(1, 6).padded_batch(2, {tf::Shape{3}})), tf::errors::DataLossError,
                  "Attempted to pad to a smaller size than the input element.");
  EXPECT_TF_ERROR(flatten(filled(1, 6).padded_batch(2, {tf::Shape{-1, -1}})), tf::errors::InvalidArgumentError,
                  "All elements in a batch must have the same rank as the padded shape for component0: expected "
                  "rank 2 but got element with rank 1");
  EXPECT_TF_ERROR(flatten(filled(1, 6).padded_batch(2, {}, {tf::constant(1.0f)})), tf::errors::InvalidArgumentError,
                  "Invalid `padding_values`. `padding_values` values type <dtype: 'float32'> does not match type "
                  "<dtype: 'int64'> of the corresponding input component.");
  tf::testing::expect_invalid_argument([] { return filled(1, 6).padded_batch(0); }, "PaddedBatchDatasetV2",
                                       "Batch size must be greater than zero.");
}

TEST(DataTransformations, InterleaveReadsCycleLengthDatasetsInTurn) {
  auto make = [](tf::Tensor v) {
    return Dataset::range(v.item<int64_t>()).map([v](tf::Tensor u) { return u + v * int64_t{10}; });
  };
  auto a = Dataset::range(1, 6).interleave(make, /*cycle_length=*/2, /*block_length=*/1);
  static_assert(std::is_same_v<decltype(a), tf::data::DatasetOf<1>>);
  EXPECT_LIKE_TF(a, interleave_2_1, &fx::interleave_2_1_c0);
  EXPECT_LIKE_TF(Dataset::range(1, 6).interleave(make, 3, 2), interleave_3_2, &fx::interleave_3_2_c0);
  // flat_map: cycle_length 1.
  auto flat = Dataset::range(1, 4).flat_map(make);
  static_assert(std::is_same_v<decltype(flat), tf::data::DatasetOf<1>>);
  EXPECT_LIKE_TF(flat, flat_map, &fx::flat_map_c0);
  // The element form; AUTOTUNE's cycle (the CPU count) still yields every element once.
  Dataset untyped = Dataset::range(1, 6);
  auto all = flatten(untyped.interleave([&](const tf::data::Element& e) -> Dataset { return make(e[0]); }));
  EXPECT_EQ(all.components[0].size(), 15u);
  auto typed = Dataset::range(1, 4).interleave([&](const tf::data::Element& e) -> Dataset { return make(e[0]); }, 2);
  EXPECT_EQ(flatten(typed).components[0].size(), 6u);
  EXPECT_LIKE_TF(Dataset::range(1, 4).flat_map([&](const tf::data::Element& e) -> Dataset { return make(e[0]); }),
                 flat_map, &fx::flat_map_c0);
  tf::testing::expect_invalid_argument([&] { return Dataset::range(3).interleave(make, 0); }, "InterleaveDataset",
                                       "cycle_length must be greater than zero.");
  tf::testing::expect_invalid_argument([&] { return Dataset::range(3).interleave(make, 2, 0); }, "InterleaveDataset",
                                       "block_length must be greater than zero.");
}

TEST(DataTransformations, ParallelInterleaveKeepsTfsDeterministicOrder) {
  auto make = [](tf::Tensor v) {
    return Dataset::range(v.item<int64_t>()).map([v](tf::Tensor u) { return u + v * int64_t{10}; });
  };
  EXPECT_LIKE_TF(Dataset::range(1, 8).interleave(make, {.cycle_length = 3, .block_length = 2, .num_parallel_calls = 3}),
                 interleave_parallel, &fx::interleave_parallel_c0);
  EXPECT_LIKE_TF(Dataset::range(1, 6).interleave(
                     make, {.cycle_length = 2, .num_parallel_calls = tf::data::AUTOTUNE, .deterministic = true}),
                 interleave_parallel_autotune, &fx::interleave_parallel_autotune_c0);
  // The open datasets are read ahead on threads other than the loop's.
  std::mutex mu;
  std::set<std::thread::id> threads;
  auto traced = Dataset::range(1, 5).interleave(
      [&](tf::Tensor v) {
        return Dataset::range(v.item<int64_t>()).map([&](tf::Tensor u) {
          std::lock_guard<std::mutex> lock(mu);
          threads.insert(std::this_thread::get_id());
          return u;
        });
      },
      {.cycle_length = 2, .num_parallel_calls = 2});
  EXPECT_EQ(flatten(traced).components[0].size(), 10u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  EXPECT_GE(threads.size(), 1u);
  tf::testing::expect_invalid_argument(
      [&] { return Dataset::range(3).interleave(make, {.cycle_length = 2, .num_parallel_calls = 0}); },
      "ParallelInterleaveDatasetV4", "num_parallel_calls must be greater than zero.");
}

TEST(DataTransformations, WindowMakesDatasetsOfElementsAsTf) {
  auto batched = [](int64_t n) { return [n](const Dataset& w) { return w.batch(n); }; };
  EXPECT_LIKE_TF(Dataset::range(7).window(3, 1, 1, true).flat_map(batched(3)), window_3_1_drop,
                 &fx::window_3_1_drop_c0);
  EXPECT_LIKE_TF(Dataset::range(10).window(4).flat_map(batched(4)), window_4, &fx::window_4_c0);
  EXPECT_LIKE_TF(Dataset::range(10).window(3, 2, 2).flat_map(batched(3)), window_3_2_stride2,
                 &fx::window_3_2_stride2_c0);
  EXPECT_LIKE_TF(Dataset::range(11).window(2, 5).flat_map(batched(2)), window_2_shift5, &fx::window_2_shift5_c0);
  // Two components: a window's elements have both (TF's zip of the component windows).
  const tf::Tensor x = tf::reshape(tf::range(0, 12, 1, tf::DType::kInt32), {6, 2});
  const tf::Tensor y = tf::constant({10, 11, 12, 13, 14, 15});
  EXPECT_LIKE_TF(Dataset::from_tensor_slices({x, y}).window(4, 3).flat_map([](auto w) { return w.batch(4); }),
                 window_xy, &fx::window_xy_c0, &fx::window_xy_c1);
  EXPECT_LIKE_TF(Dataset::range(8).window(3, 2).interleave(
                     [](const Dataset& w) { return w.map([](tf::Tensor v) { return v * int64_t{10}; }); }, 2),
                 window_interleave, &fx::window_interleave_c0);
  // Each window is a dataset of its own, iterated with range-for.
  std::vector<int64_t> sizes;
  for (const Dataset& w : Dataset::range(5).window(2)) sizes.push_back(w.cardinality());
  EXPECT_EQ(sizes, (std::vector<int64_t>{2, 2, 1}));
  // Cardinalities as TF's.
  EXPECT_EQ(Dataset::range(10).window(3, 2, 1, true).cardinality(), int64_t(fx::card_window_10_3_2_drop.values[0]));
  EXPECT_EQ(Dataset::range(10).window(3, 2).cardinality(), int64_t(fx::card_window_10_3_2.values[0]));
  EXPECT_EQ(Dataset::range(2).window(3, std::nullopt, 1, true).cardinality(),
            int64_t(fx::card_window_2_3_drop.values[0]));
  EXPECT_EQ(Dataset::range(10).window(3, 2, 3, true).cardinality(),
            int64_t(fx::card_window_10_3_2_stride3_drop.values[0]));
  EXPECT_EQ(Dataset::range(3).repeat().window(2).cardinality(), int64_t(fx::card_window_forever.values[0]));
  tf::testing::expect_invalid_argument([] { return Dataset::range(3).window(0); }, "WindowDataset",
                                       "Window size must be greater than zero, but got 0.");
  tf::testing::expect_invalid_argument([] { return Dataset::range(3).window(2, 0); }, "WindowDataset",
                                       "Window shift must be greater than zero, but got 0.");
  tf::testing::expect_invalid_argument([] { return Dataset::range(3).window(2, 1, -1); }, "WindowDataset",
                                       "Window stride must be greater than zero, but got -1.");
}

TEST(DataTransformations, ParallelMapRunsCallsAtOnceAndKeepsTheOrder) {
  EXPECT_LIKE_TF(
      Dataset::range(20).map([](tf::Tensor v) { return v * v; }, {.num_parallel_calls = 4, .deterministic = true}),
      map_parallel, &fx::map_parallel_c0);
  // Four calls really run at once: each waits until four have started (or gives up after 5 s).
  std::atomic<int> started{0}, most{0}, running{0};
  auto slow = Dataset::range(8).map(
      [&](tf::Tensor v) {
        const int now = ++running;  // before `started`: the fourth call sees all four running
        ++started;
        for (int m = most.load(); now > m && !most.compare_exchange_weak(m, now);) {}
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (started.load() < 4 && std::chrono::steady_clock::now() < deadline)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        --running;
        return v + int64_t{1};
      },
      {.num_parallel_calls = 4});
  EXPECT_EQ(flatten(slow).components[0], (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(most.load(), 4);
  // Not deterministic: every element, in whatever order the calls finish.
  auto any_order = flatten(Dataset::range(30).map([](tf::Tensor v) { return v * int64_t{2}; },
                                                  {.num_parallel_calls = 3, .deterministic = false}))
                       .components[0];
  std::sort(any_order.begin(), any_order.end());
  for (int i = 0; i < 30; ++i) EXPECT_EQ(any_order[std::size_t(i)], 2.0 * i);
  // An error raised by a call comes at its element, after the elements before it.
  std::vector<int64_t> seen;
  auto failing = Dataset::range(6).map(
      [](tf::Tensor v) {
        TF_CHECK_ARG(v.item<int64_t>() != 3, "", "element 3 is bad");
        return v;
      },
      {.num_parallel_calls = 3});
  try {
    for (tf::Tensor v : failing) seen.push_back(v.item<int64_t>());
    ADD_FAILURE() << "expected the error of element 3";
  } catch (const tf::errors::InvalidArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("element 3 is bad"), std::string::npos);
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2}));
  // Leaving a loop early stops the workers (the iterator's destructor joins them).
  for (tf::Tensor v : Dataset::range(1000).map([](tf::Tensor v) { return v; }, tf::data::AUTOTUNE)) {
    (void)v;
    break;
  }
}

}  // namespace
