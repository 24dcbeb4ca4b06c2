// K::datasets::fashion_mnist: Zalando's Fashion-MNIST as Keras gives it, read from the gzip'ed
// IDX files of Debian's dataset-fashion-mnist package.
#pragma once
#include <string>
#include <utility>

#include "tapeflow/core/tensor.h"

namespace tapeflow::keras::datasets {

namespace mnist_idx {
/// Reads one gzip'ed IDX file (images (n, rows, cols) or labels (n,)) as a uint8 tensor.
Tensor read_idx_gz(const std::string& path);
}  // namespace mnist_idx

namespace fashion_mnist {
/// ((x_train (60000, 28, 28) uint8, y_train (60000,) uint8), (x_test (10000, 28, 28), y_test (10000,))).
/// Looks in $TAPEFLOW_DATA, $TAPEFLOW_DATA/fashion-mnist, then /usr/share/datasets/fashion-mnist;
/// missing files are a NotFoundError saying how to install them.
/// `auto [train, test] = K::datasets::fashion_mnist::load_data(); auto [x_train, y_train] = train;`
std::pair<std::pair<Tensor, Tensor>, std::pair<Tensor, Tensor>> load_data();
/// The directory load_data reads, or an empty string when the files are missing.
std::string data_dir();
}  // namespace fashion_mnist

}  // namespace tapeflow::keras::datasets
