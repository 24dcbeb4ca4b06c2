#include "tapeflow/nn/utils.h"

#include <algorithm>

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/random.h"

namespace tapeflow::keras::utils {

Tensor to_categorical(const Tensor& labels, std::optional<int64_t> num_classes) {
  TF_CHECK_ARG(is_integer(labels.dtype()) || is_floating(labels.dtype()), "",
               "to_categorical: labels must be integers, got dtype ", dtype_name(labels.dtype()));
  std::vector<int64_t> shape = labels.shape().as_vector();
  if (shape.size() > 1 && shape.back() == 1) shape.pop_back();
  Tensor ids = cast(labels, DType::kInt64);
  const std::vector<int64_t> values = ids.to_vector<int64_t>();
  if (!num_classes) num_classes = values.empty() ? 0 : *std::max_element(values.begin(), values.end()) + 1;
  TF_CHECK_ARG(*num_classes >= 0, "", "to_categorical: num_classes must not be negative, got ", *num_classes);
  for (int64_t v : values)
    TF_CHECK_ARG(v >= 0 && v < *num_classes, "", "to_categorical: label ", v, " is outside [0, ", *num_classes, ")");
  shape.push_back(*num_classes);
  return reshape(one_hot(reshape(ids, Shape{int64_t(values.size())}), *num_classes), Shape(shape));
}

void set_random_seed(int64_t seed) { random::set_seed(seed); }

}  // namespace tapeflow::keras::utils
