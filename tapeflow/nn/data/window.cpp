// Dataset::window: TF's WindowDataset. Each window is a dataset of the input's elements held in
// memory; WindowDataset flattens the windows back with flat_map / interleave (interleave.cpp).
#include <deque>

#include "tapeflow/nn/data/dataset.h"

namespace tapeflow::data {

namespace {
using detail::DatasetsIterator;
using detail::IteratorImpl;
using detail::Node;

class ElementsNode : public Node {
 public:
  explicit ElementsNode(std::vector<Element> elements) : elements_(std::move(elements)) {}
  int64_t cardinality() const override { return int64_t(elements_.size()); }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::shared_ptr<const ElementsNode> node;
      std::size_t i = 0;
      std::optional<Element> next() override {
        if (i == node->elements_.size()) return std::nullopt;
        return node->elements_[i++];
      }
    };
    auto it = std::make_unique<It>();
    it->node = std::static_pointer_cast<const ElementsNode>(shared_from_this());
    return it;
  }

 private:
  std::vector<Element> elements_;
};
}  // namespace

Dataset Dataset::from_elements(std::vector<Element> elements) {
  return Dataset(std::make_shared<ElementsNode>(std::move(elements)));
}

WindowDataset Dataset::window(int64_t size, std::optional<int64_t> shift, int64_t stride, bool drop_remainder) const {
  TF_CHECK_ARG(size > 0, "WindowDataset", "Window size must be greater than zero, but got ", size, ".");
  TF_CHECK_ARG(!shift || *shift > 0, "WindowDataset", "Window shift must be greater than zero, but got ",
               shift.value_or(0), ".");
  TF_CHECK_ARG(stride > 0, "WindowDataset", "Window stride must be greater than zero, but got ", stride, ".");
  return WindowDataset(node_, size, shift.value_or(size), stride, drop_remainder);
}

WindowDataset::WindowDataset(std::shared_ptr<const detail::Node> in, int64_t size, int64_t shift, int64_t stride,
                             bool drop_remainder)
    : in_(std::move(in)), size_(size), shift_(shift), stride_(stride), drop_remainder_(drop_remainder) {}

int64_t WindowDataset::cardinality() const {  // TF's WindowDatasetOp::Dataset::CardinalityInternal
  const int64_t n = in_->cardinality();
  if (n < 0) return n;  // infinite or unknown
  if (!drop_remainder_) return n / shift_ + (n % shift_ == 0 ? 0 : 1);
  const int64_t span = (size_ - 1) * stride_ + 1;
  return n < span ? 0 : (n - span) / shift_ + 1;
}

std::unique_ptr<DatasetsIterator> WindowDataset::windows() const {
  // TF's WindowDatasetOp::Dataset::Iterator::GetNextInternal, step for step.
  struct It : DatasetsIterator {
    std::shared_ptr<const Node> keep;
    std::unique_ptr<IteratorImpl> in;
    int64_t size, shift, stride;
    bool drop_remainder;
    std::deque<Element> buffer;
    bool end_of_input = false;
    std::optional<Dataset> next() override {
      const int64_t span = (size - 1) * stride + 1;
      while (!end_of_input && int64_t(buffer.size()) < span) {
        auto e = in->next();
        if (!e)
          end_of_input = true;
        else
          buffer.push_back(std::move(*e));
      }
      if (buffer.empty() || (drop_remainder && int64_t(buffer.size()) < span)) return std::nullopt;
      std::vector<Element> window;
      for (std::size_t i = 0; i < buffer.size(); i += std::size_t(stride)) window.push_back(buffer[i]);
      // Drops the first `shift` elements: from the buffer, then (shift > span) from the input.
      if (shift >= int64_t(buffer.size())) {
        for (int64_t i = int64_t(buffer.size()); i < shift && !end_of_input; ++i)
          if (!in->next()) end_of_input = true;
        buffer.clear();
      } else {
        buffer.erase(buffer.begin(), buffer.begin() + shift);
      }
      return Dataset::from_elements(std::move(window));
    }
  };
  auto it = std::make_unique<It>();
  it->keep = in_;
  it->in = in_->make_iterator();
  it->size = size_;
  it->shift = shift_;
  it->stride = stride_;
  it->drop_remainder = drop_remainder_;
  return it;
}

Dataset WindowDataset::interleave(std::function<Dataset(const Dataset&)> fn, InterleaveOptions options) const {
  struct Mapped : DatasetsIterator {
    std::unique_ptr<DatasetsIterator> windows;
    std::shared_ptr<const std::function<Dataset(const Dataset&)>> fn;
    std::optional<Dataset> next() override {
      auto w = windows->next();
      if (!w) return std::nullopt;
      return (*fn)(*w);
    }
  };
  auto shared_fn = std::make_shared<const std::function<Dataset(const Dataset&)>>(std::move(fn));
  return Dataset::interleave_datasets(
      [self = *this, shared_fn]() -> std::unique_ptr<DatasetsIterator> {
        auto it = std::make_unique<Mapped>();
        it->windows = self.windows();
        it->fn = shared_fn;
        return it;
      },
      options);
}

Dataset WindowDataset::interleave(std::function<Dataset(const Dataset&)> fn, int64_t cycle_length,
                                  int64_t block_length) const {
  return interleave(std::move(fn), InterleaveOptions{.cycle_length = cycle_length, .block_length = block_length});
}

Dataset WindowDataset::flat_map(std::function<Dataset(const Dataset&)> fn) const {
  return interleave(std::move(fn), InterleaveOptions{.cycle_length = 1, .block_length = 1});
}

WindowDataset::Iterator WindowDataset::begin() const { return Iterator(windows()); }

WindowDataset::Iterator::Iterator(std::shared_ptr<detail::DatasetsIterator> impl) : impl_(std::move(impl)) {
  current_ = impl_->next();
}

WindowDataset::Iterator& WindowDataset::Iterator::operator++() {
  current_ = impl_->next();
  return *this;
}

}  // namespace tapeflow::data
