// The tf.data transformations beyond dataset.cpp's core pipeline: range, zip, filter, skip,
// cache, unbatch, and the checks DatasetOf<N> (dataset_of.h) relies on (parallel map,
// padded_batch and interleave have files of their own). Semantics, cardinalities and messages
// are TF 2.21's.
#include <algorithm>
#include <mutex>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/nn/data/dataset.h"

namespace tapeflow::data {

namespace detail {
void check_component_count(const char* what, std::size_t got, std::size_t want) {
  TF_CHECK_ARG(got == want, "", "tf.data ", what, ": the dataset's elements have ", got,
               " components, but the function or binding takes ", want);
}

bool predicate_value(const Tensor& keep) {
  TF_CHECK_ARG(keep.dtype() == DType::kBool && keep.ndim() == 0, "",
               "Invalid `predicate`. `predicate` must return a `tf.bool` scalar tensor, but its return type is "
               "TensorSpec(shape=",
               keep.shape().to_string(), ", dtype=tf.", dtype_name(keep.dtype()), ", name=None).");
  return keep.item<bool>();
}
}  // namespace detail

namespace {
using detail::IteratorImpl;
using detail::Node;

class RangeNode : public Node {
 public:
  RangeNode(int64_t start, int64_t stop, int64_t step) : start_(start), stop_(stop), step_(step) {}
  int64_t cardinality() const override {
    // ceil((stop - start) / step) when positive, in a width that cannot overflow.
    const __int128 span = step_ > 0 ? __int128(stop_) - start_ : __int128(start_) - stop_;
    const __int128 step = step_ > 0 ? step_ : -__int128(step_);
    return span <= 0 ? 0 : int64_t((span + step - 1) / step);
  }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      int64_t left, value, step;
      std::optional<Element> next() override {
        if (left == 0) return std::nullopt;
        --left;
        Tensor t = Tensor::empty(Shape({}), DType::kInt64, kCPU0);
        *t.data<int64_t>() = value;
        value += step;  // the last step may pass stop; it is never read
        return Element{t};
      }
    };
    auto it = std::make_unique<It>();
    it->left = cardinality();
    it->value = start_;
    it->step = step_;
    return it;
  }

 private:
  int64_t start_, stop_, step_;
};

class ZipNode : public Node {
 public:
  explicit ZipNode(std::vector<std::shared_ptr<const Node>> in) : in_(std::move(in)) {}
  int64_t cardinality() const override {  // TF: unknown if any is, else the shortest finite one
    int64_t out = -1;
    for (const auto& n : in_) {
      const int64_t c = n->cardinality();
      if (c == -2) return -2;
      if (c >= 0) out = out < 0 ? c : std::min(out, c);
    }
    return out;
  }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::vector<std::unique_ptr<IteratorImpl>> in;
      std::optional<Element> next() override {
        Element out;
        for (auto& i : in) {
          auto e = i->next();
          if (!e) return std::nullopt;
          out.insert(out.end(), std::make_move_iterator(e->begin()), std::make_move_iterator(e->end()));
        }
        return out;
      }
    };
    auto it = std::make_unique<It>();
    for (const auto& n : in_) it->in.push_back(n->make_iterator());
    return it;
  }

 private:
  std::vector<std::shared_ptr<const Node>> in_;
};

class FilterNode : public Node {
 public:
  FilterNode(std::shared_ptr<const Node> in, std::function<bool(const Element&)> keep)
      : in_(std::move(in)), keep_(std::move(keep)) {}
  int64_t cardinality() const override { return in_->cardinality() == 0 ? 0 : -2; }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::shared_ptr<const Node> keep_alive;
      std::unique_ptr<IteratorImpl> in;
      const std::function<bool(const Element&)>* keep;
      std::optional<Element> next() override {
        while (auto e = in->next())
          if ((*keep)(*e)) return e;
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    it->keep_alive = shared_from_this();
    it->in = in_->make_iterator();
    it->keep = &keep_;
    return it;
  }

 private:
  std::shared_ptr<const Node> in_;
  std::function<bool(const Element&)> keep_;
};

class SkipNode : public Node {
 public:
  SkipNode(std::shared_ptr<const Node> in, int64_t count) : in_(std::move(in)), count_(count) {}
  int64_t cardinality() const override {  // TF: an infinite input stays infinite, even skip(-1)
    const int64_t c = in_->cardinality();
    if (c < 0) return c;
    return count_ < 0 ? 0 : std::max<int64_t>(0, c - count_);
  }
  const std::vector<Tensor>* row_source() const override { return in_->row_source(); }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::unique_ptr<IteratorImpl> in;
      int64_t to_skip;  // -1: everything
      std::optional<Element> next() override {
        for (; to_skip != 0; to_skip = to_skip > 0 ? to_skip - 1 : -1)
          if (!in->next()) {
            to_skip = 0;
            return std::nullopt;
          }
        return in->next();
      }
      std::optional<int64_t> next_row() override {
        for (; to_skip != 0; to_skip = to_skip > 0 ? to_skip - 1 : -1)
          if (!in->next_row()) {
            to_skip = 0;
            return std::nullopt;
          }
        return in->next_row();
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->make_iterator();
    it->to_skip = count_;
    return it;
  }

 private:
  std::shared_ptr<const Node> in_;
  int64_t count_;
};

/// The first pass that reaches the end fills the cache; later passes replay it. A pass left
/// early caches nothing (TF discards a partial cache too), and passes running at the same time
/// each read the input.
class CacheNode : public Node {
 public:
  explicit CacheNode(std::shared_ptr<const Node> in) : in_(std::move(in)) {}
  int64_t cardinality() const override { return in_->cardinality(); }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    std::shared_ptr<const std::vector<Element>> cached;
    {
      std::lock_guard<std::mutex> lock(mu_);
      cached = cached_;
    }
    if (cached) {
      struct Replay : IteratorImpl {
        std::shared_ptr<const std::vector<Element>> elements;
        std::size_t i = 0;
        std::optional<Element> next() override {
          if (i == elements->size()) return std::nullopt;
          return (*elements)[i++];
        }
      };
      auto it = std::make_unique<Replay>();
      it->elements = std::move(cached);
      return it;
    }
    struct Fill : IteratorImpl {
      std::shared_ptr<const CacheNode> node;
      std::unique_ptr<IteratorImpl> in;
      std::vector<Element> seen;
      bool done = false;
      std::optional<Element> next() override {
        if (done) return std::nullopt;
        auto e = in->next();
        if (e) {
          seen.push_back(*e);
          return e;
        }
        done = true;
        std::lock_guard<std::mutex> lock(node->mu_);
        if (!node->cached_) node->cached_ = std::make_shared<const std::vector<Element>>(std::move(seen));
        return std::nullopt;
      }
    };
    auto it = std::make_unique<Fill>();
    it->node = std::static_pointer_cast<const CacheNode>(shared_from_this());
    it->in = in_->make_iterator();
    return it;
  }

 private:
  std::shared_ptr<const Node> in_;
  mutable std::mutex mu_;
  mutable std::shared_ptr<const std::vector<Element>> cached_;
};

class UnbatchNode : public Node {
 public:
  explicit UnbatchNode(std::shared_ptr<const Node> in) : in_(std::move(in)) {}
  int64_t cardinality() const override { return in_->cardinality() == -1 ? -1 : -2; }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::unique_ptr<IteratorImpl> in;
      Element batch;
      int64_t row = 0, rows = 0;
      std::optional<Element> next() override {
        while (row == rows) {
          auto e = in->next();
          if (!e) return std::nullopt;
          batch = std::move(*e);
          row = 0;
          rows = leading_dimension(batch);
        }
        Element out;
        out.reserve(batch.size());
        for (const Tensor& t : batch) out.push_back(t[row]);
        ++row;
        return out;
      }
      static int64_t leading_dimension(const Element& e) {
        for (const Tensor& t : e) {
          TF_CHECK_ARG(t.ndim() >= 1, "", "Cannot unbatch an input with scalar components.");
          TF_CHECK_ARG(t.shape()[0] == e[0].shape()[0], "",
                       "`unbatch()` is only supported for datasets of elements whose components have a matching "
                       "leading dimension. Encountered both ",
                       e[0].shape()[0], " and ", t.shape()[0], ".");
        }
        return e.empty() ? 0 : e[0].shape()[0];
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->make_iterator();
    return it;
  }

 private:
  std::shared_ptr<const Node> in_;
};
}  // namespace

DatasetOf<1> Dataset::from_tensor_slices(const Tensor& tensor) {
  return DatasetOf<1>(from_tensor_slices(std::vector<Tensor>{tensor}));
}

DatasetOf<1> Dataset::range(int64_t stop) { return range(0, stop, 1); }

DatasetOf<1> Dataset::range(int64_t start, int64_t stop, int64_t step) {
  TF_CHECK_ARG(step != 0, "RangeDataset", "step must be a non-zero integer.");
  return DatasetOf<1>(Dataset(std::make_shared<RangeNode>(start, stop, step)));
}

Dataset Dataset::zip(std::vector<Dataset> datasets) {
  TF_CHECK_ARG(!datasets.empty(), "ZipDataset", "Must pass at least one dataset to `zip`.");
  std::vector<std::shared_ptr<const Node>> nodes;
  for (const Dataset& d : datasets) nodes.push_back(d.node_);
  return Dataset(std::make_shared<ZipNode>(std::move(nodes)));
}

Dataset Dataset::map(std::function<Element(const Element&)> fn, int64_t num_parallel_calls) const {
  return map(std::move(fn), MapOptions{.num_parallel_calls = num_parallel_calls});
}

Dataset Dataset::filter_by(std::function<bool(const Element&)> keep) const {
  return Dataset(std::make_shared<FilterNode>(node_, std::move(keep)));
}

Dataset Dataset::skip(int64_t count) const { return Dataset(std::make_shared<SkipNode>(node_, count)); }

Dataset Dataset::cache(const std::string& filename) const {
  TF_CHECK_TYPED(filename.empty(), UnimplementedError, "CacheDatasetV2",
                 "cache(filename): only the in-memory cache (no filename) is supported");
  return Dataset(std::make_shared<CacheNode>(node_));
}

Dataset Dataset::unbatch() const { return Dataset(std::make_shared<UnbatchNode>(node_)); }

}  // namespace tapeflow::data
