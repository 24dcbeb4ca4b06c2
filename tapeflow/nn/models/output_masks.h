// The masks of a model's outputs from its last call (Note [Masks] in layers/layer.cpp): fit and
// evaluate weigh a sequence output's loss and metrics by them, as Keras's compile_loss does.
#pragma once
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "tapeflow/core/tensor.h"

namespace tapeflow::keras::internal {

class OutputMasks {
 public:
  /// Replaces the record with these outputs' masks (an output without one is left out).
  void set(const std::vector<std::pair<Tensor, std::optional<Tensor>>>& outputs) {
    std::lock_guard<std::mutex> lock(mu_);
    masks_.clear();
    first_.reset();
    for (const auto& [output, mask] : outputs)
      if (mask) masks_.emplace_back(output.id(), *mask);
    if (!outputs.empty()) first_ = outputs.front().second;
  }
  /// The mask of the first recorded output (a model's compute_mask when nested in another).
  std::optional<Tensor> first() const {
    std::lock_guard<std::mutex> lock(mu_);
    return first_;
  }
  /// The mask of `output` when it is one of the recorded outputs (the same tensor), else none.
  std::optional<Tensor> of(const Tensor& output) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, mask] : masks_)
      if (id == output.id()) return mask;
    return std::nullopt;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<uint64_t, Tensor>> masks_;
  std::optional<Tensor> first_;
};

}  // namespace tapeflow::keras::internal
