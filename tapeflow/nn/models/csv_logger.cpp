#include "tapeflow/nn/models/csv_logger.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "tapeflow/core/errors.h"
#include "tapeflow/core/float_format.h"

namespace tapeflow::keras::callbacks {

CSVLogger::CSVLogger(std::string filename, std::string separator, bool append)
    : filename_(std::move(filename)), separator_(std::move(separator)), append_(append) {
  TF_CHECK_ARG(separator_.size() == 1, "", "CSVLogger: separator must be one character, got \"", separator_, "\"");
}

void CSVLogger::on_train_begin(const Logs&) {
  write_header_ = true;
  if (append_) {
    std::ifstream existing(filename_);
    std::string first_line;
    if (existing && std::getline(existing, first_line)) write_header_ = first_line.empty();
  }
  file_.reset();
  std::FILE* f = std::fopen(filename_.c_str(), append_ ? "ab" : "wb");
  if (!f) {
    const std::string why = std::string("CSVLogger: cannot open ") + filename_ + ": " + std::strerror(errno);
    if (errno == ENOENT) throw errors::NotFoundError(why);
    throw errors::FailedPreconditionError(why);
  }
  file_.reset(f, [](std::FILE* p) { std::fclose(p); });
  keys_.clear();
}

void CSVLogger::write_row(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i) line += separator_;
    // The csv module quotes a field holding the separator, a quote or a line break.
    if (cells[i].find_first_of(separator_ + "\"\r\n") != std::string::npos) {
      std::string quoted = "\"";
      for (char c : cells[i]) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      line += quoted + "\"";
    } else {
      line += cells[i];
    }
  }
  line += "\r\n";
  TF_CHECK_TYPED(std::fwrite(line.data(), 1, line.size(), file_.get()) == line.size() && std::fflush(file_.get()) == 0,
                 DataLossError, "", "CSVLogger: writing ", filename_, " failed: ", std::strerror(errno));
}

void CSVLogger::on_epoch_end(int epoch, const Logs& logs) {
  TF_CHECK_TYPED(file_ != nullptr, FailedPreconditionError, "", "CSVLogger: on_epoch_end before on_train_begin");
  if (keys_.empty()) {
    bool has_val = false;
    for (const auto& [k, v] : logs) {  // a std::map: sorted as Python's sorted() sorts str keys
      keys_.push_back(k);
      has_val = has_val || k.rfind("val_", 0) == 0;
    }
    if (!has_val) {
      const std::size_t n = keys_.size();
      for (std::size_t i = 0; i < n; ++i) keys_.push_back("val_" + keys_[i]);
    }
    if (write_header_) {
      std::vector<std::string> header{"epoch"};
      header.insert(header.end(), keys_.begin(), keys_.end());
      write_row(header);
    }
  }
  std::vector<std::string> row{std::to_string(epoch)};
  for (const std::string& k : keys_) {
    auto it = logs.find(k);
    row.push_back(it == logs.end() ? "NA"
                                   : detail::format_float_scalar(detail::FloatBits::of(it->second), it->second, 1e16));
  }
  write_row(row);
}

void CSVLogger::on_train_end(const Logs&) { file_.reset(); }

}  // namespace tapeflow::keras::callbacks
