#include "tapeflow/nn/data/dataset.h"

#include <atomic>
#include <random>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/random.h"

namespace tapeflow::data {

namespace {
using detail::IteratorImpl;
using detail::Node;

class SlicesNode : public Node {
 public:
  explicit SlicesNode(std::vector<Tensor> t) : tensors_(std::move(t)) {}
  int64_t cardinality() const override { return tensors_[0].shape()[0]; }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::shared_ptr<const Node> keep;  // the node outlives its iterators
      const SlicesNode* node;
      int64_t i = 0;
      std::optional<Element> next() override {
        if (i >= node->cardinality()) return std::nullopt;
        Element e;
        for (const Tensor& t : node->tensors_) e.push_back(t[i]);
        ++i;
        return e;
      }
    };
    auto it = std::make_unique<It>();
    it->keep = shared_from_this();
    it->node = this;
    return it;
  }

 private:
  std::vector<Tensor> tensors_;
};

class ShuffleNode : public Node {
 public:
  ShuffleNode(std::shared_ptr<const Node> in, int64_t buffer, ShuffleOptions o) : in_(std::move(in)), buffer_(buffer), o_(o) {
    // The seed is fixed when the dataset is made (as TF draws its seeds then); passes differ by
    // their index when reshuffling.
    if (o_.seed) seed_ = uint64_t(*o_.seed);
    else if (auto s = random::get_seed(std::nullopt)) seed_ = uint64_t(s->first) * 0x9E3779B97F4A7C15ull ^ uint64_t(s->second);
    else seed_ = std::random_device{}();
  }
  int64_t cardinality() const override { return in_->cardinality(); }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::unique_ptr<IteratorImpl> in;
      std::vector<Element> buffer;
      std::size_t capacity = 0;
      bool exhausted = false;
      std::mt19937_64 rng;
      std::optional<Element> next() override {
        while (!exhausted && buffer.size() < capacity) {
          auto e = in->next();
          if (!e) exhausted = true;
          else buffer.push_back(std::move(*e));
        }
        if (buffer.empty()) return std::nullopt;
        std::size_t k = std::uniform_int_distribution<std::size_t>(0, buffer.size() - 1)(rng);
        Element out = std::move(buffer[k]);
        buffer[k] = std::move(buffer.back());
        buffer.pop_back();
        return out;
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->make_iterator();
    it->capacity = std::size_t(buffer_);
    const uint64_t pass = o_.reshuffle_each_iteration ? passes_.fetch_add(1) : 0;
    it->rng.seed(seed_ + 0x632BE59BD9B4E019ull * pass);
    return it;
  }

 private:
  std::shared_ptr<const Node> in_;
  int64_t buffer_;
  ShuffleOptions o_;
  uint64_t seed_;
  mutable std::atomic<uint64_t> passes_{0};
};

class BatchNode : public Node {
 public:
  BatchNode(std::shared_ptr<const Node> in, int64_t n, bool drop) : in_(std::move(in)), n_(n), drop_(drop) {}
  int64_t cardinality() const override {
    int64_t c = in_->cardinality();
    if (c < 0) return c;
    return drop_ ? c / n_ : (c + n_ - 1) / n_;
  }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::unique_ptr<IteratorImpl> in;
      int64_t n;
      bool drop;
      std::optional<Element> next() override {
        std::vector<Element> rows;
        while (int64_t(rows.size()) < n) {
          auto e = in->next();
          if (!e) break;
          rows.push_back(std::move(*e));
        }
        if (rows.empty() || (drop && int64_t(rows.size()) < n)) return std::nullopt;
        Element out;
        for (std::size_t c = 0; c < rows[0].size(); ++c) {
          std::vector<Tensor> parts;
          parts.reserve(rows.size());
          for (auto& r : rows) parts.push_back(r[c]);
          out.push_back(stack(parts, 0));
        }
        return out;
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->make_iterator();
    it->n = n_;
    it->drop = drop_;
    return it;
  }

 private:
  std::shared_ptr<const Node> in_;
  int64_t n_;
  bool drop_;
};

class MapNode : public Node {
 public:
  MapNode(std::shared_ptr<const Node> in, std::function<Element(const Element&)> fn) : in_(std::move(in)), fn_(std::move(fn)) {}
  int64_t cardinality() const override { return in_->cardinality(); }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::shared_ptr<const Node> keep;
      std::unique_ptr<IteratorImpl> in;
      const std::function<Element(const Element&)>* fn;
      std::optional<Element> next() override {
        auto e = in->next();
        if (!e) return std::nullopt;
        return (*fn)(*e);
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->make_iterator();
    it->keep = shared_from_this();
    it->fn = &fn_;
    return it;
  }

 private:
  std::shared_ptr<const Node> in_;
  std::function<Element(const Element&)> fn_;
};

class RepeatNode : public Node {
 public:
  RepeatNode(std::shared_ptr<const Node> in, int64_t count) : in_(std::move(in)), count_(count) {}
  int64_t cardinality() const override {
    int64_t c = in_->cardinality();
    if (count_ < 0) return c == 0 ? 0 : -1;
    return c < 0 ? c : c * count_;
  }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::shared_ptr<const Node> node;
      std::unique_ptr<IteratorImpl> in;
      int64_t remaining;  // passes left after the current one (-1: forever)
      std::optional<Element> next() override {
        while (in) {
          auto e = in->next();
          if (e) return e;
          if (remaining == 0) in.reset();
          else {
            if (remaining > 0) --remaining;
            in = node->make_iterator();
            auto first = in->next();
            if (!first) return std::nullopt;  // an empty dataset repeats to nothing
            return first;
          }
        }
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    it->node = in_;
    it->remaining = count_ < 0 ? -1 : count_ - 1;
    if (count_ != 0) it->in = in_->make_iterator();
    return it;
  }

 private:
  std::shared_ptr<const Node> in_;
  int64_t count_;
};

class TakeNode : public Node {
 public:
  TakeNode(std::shared_ptr<const Node> in, int64_t count) : in_(std::move(in)), count_(count) {}
  int64_t cardinality() const override {
    int64_t c = in_->cardinality();
    if (count_ < 0) return c;
    return c == -1 ? count_ : (c < 0 ? c : std::min(c, count_));
  }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::unique_ptr<IteratorImpl> in;
      int64_t left;
      std::optional<Element> next() override {
        if (left == 0) return std::nullopt;
        if (left > 0) --left;
        return in->next();
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->make_iterator();
    it->left = count_;
    return it;
  }

 private:
  std::shared_ptr<const Node> in_;
  int64_t count_;
};
}  // namespace

Dataset::Iterator::Iterator(std::shared_ptr<detail::IteratorImpl> impl) : impl_(std::move(impl)) {
  current_ = impl_->next();
}

Dataset::Iterator& Dataset::Iterator::operator++() {
  current_ = impl_->next();
  return *this;
}

Dataset Dataset::from_tensor_slices(std::vector<Tensor> tensors) {
  TF_CHECK_ARG(!tensors.empty(), "TensorSliceDataset", "from_tensor_slices needs at least one tensor");
  for (const Tensor& t : tensors) {
    TF_CHECK_ARG(t.ndim() >= 1, "TensorSliceDataset", "Unbatching a tensor is only supported for rank >= 1, got shape ",
                 t.shape().to_string());
    TF_CHECK_ARG(t.shape()[0] == tensors[0].shape()[0], "TensorSliceDataset", "Dimensions ", tensors[0].shape()[0],
                 " and ", t.shape()[0], " are not compatible (every tensor needs the same first dimension; shapes ",
                 tensors[0].shape().to_string(), " and ", t.shape().to_string(), ")");
  }
  return Dataset(std::make_shared<SlicesNode>(std::move(tensors)));
}

Dataset Dataset::shuffle(int64_t buffer_size, ShuffleOptions options) const {
  TF_CHECK_ARG(buffer_size > 0, "ShuffleDataset", "buffer_size must be greater than zero, got ", buffer_size);
  return Dataset(std::make_shared<ShuffleNode>(node_, buffer_size, options));
}

Dataset Dataset::batch(int64_t batch_size, bool drop_remainder) const {
  TF_CHECK_ARG(batch_size > 0, "BatchDataset", "Batch size must be greater than zero, got ", batch_size);
  return Dataset(std::make_shared<BatchNode>(node_, batch_size, drop_remainder));
}

Dataset Dataset::map(std::function<Element(const Element&)> fn) const {
  return Dataset(std::make_shared<MapNode>(node_, std::move(fn)));
}

Dataset Dataset::repeat(int64_t count) const { return Dataset(std::make_shared<RepeatNode>(node_, count)); }

Dataset Dataset::take(int64_t count) const { return Dataset(std::make_shared<TakeNode>(node_, count)); }

Dataset Dataset::prefetch(int64_t buffer_size) const {
  TF_CHECK_ARG(buffer_size > 0 || buffer_size == -1, "PrefetchDataset", "buffer_size must be positive or -1 (AUTOTUNE), got ",
               buffer_size);
  return *this;
}

}  // namespace tapeflow::data
