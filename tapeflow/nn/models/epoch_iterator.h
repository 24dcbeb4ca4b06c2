// The steps of fit's and evaluate's epochs, as Keras 3's EpochIterator gives them: passes over
// the data (BatchSource: tensors cut into batches, or a tf::data::Dataset), cut into epochs of
// steps_per_epoch steps that carry on across epochs, with Keras's "ran out of data" warning.
// Internal to K::Model (namespace internal: keras.h calls tapeflow::detail unqualified).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "tapeflow/nn/data/dataset.h"

namespace tapeflow::keras::internal {

/// Where the batches come from (Keras's data adapter): passes, each yielding the batches
/// (inputs..., y[, sample_weight]) once.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  /// Batches per pass when known (Keras's num_batches: None for an infinite or unknown dataset).
  virtual std::optional<int64_t> num_batches() const = 0;
  /// Starts a new pass (a new shuffle).
  virtual void start_pass() = 0;
  /// The next batch of the current pass, nullopt at its end.
  virtual std::optional<data::Element> next() = 0;
  /// A resumed fit (BackupAndRestore) draws the shuffles of the passes it skips, so that later
  /// passes see the batches an uninterrupted fit would.
  virtual void skip_passes(int passes) { (void)passes; }
};

/// Tensors with the same first dimension, cut into batches of batch_size rows in order or, when
/// shuffling, in a new random order each pass (from tf::random's global seed when set).
class TensorBatches : public BatchSource {
 public:
  TensorBatches(std::vector<Tensor> columns, int64_t batch_size, bool shuffle);
  std::optional<int64_t> num_batches() const override;
  void start_pass() override;
  std::optional<data::Element> next() override;
  void skip_passes(int passes) override;

 private:
  std::vector<Tensor> columns_;
  int64_t rows_, batch_size_;
  bool shuffle_;
  std::mt19937_64 rng_;
  std::vector<int64_t> order_;
  int64_t step_ = 0;
};

/// A dataset's passes (each a new iteration, so a shuffle in the pipeline reshuffles).
class DatasetBatches : public BatchSource {
 public:
  explicit DatasetBatches(data::Dataset dataset) : dataset_(std::move(dataset)) {}
  std::optional<int64_t> num_batches() const override;
  void start_pass() override { it_ = dataset_.begin(); }
  std::optional<data::Element> next() override;

 private:
  data::Dataset dataset_;
  std::optional<data::Dataset::Iterator> it_;
};

/// Keras 3's EpochIterator (keras/src/trainers/epoch_iterator.py, steps_per_execution 1):
/// - without steps_per_epoch, an epoch is one pass;
/// - with it, an epoch is steps_per_epoch steps and the pass carries on into the next epoch; a
///   pass of known length that ends mid-epoch ends the epoch early with the warning, and the
///   next epoch starts a new pass;
/// - a pass that ends before its step (unknown or infinite length) ends the epoch with the
///   warning too (Keras warns at the end of every pass of a dataset of unknown length).
class EpochIterator {
 public:
  EpochIterator(BatchSource& source, std::optional<int64_t> steps_per_epoch, const char* caller);
  /// The steps of an epoch (the progress bar's target): steps_per_epoch, else the pass length
  /// when known or learnt (after a pass of unknown length), else nullopt.
  std::optional<int64_t> num_batches() const;
  void begin_epoch();
  /// The batch of the next step of this epoch, or nullopt when the epoch is over.
  std::optional<data::Element> next();

 private:
  void warn_interrupted() const;
  BatchSource& source_;
  std::optional<int64_t> steps_per_epoch_, num_batches_;
  const char* caller_;
  bool have_pass_ = false;  // Keras's _current_iterator is not None
  int64_t steps_seen_ = 0, step_ = 0, epoch_steps_ = 0;
  bool epoch_over_ = false;
  mutable bool warned_ = false;
};

}  // namespace tapeflow::keras::internal
