// K::callbacks::CSVLogger: each epoch's logs appended to a CSV file, byte for byte as Keras's
// CSVLogger writes it (csv module's excel dialect: "\r\n" line ends, Python's float repr).
#pragma once
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tapeflow/nn/models/callbacks.h"

namespace tapeflow::keras::callbacks {

/// `K::callbacks::CSVLogger("training.log")`: a header `epoch,<sorted log keys>` (and `val_<key>`
/// columns when the first epoch has no validation logs), then one row per epoch; a key missing
/// from an epoch's logs reads NA. With append, a file that already has a header gets no second one.
class CSVLogger : public Callback {
 public:
  explicit CSVLogger(std::string filename, std::string separator = ",", bool append = false);
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(int epoch, const Logs& logs) override;
  void on_train_end(const Logs& logs) override;

 private:
  void write_row(const std::vector<std::string>& cells);
  std::string filename_, separator_;
  bool append_;
  bool write_header_ = true;
  std::vector<std::string> keys_;
  // Shared so copies (a callback passed by value) write one file.
  std::shared_ptr<std::FILE> file_;
};

}  // namespace tapeflow::keras::callbacks
