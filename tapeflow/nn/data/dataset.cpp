#include "tapeflow/nn/data/dataset.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <random>
#include <thread>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/threading.h"
#include "tapeflow/core/ops/random.h"

namespace tapeflow::data {

namespace {
using detail::IteratorImpl;
using detail::Node;

/// Row i of each of `tensors`.
Element row_element(const std::vector<Tensor>& tensors, int64_t i) {
  Element e;
  e.reserve(tensors.size());
  for (const Tensor& t : tensors) e.push_back(t[i]);
  return e;
}

class SlicesNode : public Node {
 public:
  explicit SlicesNode(std::vector<Tensor> t) : tensors_(std::move(t)) {}
  int64_t cardinality() const override { return tensors_[0].shape()[0]; }
  const std::vector<Tensor>* row_source() const override { return &tensors_; }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::shared_ptr<const Node> keep;  // the node outlives its iterators
      const SlicesNode* node;
      int64_t i = 0;
      std::optional<int64_t> next_row() override {
        if (i >= node->cardinality()) return std::nullopt;
        return i++;
      }
      std::optional<Element> next() override {
        auto r = next_row();
        if (!r) return std::nullopt;
        return row_element(node->tensors_, *r);
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

/// Removes and returns a uniformly drawn item of `buf` (TF's shuffle buffer step).
template <typename T> std::optional<T> pick(std::vector<T>& buf, std::mt19937_64& rng) {
  if (buf.empty()) return std::nullopt;
  std::size_t k = std::uniform_int_distribution<std::size_t>(0, buf.size() - 1)(rng);
  T out = std::move(buf[k]);
  buf[k] = std::move(buf.back());
  buf.pop_back();
  return out;
}

class ShuffleNode : public Node {
 public:
  ShuffleNode(std::shared_ptr<const Node> in, int64_t buffer, ShuffleOptions o)
      : in_(std::move(in)), buffer_(buffer), o_(o) {
    // The seed is fixed when the dataset is made (as TF draws its seeds then); passes differ by
    // their index when reshuffling.
    if (o_.seed)
      seed_ = uint64_t(*o_.seed);
    else if (auto s = random::get_seed(std::nullopt))
      seed_ = uint64_t(s->first) * 0x9E3779B97F4A7C15ull ^ uint64_t(s->second);
    else
      seed_ = std::random_device{}();
  }
  int64_t cardinality() const override { return in_->cardinality(); }
  const std::vector<Tensor>* row_source() const override { return in_->row_source(); }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    // TF's algorithm over elements, or over row indices when the input is row-indexed (the
    // same draws, so both give the same order).
    struct It : IteratorImpl {
      std::unique_ptr<IteratorImpl> in;
      const std::vector<Tensor>* rows_of = nullptr;
      std::vector<Element> buffer;
      std::vector<int64_t> rows;
      std::size_t capacity = 0;
      bool exhausted = false;
      std::mt19937_64 rng;
      std::optional<int64_t> next_row() override {
        while (!exhausted && rows.size() < capacity) {
          auto r = in->next_row();
          if (!r)
            exhausted = true;
          else
            rows.push_back(*r);
        }
        return pick(rows, rng);
      }
      std::optional<Element> next() override {
        if (rows_of) {
          auto r = next_row();
          if (!r) return std::nullopt;
          return row_element(*rows_of, *r);
        }
        while (!exhausted && buffer.size() < capacity) {
          auto e = in->next();
          if (!e)
            exhausted = true;
          else
            buffer.push_back(std::move(*e));
        }
        return pick(buffer, rng);
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->make_iterator();
    it->rows_of = in_->row_source();
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
      const std::vector<Tensor>* rows_of = nullptr;
      int64_t n;
      bool drop;
      std::optional<Element> next() override {
        if (rows_of) return next_gathered();
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
      // Note [Row-indexed pipelines]: one op per component, on the component's device.
      std::optional<Element> next_gathered() {
        std::vector<int64_t> idx;
        idx.reserve(static_cast<std::size_t>(n));
        while (int64_t(idx.size()) < n) {
          auto r = in->next_row();
          if (!r) break;
          idx.push_back(*r);
        }
        if (idx.empty() || (drop && int64_t(idx.size()) < n)) return std::nullopt;
        const int64_t count = int64_t(idx.size());
        const bool consecutive =
            idx.back() - idx.front() == count - 1 &&
            std::adjacent_find(idx.begin(), idx.end(), [](int64_t a, int64_t b) { return b != a + 1; }) == idx.end();
        Tensor indices, uploaded;
        if (!consecutive) {
          indices = Tensor::empty(Shape({count}), DType::kInt64, kCPU0);
          std::copy(idx.begin(), idx.end(), indices.data<int64_t>());
        }
        Element out;
        out.reserve(rows_of->size());
        for (const Tensor& t : *rows_of) {
          if (consecutive) {
            out.push_back(t[slice(idx.front(), idx.front() + count)]);  // a view, no copy
          } else {
            // One upload of the indices per batch (kept for the next component on that
            // device), then the gather runs where t lives.
            if (t.device() != kCPU0 && (!uploaded.defined() || uploaded.device() != t.device()))
              uploaded = indices.to(t.device());
            DeviceScope on(t.device());
            out.push_back(gather(t, t.device() == kCPU0 ? indices : uploaded));
          }
        }
        return out;
      }
    };
    auto it = std::make_unique<It>();
    it->in = in_->make_iterator();
    it->rows_of = in_->row_source();
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
  MapNode(std::shared_ptr<const Node> in, std::function<Element(const Element&)> fn)
      : in_(std::move(in)), fn_(std::move(fn)) {}
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
          if (remaining == 0)
            in.reset();
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
  const std::vector<Tensor>* row_source() const override { return in_->row_source(); }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::unique_ptr<IteratorImpl> in;
      int64_t left;
      std::optional<Element> next() override {
        if (left == 0) return std::nullopt;
        if (left > 0) --left;
        return in->next();
      }
      std::optional<int64_t> next_row() override {
        if (left == 0) return std::nullopt;
        if (left > 0) --left;
        return in->next_row();
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
/// A producer thread runs the input iterator ahead into a bounded queue. The iterator's
/// destructor stops and joins it, so leaving a loop early (break, exception) ends the thread.
class PrefetchNode : public Node {
 public:
  PrefetchNode(std::shared_ptr<const Node> in, int64_t buffer) : in_(std::move(in)), buffer_(buffer) {}
  int64_t cardinality() const override { return in_->cardinality(); }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    auto it = std::make_unique<It>(in_->make_iterator(), static_cast<std::size_t>(buffer_));
    it->start();
    return it;
  }

 private:
  class It : public IteratorImpl {
   public:
    It(std::unique_ptr<IteratorImpl> in, std::size_t capacity) : in_(std::move(in)), capacity_(capacity) {}
    ~It() override {
      {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
      }
      space_.notify_all();
      if (thread_.joinable()) thread_.join();
    }
    // The producer runs the input's ops under the device scope of the thread that made the
    // iterator (DeviceScope is thread-local): `with tf.device('CPU:0')` around a loop covers
    // its prefetched batches too. Its kernels stay on its own thread: the intra-op pool
    // belongs to the training step (Note [Intra-op pool] in core/threading.cpp).
    void start() {
      thread_ = std::thread([this, scope = current_scope_device()] {
        threading::SerialKernelsScope input_pipeline_thread;
        if (!scope) return produce();
        DeviceScope on(*scope);
        produce();
      });
    }
    std::optional<Element> next() override {
      std::unique_lock<std::mutex> lock(mu_);
      ready_.wait(lock, [&] { return !queue_.empty() || done_; });
      if (queue_.empty()) {
        if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
        return std::nullopt;
      }
      Element e = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      space_.notify_one();
      return e;
    }

   private:
    void produce() {
      try {
        while (true) {
          {
            std::unique_lock<std::mutex> lock(mu_);
            space_.wait(lock, [&] { return queue_.size() < capacity_ || stop_; });
            if (stop_) break;
          }
          std::optional<Element> e = in_->next();  // outside the lock: this is the slow part
          std::lock_guard<std::mutex> lock(mu_);
          if (!e || stop_) break;
          queue_.push_back(std::move(*e));
          ready_.notify_one();
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu_);
        error_ = std::current_exception();  // raised by next() after the elements before it
      }
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      ready_.notify_all();
    }

    std::unique_ptr<IteratorImpl> in_;
    std::size_t capacity_;
    std::mutex mu_;
    std::condition_variable ready_, space_;
    std::deque<Element> queue_;
    std::exception_ptr error_;
    bool done_ = false, stop_ = false;
    std::thread thread_;
  };

  std::shared_ptr<const Node> in_;
  int64_t buffer_;
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
  TF_CHECK_ARG(buffer_size > 0 || buffer_size == -1, "PrefetchDataset",
               "buffer_size must be positive or -1 (AUTOTUNE), got ", buffer_size);
  constexpr int64_t kAutotuneBuffer = 2;  // one batch in use, one ready: enough to hide a step's input time
  return Dataset(std::make_shared<PrefetchNode>(node_, buffer_size == -1 ? kAutotuneBuffer : buffer_size));
}

}  // namespace tapeflow::data
