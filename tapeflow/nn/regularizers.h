// K::regularizers: weight penalties a layer adds to `layer.losses()` (L1, L2, L1L2 with Keras's
// formulas: l1 * sum(|w|), l2 * sum(w^2)). A default-constructed Regularizer is "none".
#pragma once
#include <functional>

#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/unary.h"
#include "tapeflow/nn/object_config.h"

namespace tapeflow::keras::regularizers {

class Regularizer {
 public:
  using Fn = std::function<Tensor(const Tensor&)>;
  Regularizer() = default;
  explicit Regularizer(Fn fn, ObjectConfig config = {}) : fn_(std::move(fn)), config_(std::move(config)) {}
  explicit operator bool() const { return static_cast<bool>(fn_); }
  Tensor operator()(const Tensor& w) const { return fn_(w); }
  /// Keras's class name and config (`{"L2", {{"l2", 0.01}}}`); none for a bare function.
  const ObjectConfig& get_config() const { return config_; }

 private:
  Fn fn_;
  ObjectConfig config_;
};

struct L1L2 : Regularizer {
  explicit L1L2(double l1 = 0.0, double l2 = 0.0)
      : Regularizer(
            [l1, l2](const Tensor& w) {
              Tensor penalty = zeros({}, w.dtype());
              if (l1 != 0.0) penalty = penalty + l1 * reduce_sum(abs(w));
              if (l2 != 0.0) penalty = penalty + l2 * reduce_sum(square(w));
              return penalty;
            },
            {"L1L2", {{"l1", l1}, {"l2", l2}}}) {}
};
struct L1 : Regularizer {
  explicit L1(double l1 = 0.01)
      : Regularizer([l1](const Tensor& w) { return l1 * reduce_sum(abs(w)); }, {"L1", {{"l1", l1}}}) {}
};
struct L2 : Regularizer {
  explicit L2(double l2 = 0.01)
      : Regularizer([l2](const Tensor& w) { return l2 * reduce_sum(square(w)); }, {"L2", {{"l2", l2}}}) {}
};

}  // namespace tapeflow::keras::regularizers
