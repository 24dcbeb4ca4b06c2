#include "tapeflow/nn/datasets/fashion_mnist.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <vector>

#include "tapeflow/core/ops/creation.h"
#include "tapeflow/nn/datasets/idx_file.h"

namespace tapeflow::keras::datasets {

namespace mnist_idx {
Tensor read_idx_gz(const std::string& path) {
  const IdxContents c = read_idx_contents(path);
  DimVector dims;
  for (int64_t d : c.dims) dims.push_back(d);
  return from_host_buffer(c.bytes.data(), Shape(dims), DType::kUInt8);
}
}  // namespace mnist_idx

namespace fashion_mnist {

namespace {
constexpr const char* kFiles[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                  "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};

bool has_files(const std::filesystem::path& dir) {
  for (const char* f : kFiles)
    if (!std::filesystem::exists(dir / f)) return false;
  return true;
}
}  // namespace

std::string data_dir() {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("TAPEFLOW_DATA")) {
    candidates.emplace_back(env);
    candidates.emplace_back(std::filesystem::path(env) / "fashion-mnist");
  }
  candidates.emplace_back("/usr/share/datasets/fashion-mnist");
  for (const auto& c : candidates)
    if (has_files(c)) return c.string();
  return "";
}

std::pair<std::pair<Tensor, Tensor>, std::pair<Tensor, Tensor>> load_data() {
  const std::string dir = data_dir();
  if (dir.empty())
    TF_THROW(NotFoundError, "", "Fashion-MNIST not found: looked for ", kFiles[0],
             " (and the other three IDX files) "
             "in $TAPEFLOW_DATA, $TAPEFLOW_DATA/fashion-mnist and /usr/share/datasets/fashion-mnist. Install them "
             "with `sudo apt-get install -y dataset-fashion-mnist` (Debian/Ubuntu), or point TAPEFLOW_DATA at a "
             "directory holding the four .gz files.");
  auto path = [&](int i) { return (std::filesystem::path(dir) / kFiles[i]).string(); };
  Tensor x_train = mnist_idx::read_idx_gz(path(0)), y_train = mnist_idx::read_idx_gz(path(1));
  Tensor x_test = mnist_idx::read_idx_gz(path(2)), y_test = mnist_idx::read_idx_gz(path(3));
  return {{x_train, y_train}, {x_test, y_test}};
}

}  // namespace fashion_mnist
}  // namespace tapeflow::keras::datasets
