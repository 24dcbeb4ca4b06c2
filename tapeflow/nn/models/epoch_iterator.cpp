#include "tapeflow/nn/models/epoch_iterator.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "tapeflow/core/logging.h"
#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/random.h"

namespace tapeflow::keras::internal {

namespace {
// Shuffles follow tf.random's global seed when one is set, so a seeded program repeats.
std::mt19937_64 make_shuffle_rng() {
  auto seeds = random::get_seed(std::nullopt);
  return seeds ? std::mt19937_64(uint64_t(seeds->first) * 0x9E3779B97F4A7C15ull ^ uint64_t(seeds->second))
               : std::mt19937_64(std::random_device{}());
}

/// Python's truthiness of Keras's `steps or None` values: 0 and None are false.
bool positive(const std::optional<int64_t>& v) { return v && *v > 0; }
}  // namespace

TensorBatches::TensorBatches(std::vector<Tensor> columns, int64_t batch_size, bool shuffle)
    : columns_(std::move(columns)),
      rows_(columns_.at(0).shape()[0]),
      batch_size_(batch_size),
      shuffle_(shuffle),
      rng_(make_shuffle_rng()),
      order_(static_cast<std::size_t>(rows_)) {}

std::optional<int64_t> TensorBatches::num_batches() const { return (rows_ + batch_size_ - 1) / batch_size_; }

void TensorBatches::start_pass() {
  step_ = 0;
  std::iota(order_.begin(), order_.end(), 0);
  if (shuffle_) std::shuffle(order_.begin(), order_.end(), rng_);
}

void TensorBatches::skip_passes(int passes) {
  if (shuffle_)
    for (int p = 0; p < passes; ++p) std::shuffle(order_.begin(), order_.end(), rng_);
}

std::optional<data::Element> TensorBatches::next() {
  const int64_t b = step_ * batch_size_;
  if (b >= rows_) return std::nullopt;
  const int64_t e = std::min(rows_, b + batch_size_);
  ++step_;
  Tensor indices;
  if (shuffle_) {
    std::vector<int64_t> idx(order_.begin() + b, order_.begin() + e);
    indices = constant(idx, Shape{e - b}, DType::kInt64);
  }
  data::Element batch;
  for (const Tensor& t : columns_) batch.push_back(shuffle_ ? gather(t, indices) : t[slice(b, e)]);
  return batch;
}

std::optional<int64_t> DatasetBatches::num_batches() const {
  const int64_t c = dataset_.cardinality();
  return c < 0 ? std::nullopt : std::optional<int64_t>(c);  // Keras: None when infinite or unknown
}

std::optional<data::Element> DatasetBatches::next() {
  if (!it_ || *it_ == dataset_.end()) return std::nullopt;
  data::Element e = std::move(**it_);
  ++*it_;
  return e;
}

EpochIterator::EpochIterator(BatchSource& source, std::optional<int64_t> steps_per_epoch, const char* caller)
    : source_(source), steps_per_epoch_(steps_per_epoch), num_batches_(source.num_batches()), caller_(caller) {
  TF_CHECK_ARG(!steps_per_epoch || *steps_per_epoch > 0, "", caller, ": steps must be a positive integer, got ",
               steps_per_epoch.value_or(0));
}

std::optional<int64_t> EpochIterator::num_batches() const {
  return positive(steps_per_epoch_) ? steps_per_epoch_ : num_batches_;
}

void EpochIterator::begin_epoch() {
  epoch_steps_ = positive(steps_per_epoch_) ? *steps_per_epoch_ : positive(num_batches_) ? *num_batches_ : -1;
  step_ = 0;
  epoch_over_ = false;
  // Keras keeps its iterator across epochs only when steps_per_epoch is given.
  if (epoch_steps_ < 0 || !have_pass_ || !positive(steps_per_epoch_)) {
    source_.start_pass();
    have_pass_ = true;
    steps_seen_ = 0;
  }
}

std::optional<data::Element> EpochIterator::next() {
  if (epoch_over_) return std::nullopt;
  if (epoch_steps_ > 0) {
    const bool pass_done = positive(num_batches_) && steps_seen_ >= *num_batches_;
    if (step_ >= epoch_steps_ || pass_done) {
      if (pass_done && positive(steps_per_epoch_) && step_ < epoch_steps_) warn_interrupted();
      if (pass_done) {  // the next epoch starts a new pass
        have_pass_ = false;
        steps_seen_ = 0;
      }
      epoch_over_ = true;
      return std::nullopt;
    }
    ++steps_seen_;
  } else {
    steps_seen_ = step_ + 1;
  }
  ++step_;
  std::optional<data::Element> batch = source_.next();
  if (!batch) {  // Keras's catch_stop_iteration: the pass ended before this step
    if (!num_batches_) num_batches_ = steps_seen_;
    warn_interrupted();
    have_pass_ = false;
    epoch_over_ = true;
  }
  return batch;
}

void EpochIterator::warn_interrupted() const {
  // Keras's UserWarning; Python shows it once per call site, so once per fit/evaluate here.
  if (std::exchange(warned_, true)) return;
  logging::warning(
      "Your input ran out of data; interrupting training. Make sure that your dataset or generator can generate "
      "at least `steps_per_epoch * epochs` batches. You may need to use the `.repeat()` function when building "
      "your dataset.");
}

}  // namespace tapeflow::keras::internal
