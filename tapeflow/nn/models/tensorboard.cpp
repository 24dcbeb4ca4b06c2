// The TensorBoard callback (tensorboard.h), following keras/src/callbacks/tensorboard.py.
#include "tapeflow/nn/models/tensorboard.h"

#include <chrono>
#include <filesystem>

#include "tapeflow/core/errors.h"
#include "tapeflow/nn/layers/layer.h"
#include "tapeflow/nn/models/model.h"
#include "tapeflow/nn/optimizers/optimizer.h"

namespace tapeflow::keras::callbacks {
namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

UpdateFreq::UpdateFreq(const char* freq) {
  const std::string f = freq ? freq : "";
  TF_CHECK_ARG(f == "epoch" || f == "batch", "",
               "TensorBoard: update_freq must be \"epoch\", \"batch\" or an integer, got \"", f, "\"");
  batches = f == "batch" ? 1 : 0;
}

UpdateFreq::UpdateFreq(int n) : batches(n) {
  TF_CHECK_ARG(n > 0, "", "TensorBoard: an integer update_freq must be positive, got ", n);
}

TensorBoard::TensorBoard(TensorBoardOptions options) : options_(std::move(options)) {
  TF_CHECK_ARG(options_.histogram_freq >= 0, "", "TensorBoard: histogram_freq must be >= 0, got ",
               options_.histogram_freq);
  TF_CHECK_TYPED(!options_.write_images, UnimplementedError, "", "TensorBoard: write_images is not supported yet");
}

summary::SummaryWriter& TensorBoard::train_writer() {
  if (!train_)
    train_ = std::make_shared<summary::SummaryWriter>(
        summary::create_file_writer((std::filesystem::path(options_.log_dir) / "train").string()));
  return *train_;
}

summary::SummaryWriter& TensorBoard::val_writer() {
  if (!val_)
    val_ = std::make_shared<summary::SummaryWriter>(
        summary::create_file_writer((std::filesystem::path(options_.log_dir) / "validation").string()));
  return *val_;
}

void TensorBoard::on_train_begin(const Logs&) {
  global_train_batch_ = 0;
  train_writer();  // Keras creates the train run at the start: an unwritable log_dir fails here
}

void TensorBoard::on_train_end(const Logs&) {
  if (train_) train_->close();
  if (val_) val_->close();
  train_.reset();
  val_.reset();
}

void TensorBoard::on_epoch_begin(int, const Logs&) {
  if (options_.write_steps_per_second) {
    epoch_start_ = now_seconds();
    epoch_start_iterations_ = model().optimizer().iterations();
  }
}

void TensorBoard::on_train_batch_begin(int, const Logs&) {
  ++global_train_batch_;
  if (options_.write_steps_per_second) batch_start_ = now_seconds();
}

void TensorBoard::on_train_batch_end(int, const Logs& logs) {
  const int every = options_.update_freq.batches;
  if (every == 0 || global_train_batch_ % every != 0) return;  // Keras's record_if
  auto scope = train_writer().as_default();
  if (options_.write_steps_per_second)
    summary::scalar("batch_steps_per_second", 1.0 / (now_seconds() - batch_start_), global_train_batch_);
  for (const auto& [name, value] : logs) summary::scalar("batch_" + name, value, global_train_batch_);
}

void TensorBoard::on_epoch_end(int epoch, const Logs& logs) {
  Logs train_logs, val_logs;
  for (const auto& [name, value] : logs) {
    if (name.rfind("val_", 0) == 0)
      val_logs[name.substr(4)] = value;
    else
      train_logs[name] = value;
  }
  optimizers::Optimizer& optimizer = model().optimizer();
  if (!val_logs.empty()) {
    // Keras writes these at the end of the validation pass (on_test_end), before the epoch's.
    auto scope = val_writer().as_default();
    for (const auto& [name, value] : val_logs)
      summary::scalar("evaluation_" + name + "_vs_iterations", value, optimizer.iterations());
  }
  train_logs["learning_rate"] = optimizer.learning_rate();
  if (options_.write_steps_per_second)
    train_logs["steps_per_second"] =
        double(optimizer.iterations() - epoch_start_iterations_) / (now_seconds() - epoch_start_);
  {
    auto scope = train_writer().as_default();
    for (const auto& [name, value] : train_logs) summary::scalar("epoch_" + name, value, epoch);
  }
  if (!val_logs.empty()) {
    auto scope = val_writer().as_default();
    for (const auto& [name, value] : val_logs) summary::scalar("epoch_" + name, value, epoch);
  }
  if (options_.histogram_freq > 0 && epoch % options_.histogram_freq == 0) log_weights(epoch);
}

// Keras 3 tags a weight by its path: "<model>/<layer>/<weight>" for a Sequential model (its
// layers are built inside it), "<layer>/<weight>" for a functional one.
void TensorBoard::log_weights(int epoch) {
  const Model& m = model();
  const std::string prefix = m.class_name() == "Sequential" ? m.name() + "/" : std::string();
  auto scope = train_writer().as_default();
  for (const auto& layer : m.layers())
    for (const auto& [name, variable] : layer->named_variables())
      summary::histogram(prefix + name + "/histogram", variable.read_value(), epoch);  // name: "dense/kernel"
  train_writer().flush();
}

}  // namespace tapeflow::keras::callbacks
