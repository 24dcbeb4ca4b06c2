// tf::data::Dataset: an input pipeline (from_tensor_slices, shuffle, batch, map, repeat, take,
// prefetch) iterated with range-for; each element is a std::vector<Tensor> (one per component).
// A Dataset is an immutable description; every iteration (for loop) starts a fresh pass.
// DatasetOf<N> (dataset_of.h) knows its component count: `for (auto [x, y] : ds)`, per-component
// map/filter; the transformations added for it (filter, skip, cache, unbatch, zip, range) live in
// transformations.cpp, parallel map, padded_batch and interleave in files of their own.
// Note [Row-indexed pipelines]: from_tensor_slices, and shuffle/take over it, can hand out row
// indices instead of elements, so batch gathers a whole batch with one op per component on the
// tensors' own device (a GPU-resident dataset batches on the GPU, no host round trip) instead
// of slicing and stacking one element at a time.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <string>
#include <vector>

#include "tapeflow/core/shape.h"
#include "tapeflow/core/tensor.h"

namespace tapeflow::data {

using Element = std::vector<Tensor>;
class Dataset;

namespace detail {
/// One pass over a dataset.
class IteratorImpl {
 public:
  virtual ~IteratorImpl() = default;
  virtual std::optional<Element> next() = 0;
  /// The row of the next element, for iterators of a row-indexed node (Note [Row-indexed
  /// pipelines]); an element is then row i of the node's row_source() tensors.
  virtual std::optional<int64_t> next_row() { return std::nullopt; }
};
/// A pipeline stage: makes iterators over its elements.
class Node : public std::enable_shared_from_this<Node> {
 public:
  virtual ~Node() = default;
  virtual std::unique_ptr<IteratorImpl> make_iterator() const = 0;
  /// The number of elements, or -1 (infinite) / -2 (unknown), as tf.data.experimental.cardinality.
  virtual int64_t cardinality() const = 0;
  /// The tensors whose rows this node yields, when its iterators implement next_row(); else null.
  virtual const std::vector<Tensor>* row_source() const { return nullptr; }
};
/// One pass over a dataset of datasets: the datasets an interleave reads (interleave.cpp).
class DatasetsIterator {
 public:
  virtual ~DatasetsIterator() = default;
  virtual std::optional<Dataset> next() = 0;
};
}  // namespace detail

/// tf.data.AUTOTUNE: prefetch's and map's num_parallel_calls value that lets the runtime choose.
inline constexpr int64_t AUTOTUNE = -1;

template <std::size_t N> class DatasetOf;

/// map's keywords after the function, in TF's order: map(map_func, num_parallel_calls, deterministic).
struct MapOptions {
  /// How many elements are computed at the same time, each by a call of the function on one of
  /// the map's own threads (> 0, or AUTOTUNE: as many as the intra-op pool has); unset or 1: one
  /// at a time on the thread that iterates. The function must then be safe to call from several
  /// threads at once (each call its own tensors; shared state behind a lock).
  std::optional<int64_t> num_parallel_calls = std::nullopt;
  /// Elements in the input's order (unset: true, TF's default), or as soon as each is ready.
  std::optional<bool> deterministic = std::nullopt;
};

/// interleave's keywords after the function, in TF's order: interleave(map_func, cycle_length,
/// block_length, num_parallel_calls, deterministic).
struct InterleaveOptions {
  int64_t cycle_length = AUTOTUNE;  // > 0, or AUTOTUNE: the number of CPUs, as TF
  int64_t block_length = 1;         // > 0
  /// Unset or 1: the datasets are read on the iterating thread. > 1 or AUTOTUNE: each open
  /// dataset of the cycle is read ahead (its next block_length elements) by a thread of its own,
  /// as prefetch does; the order stays the sequential one (TF's deterministic order).
  std::optional<int64_t> num_parallel_calls = std::nullopt;
  /// TF's default (unset) is true. false allows any order; Tapeflow keeps the sequential one.
  std::optional<bool> deterministic = std::nullopt;
};

class WindowDataset;

struct ShuffleOptions {
  std::optional<int64_t> seed;  // unset: from tf::random's global seed when set, else nondeterministic
  bool reshuffle_each_iteration = true;
};

class Dataset {
 public:
  /// Iteration with range-for: `for (auto& batch : ds) { auto xb = batch[0]; }`.
  class Iterator {
   public:
    Iterator() = default;
    explicit Iterator(std::shared_ptr<detail::IteratorImpl> impl);
    const Element& operator*() const { return *current_; }
    Element& operator*() { return *current_; }
    Iterator& operator++();
    bool operator!=(const Iterator& other) const { return current_.has_value() != other.current_.has_value(); }
    bool operator==(const Iterator& other) const { return !(*this != other); }

   private:
    std::shared_ptr<detail::IteratorImpl> impl_;
    std::optional<Element> current_;
  };

  /// Slices each tensor along its first axis; all need the same first dimension.
  /// `Dataset::from_tensor_slices({x, y})` yields {x[i], y[i]}.
  static Dataset from_tensor_slices(std::vector<Tensor> tensors);
  /// `Dataset::from_tensor_slices({x, y})` knows it has two components (DatasetOf<2>).
  template <std::size_t N> static DatasetOf<N> from_tensor_slices(const Tensor (&tensors)[N]);
  /// One tensor's rows: `Dataset::from_tensor_slices(x)`.
  static DatasetOf<1> from_tensor_slices(const Tensor& tensor);
  /// The int64 scalars start, start + step, ... before stop (TF's range; step may be negative,
  /// not 0): `Dataset::range(5)` yields 0..4.
  static DatasetOf<1> range(int64_t stop);
  static DatasetOf<1> range(int64_t start, int64_t stop, int64_t step = 1);
  /// Elements made of the datasets' elements side by side (their components concatenated),
  /// until the shortest ends: `Dataset::zip(xs, ys)` yields {x, y}.
  static Dataset zip(std::vector<Dataset> datasets);
  template <std::size_t... Ns> static DatasetOf<(Ns + ...)> zip(const DatasetOf<Ns>&... datasets);

  /// Fills a buffer of buffer_size elements and yields a random one of it each step (TF's
  /// algorithm; buffer_size >= the dataset's size gives a uniform shuffle). The random stream
  /// is std::mt19937_64, not TF's, so orders differ from TF's for the same seed.
  Dataset shuffle(int64_t buffer_size, ShuffleOptions options = {}) const;
  /// Stacks runs of batch_size elements (the last one smaller unless drop_remainder).
  Dataset batch(int64_t batch_size, bool drop_remainder = false) const;
  /// Stacks runs of batch_size elements, each component padded to a common shape first (TF's
  /// padded_batch): padded_shapes gives one shape per component, -1 (None) for a dimension padded
  /// to the batch's longest; left empty, every dimension is. padding_values (one scalar per
  /// component, of its dtype) default to 0 / false. (padded_batch.cpp)
  ///   `ds.padded_batch(2, {tf::Shape{-1}, tf::Shape{}})`
  Dataset padded_batch(int64_t batch_size, std::vector<Shape> padded_shapes = {},
                       std::vector<Tensor> padding_values = {}, bool drop_remainder = false) const;
  /// TF's interleave: fn maps each element to a dataset; cycle_length of them are read in turn,
  /// block_length elements at a time, a finished one replaced by the next element's dataset
  /// (AUTOTUNE: the number of CPUs, as TF). Cardinality unknown (-2). (interleave.cpp)
  ///   `Dataset::range(3).interleave([](tf::Tensor v) { return Dataset::range(4).map(...); }, 2, 1)`
  Dataset interleave(std::function<Dataset(const Element&)> fn, int64_t cycle_length = AUTOTUNE,
                     int64_t block_length = 1) const;
  /// interleave with TF's keywords: `ds.interleave(f, {.cycle_length = 4, .num_parallel_calls = tf::data::AUTOTUNE})`.
  Dataset interleave(std::function<Dataset(const Element&)> fn, InterleaveOptions options) const;
  /// interleave with one argument per component (a lambda that is not generic).
  template <typename F>
    requires(!std::is_invocable_v<F&, const Element&>)
  auto interleave(F fn, int64_t cycle_length = AUTOTUNE, int64_t block_length = 1) const;
  template <typename F>
    requires(!std::is_invocable_v<F&, const Element&>)
  auto interleave(F fn, InterleaveOptions options) const;
  /// TF's flat_map: the datasets fn makes of the elements, one after another (interleave with
  /// cycle_length 1): `Dataset::range(1, 4).flat_map([](tf::Tensor v) { return ...; })`.
  Dataset flat_map(std::function<Dataset(const Element&)> fn) const { return interleave(std::move(fn), 1, 1); }
  template <typename F>
    requires(!std::is_invocable_v<F&, const Element&>)
  auto flat_map(F fn) const {
    return interleave(std::move(fn), 1, 1);
  }
  /// Applies fn to each element.
  Dataset map(std::function<Element(const Element&)> fn) const;
  /// map with TF's num_parallel_calls (> 0, or AUTOTUNE): `ds.map(f, tf::data::AUTOTUNE)`.
  Dataset map(std::function<Element(const Element&)> fn, int64_t num_parallel_calls) const;
  /// map with TF's keywords: `ds.map(f, {.num_parallel_calls = 4, .deterministic = true})`. In
  /// parallel, function calls run on the map's own threads (Note [Parallel map] in
  /// parallel_map.cpp), under the iterating thread's device scope, at most num_parallel_calls
  /// elements ahead; an error raised by a call is raised by the loop at that element.
  Dataset map(std::function<Element(const Element&)> fn, MapOptions options) const;
  /// map with one argument per component (a lambda that is not generic):
  /// `ds.map([](tf::Tensor x, tf::Tensor y) { return std::tuple{x * 2, y}; })` (dataset_of.h).
  template <typename F>
    requires(!std::is_invocable_v<F&, const Element&>)
  auto map(F fn, MapOptions options = {}) const;
  template <typename F>
    requires(!std::is_invocable_v<F&, const Element&>)
  auto map(F fn, int64_t num_parallel_calls) const {
    return map(std::move(fn), MapOptions{.num_parallel_calls = num_parallel_calls});
  }
  /// Keeps the elements whose predicate is true; the predicate takes the Element or one argument
  /// per component and returns a scalar bool Tensor (TF's rule) or a bool (dataset_of.h).
  template <typename F> Dataset filter(F fn) const;
  /// Skips the first count elements (-1: all of them).
  Dataset skip(int64_t count) const;
  /// Keeps the elements of the first complete pass in memory and replays them in later passes
  /// (a pass left early caches nothing). A filename (TF's file cache) is UnimplementedError.
  Dataset cache(const std::string& filename = "") const;
  /// Splits each element along its first axis into elements (every component the same length).
  Dataset unbatch() const;
  /// Repeats the dataset count times (-1: forever).
  Dataset repeat(int64_t count = -1) const;
  /// The first count elements.
  Dataset take(int64_t count) const;
  /// Prepares up to buffer_size elements ahead on a background thread (-1, AUTOTUNE: 2), so
  /// the input pipeline overlaps the training step. An error raised while producing an
  /// element is raised by the loop at that element; leaving the loop early stops the thread.
  /// The producer thread has no DeviceScope and no tape of the loop's thread.
  Dataset prefetch(int64_t buffer_size) const;
  /// TF's window: a dataset of windows, each a Dataset of `size` consecutive elements (every
  /// `stride`-th one), a new window every `shift` elements (unset: size); the last windows are
  /// shorter unless drop_remainder. A window's elements have all the components (TF's tuple of
  /// component windows, zipped). The usual use batches each window back into one element:
  ///   `ds.window(5, 1, 1, true).flat_map([](const tf::data::Dataset& w) { return w.batch(5); })`
  /// (window.cpp)
  WindowDataset window(int64_t size, std::optional<int64_t> shift = std::nullopt, int64_t stride = 1,
                       bool drop_remainder = false) const;
  int64_t cardinality() const { return node_->cardinality(); }
  Iterator begin() const { return Iterator(node_->make_iterator()); }
  Iterator end() const { return Iterator(); }

 protected:
  Dataset filter_by(std::function<bool(const Element&)> keep) const;

 private:
  explicit Dataset(std::shared_ptr<const detail::Node> node) : node_(std::move(node)) {}
  friend class WindowDataset;
  /// A dataset of these elements, in memory (a window's).
  static Dataset from_elements(std::vector<Element> elements);
  /// The interleave of the datasets `source` makes at each pass (interleave.cpp).
  static Dataset interleave_datasets(std::function<std::unique_ptr<detail::DatasetsIterator>()> source,
                                     InterleaveOptions options);
  std::shared_ptr<const detail::Node> node_;
};

/// What Dataset::window makes: a dataset whose elements are datasets (the windows), iterated
/// with range-for (`for (const tf::data::Dataset& w : windows)`) or flattened back by flat_map or
/// interleave. Cardinality as TF's (-1 infinite, -2 unknown).
class WindowDataset {
 public:
  class Iterator {
   public:
    Iterator() = default;
    explicit Iterator(std::shared_ptr<detail::DatasetsIterator> impl);
    const Dataset& operator*() const { return *current_; }
    Iterator& operator++();
    bool operator!=(const Iterator& other) const { return current_.has_value() != other.current_.has_value(); }
    bool operator==(const Iterator& other) const { return !(*this != other); }

   private:
    std::shared_ptr<detail::DatasetsIterator> impl_;
    std::optional<Dataset> current_;
  };

  /// The datasets fn makes of the windows, one after another.
  Dataset flat_map(std::function<Dataset(const Dataset&)> fn) const;
  /// TF's interleave over the windows (see InterleaveOptions).
  Dataset interleave(std::function<Dataset(const Dataset&)> fn, InterleaveOptions options = {}) const;
  Dataset interleave(std::function<Dataset(const Dataset&)> fn, int64_t cycle_length, int64_t block_length = 1) const;
  int64_t cardinality() const;
  Iterator begin() const;
  Iterator end() const { return Iterator(); }

 private:
  friend class Dataset;
  WindowDataset(std::shared_ptr<const detail::Node> in, int64_t size, int64_t shift, int64_t stride,
                bool drop_remainder);
  std::unique_ptr<detail::DatasetsIterator> windows() const;
  std::shared_ptr<const detail::Node> in_;
  int64_t size_, shift_, stride_;
  bool drop_remainder_;
};

}  // namespace tapeflow::data

#include "tapeflow/nn/data/dataset_of.h"  // IWYU pragma: export
