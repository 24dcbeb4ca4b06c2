// CPU kernel of RaggedTensorToTensor: fills the padded dense tensor with the default value, then
// copies each flat value to its (row, column, ...) position by walking the row partitions.
#include <functional>
#include <vector>

#include "tapeflow/core/ops/ragged.h"
#include "tapeflow/kernels/cpu/registration.h"

namespace tapeflow::kernels::cpu {
namespace {

// inputs: flat_values, default_value (0-d), row_splits (int64) outermost first.
void ragged_to_tensor_kernel(KernelContext& ctx) {
  Tensor values = ctx.input(0).contiguous();
  Tensor fill = ctx.input(1).contiguous();
  Tensor& out = ctx.output(0);
  const std::size_t levels = ctx.inputs.size() - 2;
  std::vector<std::vector<int64_t>> splits;
  for (std::size_t k = 0; k < levels; ++k) splits.push_back(ctx.input(2 + k).to_vector<int64_t>());
  // Partitions built with validate=false reach here unchecked: a split past the values would
  // read outside them, so check what the walk below relies on (TF's kernel checks it too).
  for (std::size_t k = 0; k < levels; ++k) {
    const auto& s = splits[k];
    const int64_t rows =
        k + 1 < levels ? static_cast<int64_t>(splits[k + 1].size()) - 1 : (values.ndim() > 0 ? values.shape()[0] : 0);
    bool ok = !s.empty() && s[0] == 0 && s.back() <= rows;
    for (std::size_t i = 1; ok && i < s.size(); ++i) ok = s[i] >= s[i - 1];
    TF_CHECK_ARG(ok, ctx.op.name, "Invalid row_splits at level ", k, ": they must start at 0, be non-decreasing ",
                 "and end at most at the ", rows, " rows below them");
    for (std::size_t i = 0; i + 1 < s.size(); ++i)
      TF_CHECK_ARG(s[i + 1] - s[i] <= out.shape()[static_cast<int>(k) + 1], ctx.op.name, "Invalid row_splits at level ",
                   k, ": row ", i, " is longer than the output's dimension ", k + 1);
  }
  const DimVector ostrides = out.strides();
  const int64_t inner = values.ndim() > 1 ? values.size() / values.shape()[0] : 1;
  visit_all(values.dtype(), "RaggedTensorToTensor", [&]<typename T>() {
    T* o = static_cast<T*>(out.raw_data());
    const T* v = static_cast<const T*>(values.raw_data());
    const T d = *static_cast<const T*>(fill.raw_data());
    for (int64_t i = 0; i < out.size(); ++i) o[i] = d;
    // Row `row` of partition `level` starts at dense offset `base`.
    std::function<void(std::size_t, int64_t, int64_t)> place = [&](std::size_t level, int64_t row, int64_t base) {
      const auto& s = splits[level];
      const int64_t step = ostrides[level + 1];
      for (int64_t j = s[static_cast<std::size_t>(row)]; j < s[static_cast<std::size_t>(row) + 1]; ++j) {
        const int64_t pos = base + (j - s[static_cast<std::size_t>(row)]) * step;
        if (level + 1 == levels) {
          for (int64_t k = 0; k < inner; ++k) o[pos + k] = v[j * inner + k];
        } else {
          place(level + 1, j, pos);
        }
      }
    };
    const int64_t nrows = static_cast<int64_t>(splits[0].size()) - 1;
    for (int64_t r = 0; r < nrows; ++r) place(0, r, r * ostrides[0]);
  });
}

}  // namespace

void register_ragged_kernels() {
  register_kernel(ops::RaggedTensorToTensor, DeviceType::kCPU, ragged_to_tensor_kernel);
}

}  // namespace tapeflow::kernels::cpu
