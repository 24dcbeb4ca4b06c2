// Dataset::interleave: TF's InterleaveDataset (the deterministic, sequential one), reading the
// datasets a function makes of the input's elements in turn, block_length elements at a time.
#include "tapeflow/core/threading.h"
#include "tapeflow/nn/data/dataset.h"

namespace tapeflow::data {

namespace {
using detail::IteratorImpl;
using detail::Node;
using InterleaveFn = std::function<Dataset(const Element&)>;

class InterleaveNode : public Node {
 public:
  InterleaveNode(std::shared_ptr<const Node> in, InterleaveFn fn, int64_t cycle, int64_t block)
      : in_(std::move(in)), fn_(std::move(fn)), cycle_(cycle), block_(block) {}
  int64_t cardinality() const override { return -2; }  // TF: unknown, whatever the input
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    // TF's InterleaveDatasetOp::Dataset::Iterator::GetNextInternal, step for step.
    struct It : IteratorImpl {
      std::shared_ptr<const Node> keep;
      std::unique_ptr<IteratorImpl> in;
      const InterleaveFn* fn;
      int64_t block_length = 1;
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
            auto args = in->next();
            if (!args) {
              end_of_input = true;
            } else {
              datasets[cycle_index] = (*fn)(*args);
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
    it->in = in_->make_iterator();
    it->fn = &fn_;
    it->block_length = block_;
    it->datasets.resize(std::size_t(cycle_));
    it->current.resize(std::size_t(cycle_));
    return it;
  }

 private:
  std::shared_ptr<const Node> in_;
  InterleaveFn fn_;
  int64_t cycle_, block_;
};
}  // namespace

Dataset Dataset::interleave(std::function<Dataset(const Element&)> fn, int64_t cycle_length,
                            int64_t block_length) const {
  TF_CHECK_ARG(cycle_length > 0 || cycle_length == AUTOTUNE, "InterleaveDataset",
               "cycle_length must be greater than zero.");
  TF_CHECK_ARG(block_length > 0, "InterleaveDataset", "block_length must be greater than zero.");
  // TF's AUTOTUNE cycle length: the CPUs this process may be scheduled on (port::MaxParallelism).
  const int64_t cycle = cycle_length == AUTOTUNE ? threading::detail::affinity_cpu_count() : cycle_length;
  return Dataset(std::make_shared<InterleaveNode>(node_, std::move(fn), cycle, block_length));
}

}  // namespace tapeflow::data
