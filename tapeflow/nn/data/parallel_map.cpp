// Dataset::map with TF's num_parallel_calls and deterministic: the function's calls run on
// threads of the map's own, up to num_parallel_calls elements at a time.
//
// Note [Parallel map]: the calls do not run on the intra-op pool (core/threading.h). That pool
// runs one fork-join loop at a time and belongs to the training step (Note [Intra-op pool]):
// a map borrowing it would make the step's kernels run alone whenever the map holds it, and a
// pipeline under prefetch runs on a producer thread that may not use it at all. Map calls are
// independent tasks of uneven length, so each parallel map iterator starts num_parallel_calls
// workers (AUTOTUNE: the pool's size, threading::intra_op_threads()), which, like prefetch's
// producer, run their kernels on their own thread (SerialKernelsScope) under the iterating
// thread's device scope. Workers take input elements one at a time, in order (the input
// iterator is not thread-safe), and stop when num_parallel_calls results wait unread (TF's
// buffer); the reader takes results in input order, or as they come when not deterministic.
#include <algorithm>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <variant>

#include "tapeflow/core/device.h"
#include "tapeflow/core/threading.h"
#include "tapeflow/nn/data/dataset.h"

namespace tapeflow::data {

namespace {
using detail::IteratorImpl;
using detail::Node;
using MapFn = std::function<Element(const Element&)>;

class ParallelMapNode : public Node {
 public:
  ParallelMapNode(std::shared_ptr<const Node> in, MapFn fn, int threads, bool deterministic)
      : in_(std::move(in)), fn_(std::move(fn)), threads_(threads), deterministic_(deterministic) {}
  int64_t cardinality() const override { return in_->cardinality(); }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    auto it = std::make_unique<It>(shared_from_this(), in_->make_iterator(), &fn_, threads_, deterministic_);
    it->start();
    return it;
  }

 private:
  class It : public IteratorImpl {
   public:
    It(std::shared_ptr<const Node> keep, std::unique_ptr<IteratorImpl> in, const MapFn* fn, int threads,
       bool deterministic)
        : keep_(std::move(keep)), in_(std::move(in)), fn_(fn), threads_(threads), deterministic_(deterministic) {}
    ~It() override {
      {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
      }
      space_.notify_all();
      for (std::thread& t : workers_) t.join();
    }
    void start() {
      const std::optional<Device> scope = current_scope_device();
      for (int i = 0; i < threads_; ++i)
        workers_.emplace_back([this, scope] {
          threading::SerialKernelsScope own_thread;
          if (!scope) return work();
          DeviceScope on(*scope);
          work();
        });
    }
    std::optional<Element> next() override {
      std::unique_lock<std::mutex> lock(mu_);
      auto all_read = [&] { return input_done_ && read_ == end_; };
      if (deterministic_)
        ready_.wait(lock, [&] { return results_.count(read_) > 0 || all_read(); });
      else
        ready_.wait(lock, [&] { return !results_.empty() || all_read(); });
      if (results_.empty() || (deterministic_ && results_.count(read_) == 0)) return std::nullopt;
      auto node = results_.extract(deterministic_ ? results_.find(read_) : results_.begin());
      ++read_;
      lock.unlock();
      space_.notify_one();  // the one worker waiting for room holds input_mu_: the others wait on it
      if (auto* error = std::get_if<std::exception_ptr>(&node.mapped())) std::rethrow_exception(*error);
      return std::move(std::get<Element>(node.mapped()));
    }

   private:
    void work() {
      while (true) {
        // One worker takes the next input element at a time, so sequence numbers follow the input.
        std::unique_lock<std::mutex> taking(input_mu_);
        int64_t seq;
        {
          std::unique_lock<std::mutex> lock(mu_);
          space_.wait(lock, [&] { return stop_ || input_done_ || taken_ - read_ < threads_; });
          if (stop_ || input_done_) return;
          seq = taken_++;
        }
        std::optional<Element> element;
        std::exception_ptr error;
        try {
          element = in_->next();
        } catch (...) { error = std::current_exception(); }
        if (!element) {  // the input's end, or its error (raised at this position, then the end)
          std::lock_guard<std::mutex> lock(mu_);
          input_done_ = true;
          end_ = error ? seq + 1 : seq;
          if (error) results_.emplace(seq, error);
          ready_.notify_all();
          space_.notify_all();
          return;
        }
        taking.unlock();
        Result result;
        try {
          result = (*fn_)(*element);
        } catch (...) { result = std::current_exception(); }
        std::lock_guard<std::mutex> lock(mu_);
        results_.emplace(seq, std::move(result));
        // Only the reading thread waits on ready_; in order, only for the element it reads next
        // (waking it for a later one costs a context switch for nothing).
        if (!deterministic_ || seq == read_) ready_.notify_one();
      }
    }

    using Result = std::variant<Element, std::exception_ptr>;
    std::shared_ptr<const Node> keep_;  // the node (and its function) outlives its iterators
    std::unique_ptr<IteratorImpl> in_;
    const MapFn* fn_;
    const int threads_;
    const bool deterministic_;
    std::mutex input_mu_;  // held by the worker taking an input element
    std::mutex mu_;        // guards what follows
    std::condition_variable ready_, space_;
    std::map<int64_t, Result> results_;  // finished, not yet read, by input position
    int64_t taken_ = 0, read_ = 0, end_ = 0;
    bool input_done_ = false, stop_ = false;
    std::vector<std::thread> workers_;
  };

  std::shared_ptr<const Node> in_;
  MapFn fn_;
  int threads_;
  bool deterministic_;
};
}  // namespace

Dataset Dataset::map(std::function<Element(const Element&)> fn, MapOptions options) const {
  const int64_t calls = options.num_parallel_calls.value_or(1);
  TF_CHECK_ARG(calls > 0 || calls == AUTOTUNE, "ParallelMapDatasetV2", "num_parallel_calls must be greater than zero.");
  const int threads = calls == AUTOTUNE ? threading::intra_op_threads() : int(std::min<int64_t>(calls, 1024));
  if (threads <= 1 && calls != AUTOTUNE) return map(std::move(fn));
  return Dataset(std::make_shared<ParallelMapNode>(node_, std::move(fn), std::max(threads, 1),
                                                   options.deterministic.value_or(true)));
}

}  // namespace tapeflow::data
