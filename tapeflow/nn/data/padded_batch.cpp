// Dataset::padded_batch: TF's padded_batch, batching elements whose components differ in shape
// by padding each to a common shape first. Tapeflow's datasets carry no static element spec, so
// the checks TF makes when it knows the shapes statically happen per batch, with the messages
// of TF's PaddedBatchDataset kernel (TF's Python TypeError for a padding value of another dtype
// is an InvalidArgumentError here).
#include <algorithm>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/nn/data/dataset.h"

namespace tapeflow::data {

namespace {
using detail::IteratorImpl;
using detail::Node;

/// A scalar padding value as pad's constant (its dtype already checked against the component's).
Scalar padding_scalar(const Tensor& value) {
  if (value.dtype() == DType::kBool) return value.item<bool>();
  if (is_integer(value.dtype())) return cast(value, DType::kInt64).item<int64_t>();
  return cast(value, DType::kFloat64).item<double>();
}

class PaddedBatchNode : public Node {
 public:
  PaddedBatchNode(std::shared_ptr<const Node> in, int64_t n, std::vector<Shape> shapes, std::vector<Tensor> values,
                  bool drop)
      : in_(std::move(in)), n_(n), shapes_(std::move(shapes)), values_(std::move(values)), drop_(drop) {}
  int64_t cardinality() const override {
    const int64_t c = in_->cardinality();
    if (c < 0) return c;
    return drop_ ? c / n_ : (c + n_ - 1) / n_;
  }
  std::unique_ptr<IteratorImpl> make_iterator() const override {
    struct It : IteratorImpl {
      std::shared_ptr<const PaddedBatchNode> node;
      std::unique_ptr<IteratorImpl> in;
      std::optional<Element> next() override {
        std::vector<Element> rows;
        while (int64_t(rows.size()) < node->n_) {
          auto e = in->next();
          if (!e) break;
          rows.push_back(std::move(*e));
        }
        if (rows.empty() || (node->drop_ && int64_t(rows.size()) < node->n_)) return std::nullopt;
        const std::size_t components = rows[0].size();
        node->check_structure(components);
        Element out;
        for (std::size_t c = 0; c < components; ++c) out.push_back(node->pad_and_stack(rows, c));
        return out;
      }
    };
    auto it = std::make_unique<It>();
    it->node = std::static_pointer_cast<const PaddedBatchNode>(shared_from_this());
    it->in = in_->make_iterator();
    return it;
  }

 private:
  void check_structure(std::size_t components) const {
    TF_CHECK_ARG(shapes_.empty() || shapes_.size() == components, "", "The padded_shapes argument has ", shapes_.size(),
                 " shapes, but the dataset's elements have ", components, " components.");
    TF_CHECK_ARG(values_.empty() || values_.size() == components, "", "The padding_values argument has ",
                 values_.size(), " values, but the dataset's elements have ", components, " components.");
  }

  Tensor pad_and_stack(const std::vector<Element>& rows, std::size_t c) const {
    const int rank = shapes_.empty() ? rows[0][c].ndim() : shapes_[c].rank();
    std::vector<int64_t> target(static_cast<std::size_t>(rank), 0);
    for (const Element& row : rows) {
      TF_CHECK_ARG(row.size() == rows[0].size(), "", "padded_batch: elements have different numbers of components (",
                   rows[0].size(), " and ", row.size(), ")");
      const Tensor& t = row[c];
      TF_CHECK_ARG(t.ndim() == rank, "",
                   "All elements in a batch must have the same rank as the padded shape for component", c,
                   ": expected rank ", rank, " but got element with rank ", t.ndim());
      for (int d = 0; d < rank; ++d) target[std::size_t(d)] = std::max(target[std::size_t(d)], t.shape()[d]);
    }
    if (!shapes_.empty())
      for (int d = 0; d < rank; ++d)
        if (shapes_[c][d] >= 0) target[std::size_t(d)] = shapes_[c][d];
    Scalar value = 0;
    if (!values_.empty()) {
      const Tensor& v = values_[c];
      TF_CHECK_ARG(v.ndim() == 0, "", "Invalid padding value for component ", c, ": it must be a scalar, got shape ",
                   v.shape().to_string());
      TF_CHECK_ARG(v.dtype() == rows[0][c].dtype(), "",
                   "Invalid `padding_values`. `padding_values` values type <dtype: '", dtype_name(v.dtype()),
                   "'> does not match type <dtype: '", dtype_name(rows[0][c].dtype()),
                   "'> of the corresponding input component.");
      value = padding_scalar(v);
    }
    std::vector<Tensor> padded;
    padded.reserve(rows.size());
    for (const Element& row : rows) {
      const Tensor& t = row[c];
      std::vector<std::pair<int64_t, int64_t>> paddings;
      bool any = false;
      for (int d = 0; d < rank; ++d) {
        const int64_t extra = target[std::size_t(d)] - t.shape()[d];
        TF_CHECK_TYPED(extra >= 0, DataLossError, "", "Attempted to pad to a smaller size than the input element.");
        paddings.emplace_back(0, extra);
        any = any || extra > 0;
      }
      padded.push_back(any ? pad(t, paddings, "CONSTANT", value) : t);
    }
    return stack(padded, 0);
  }

  std::shared_ptr<const Node> in_;
  int64_t n_;
  std::vector<Shape> shapes_;
  std::vector<Tensor> values_;
  bool drop_;
};
}  // namespace

Dataset Dataset::padded_batch(int64_t batch_size, std::vector<Shape> padded_shapes, std::vector<Tensor> padding_values,
                              bool drop_remainder) const {
  TF_CHECK_ARG(batch_size > 0, "PaddedBatchDatasetV2", "Batch size must be greater than zero.");
  for (const Shape& s : padded_shapes)
    for (int64_t d : s)
      TF_CHECK_ARG(d >= -1, "PaddedBatchDatasetV2", "padded_shapes: a dimension must be -1 (None) or at least 0, got ",
                   s.to_string());
  return Dataset(std::make_shared<PaddedBatchNode>(node_, batch_size, std::move(padded_shapes),
                                                   std::move(padding_values), drop_remainder));
}

}  // namespace tapeflow::data
