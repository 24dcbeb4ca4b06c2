// Dataset::interleave: TF's InterleaveDataset (the deterministic, sequential one), reading the
// datasets a function makes of the input's elements (or window's windows) in turn,
// block_length elements at a time. With num_parallel_calls each open dataset is read ahead by a
// prefetch thread of its own; the order is the sequential one, which is also TF's
// ParallelInterleaveDataset's deterministic order.
#include "tapeflow/core/threading.h"
#include "tapeflow/nn/data/dataset.h"

namespace tapeflow::data {

namespace {
using detail::DatasetsIterator;
using detail::IteratorImpl;
using detail::Node;
using InterleaveFn = std::function<Dataset(const Element&)>;
using DatasetsSource = std::function<std::unique_ptr<DatasetsIterator>()>;

// The datasets fn makes of the elements of one pass over `in`.
class MappedDatasets : public DatasetsIterator {
 public:
  MappedDatasets(std::shared_ptr<const Node> in, std::shared_ptr<const InterleaveFn> fn)
      : keep_(std::move(in)), in_(keep_->make_iterator()), fn_(std::move(fn)) {}
  std::optional<Dataset> next() override {
    auto args = in_->next();
    if (!args) return std::nullopt;
    return (*fn_)(*args);
  }

 private:
  std::shared_ptr<const Node> keep_;
  std::unique_ptr<IteratorImpl> in_;
  std::shared_ptr<const InterleaveFn> fn_;
};

class InterleaveNode : public Node {
 public:
  InterleaveNode(DatasetsSource source, int64_t cycle, int64_t block, bool read_ahead)
      : source_(std::move(source)), cycle_(cycle), block_(block), read_ahead_(read_ahead) {}
  int64_t cardinality() const override { return -2; }  // TF: unknown, whatever the input
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    // TF's InterleaveDatasetOp::Dataset::Iterator::GetNextInternal, step for step.
    struct It : IteratorImpl {
      std::shared_ptr<const Node> keep;
      std::unique_ptr<DatasetsIterator> in;
      int64_t block_length = 1;
      bool read_ahead = false;
      std::vector<std::optional<Dataset>> datasets;  // the open datasets of the cycle
      std::vector<std::optional<Dataset::Iterator>> current;
      std::size_t cycle_index = 0;
      int64_t block_index = 0, open = 0;
      bool end_of_input = false;

      void advance_to_next_in_cycle() {
        block_index = 0;
        cycle_index = (cycle_index + 1) % current.size();
      }
      std::optional<Element> next() override {
        while (!end_of_input || open > 0) {
          auto& slot = current[cycle_index];
          if (slot) {
            if (*slot != Dataset::Iterator()) {
              Element e = std::move(**slot);
              ++*slot;
              if (++block_index == block_length) advance_to_next_in_cycle();
              return e;
            }
            slot.reset();  // this element's dataset is done: on to the next in the cycle
            datasets[cycle_index].reset();
            --open;
            advance_to_next_in_cycle();
          } else if (!end_of_input) {
            auto dataset = in->next();
            if (!dataset) {
              end_of_input = true;
            } else {
              datasets[cycle_index] = read_ahead ? dataset->prefetch(block_length) : std::move(*dataset);
              slot = datasets[cycle_index]->begin();
              ++open;
            }
          } else {
            advance_to_next_in_cycle();
          }
        }
        return std::nullopt;
      }
    };
    auto it = std::make_unique<It>();
    it->keep = shared_from_this();
    it->in = source_();
    it->block_length = block_;
    it->read_ahead = read_ahead_;
    it->datasets.resize(std::size_t(cycle_));
    it->current.resize(std::size_t(cycle_));
    return it;
  }

 private:
  DatasetsSource source_;
  int64_t cycle_, block_;
  bool read_ahead_;
};
}  // namespace

Dataset Dataset::interleave_datasets(DatasetsSource source, InterleaveOptions options) {
  const char* op = options.num_parallel_calls ? "ParallelInterleaveDatasetV4" : "InterleaveDataset";
  TF_CHECK_ARG(options.cycle_length > 0 || options.cycle_length == AUTOTUNE, op,
               "cycle_length must be greater than zero.");
  TF_CHECK_ARG(options.block_length > 0, op, "block_length must be greater than zero.");
  TF_CHECK_ARG(
      !options.num_parallel_calls || *options.num_parallel_calls > 0 || *options.num_parallel_calls == AUTOTUNE, op,
      "num_parallel_calls must be greater than zero.");
  // TF's AUTOTUNE cycle length: the CPUs this process may be scheduled on (port::MaxParallelism).
  const int64_t cycle =
      options.cycle_length == AUTOTUNE ? threading::detail::affinity_cpu_count() : options.cycle_length;
  const bool read_ahead = options.num_parallel_calls && *options.num_parallel_calls != 1;
  return Dataset(std::make_shared<InterleaveNode>(std::move(source), cycle, options.block_length, read_ahead));
}

Dataset Dataset::interleave(std::function<Dataset(const Element&)> fn, InterleaveOptions options) const {
  auto shared_fn = std::make_shared<const InterleaveFn>(std::move(fn));
  return interleave_datasets(
      [in = node_, shared_fn]() -> std::unique_ptr<DatasetsIterator> {
        return std::make_unique<MappedDatasets>(in, shared_fn);
      },
      options);
}

Dataset Dataset::interleave(std::function<Dataset(const Element&)> fn, int64_t cycle_length,
                            int64_t block_length) const {
  return interleave(std::move(fn), InterleaveOptions{.cycle_length = cycle_length, .block_length = block_length});
}

}  // namespace tapeflow::data
