// K::utils: Keras's helpers for data and reproducibility (to_categorical, set_random_seed).
#pragma once
#include <cstdint>
#include <optional>

#include "tapeflow/core/tensor.h"

namespace tapeflow::keras::utils {

/// One-hot rows (float32) for integer class labels: labels of shape S give S + (num_classes,),
/// a trailing axis of 1 dropped first, as Keras does. num_classes defaults to max(label) + 1; a
/// label outside [0, num_classes) is an InvalidArgumentError.
/// `K::utils::to_categorical(tf::constant({0, 2, 1}), 3)` → [[1,0,0],[0,0,1],[0,1,0]].
Tensor to_categorical(const Tensor& labels, std::optional<int64_t> num_classes = std::nullopt);

/// Seeds every source of randomness Keras seeds (tf.random's global seed, which initializers,
/// dropout and fit's shuffling follow): `K::utils::set_random_seed(42)` makes a program repeat.
void set_random_seed(int64_t seed);

}  // namespace tapeflow::keras::utils
