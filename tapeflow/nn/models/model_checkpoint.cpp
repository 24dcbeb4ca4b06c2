#include "tapeflow/nn/models/model_checkpoint.h"

#include <cmath>
#include <cstdio>
#include <iostream>

#include "tapeflow/core/errors.h"
#include "tapeflow/nn/models/model.h"

namespace tapeflow::keras::callbacks {

std::string format_checkpoint_path(const std::string& pattern, int epoch, const Logs& logs) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      out += pattern[i];
      continue;
    }
    const std::size_t close = pattern.find('}', i);
    TF_CHECK_ARG(close != std::string::npos, "", "ModelCheckpoint: unbalanced '{' in filepath '", pattern, "'");
    const std::string field = pattern.substr(i + 1, close - i - 1);
    const std::size_t colon = field.find(':');
    const std::string name = field.substr(0, colon);
    const std::string spec = colon == std::string::npos ? "" : field.substr(colon + 1);
    double value;
    bool integral = false;
    if (name == "epoch") {
      value = epoch;
      integral = true;
    } else {
      auto it = logs.find(name);
      TF_CHECK_ARG(it != logs.end(), "", "Failed to format this callback filepath: \"", pattern, "\". Reason: '", name,
                   "'");
      value = it->second;
    }
    char buf[128];
    if (spec.empty()) {
      if (integral)
        std::snprintf(buf, sizeof buf, "%d", epoch);
      else
        std::snprintf(buf, sizeof buf, "%.17g", value);
    } else {
      // A printf conversion from the Python spec ("02d", ".2f", "e"): same letters, same meaning.
      const std::string fmt = "%" + spec;
      if (spec.back() == 'd')
        std::snprintf(buf, sizeof buf, fmt.c_str(), int(std::llround(value)));
      else
        std::snprintf(buf, sizeof buf, fmt.c_str(), value);
    }
    out += buf;
    i = close;
  }
  return out;
}

ModelCheckpoint::ModelCheckpoint(ModelCheckpointOptions options) : options_(std::move(options)) {
  TF_CHECK_ARG(!options_.filepath.empty(), "", "ModelCheckpoint: filepath is empty");
  TF_CHECK_ARG(options_.save_freq == "epoch", "", "ModelCheckpoint: only save_freq=\"epoch\" is supported");
  if (!options_.save_weights_only)
    TF_THROW(UnimplementedError, "",
             "ModelCheckpoint: whole-model saving is not available yet; pass "
             "{.save_weights_only = true} (weights as a TensorFlow checkpoint)");
  const std::string& m = options_.monitor;
  if (options_.mode == "max")
    maximize_ = true;
  else if (options_.mode == "min")
    maximize_ = false;
  else
    maximize_ = m.find("acc") != std::string::npos || m.find("auc") != std::string::npos;
  best_ = options_.initial_value_threshold.value_or(maximize_ ? -std::numeric_limits<double>::infinity()
                                                              : std::numeric_limits<double>::infinity());
}

void ModelCheckpoint::on_epoch_end(int epoch, const Logs& logs) {
  const std::string path = format_checkpoint_path(options_.filepath, epoch + 1, logs);  // Keras counts from 1
  if (options_.save_best_only) {
    auto it = logs.find(options_.monitor);
    if (it == logs.end()) {
      std::cerr << "Can save best model only with " << options_.monitor << " available, skipping.\n";
      return;
    }
    const double v = it->second;
    if (!(maximize_ ? v > best_ : v < best_)) return;
    if (options_.verbose)
      std::cout << "\nEpoch " << epoch + 1 << ": " << options_.monitor << " improved from " << best_ << " to " << v
                << ", saving model to " << path << "\n";
    best_ = v;
  } else if (options_.verbose) {
    std::cout << "\nEpoch " << epoch + 1 << ": saving model to " << path << "\n";
  }
  model().save_weights(path);
  last_saved_ = path;
}

}  // namespace tapeflow::keras::callbacks
