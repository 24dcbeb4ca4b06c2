#include "tapeflow/nn/layers/recurrent_fused.h"

#include "tapeflow/core/ops/array_ops.h"
#include "tapeflow/core/ops/binary.h"
#include "tapeflow/core/ops/cast.h"
#include "tapeflow/core/ops/creation.h"
#include "tapeflow/core/ops/reduction.h"
#include "tapeflow/core/ops/rnn.h"
#include "tapeflow/core/ops/unary.h"

namespace tapeflow::keras::layers {
namespace {

std::optional<ops::RnnMode> fused_mode(const RecurrentCell& cell) {
  const RecurrentOptions& o = cell.options();
  if (o.activation.name() != "tanh" || o.recurrent_dropout > 0 || !o.use_bias) return std::nullopt;
  const std::string kind = cell.class_name();
  if (kind == "SimpleRNNCell") return ops::RnnMode::kRnnTanh;
  if (o.recurrent_activation.name() != "sigmoid") return std::nullopt;
  if (kind == "LSTMCell") return ops::RnnMode::kLstm;
  if (kind == "GRUCell" && o.reset_after) return ops::RnnMode::kGru;
  return std::nullopt;
}

// Note [Fused recurrent op on CPU]: the CPU keeps the per-step path unless the fused CPU kernel
// is measured faster (bench/rnn_bench.cpp); the fused CPU kernel is the op's reference.
constexpr bool kFusedOnCpu = false;

}  // namespace

std::optional<std::vector<Tensor>> run_fused_recurrent(const RecurrentCell& cell, const Tensor& inputs,
                                                       const std::vector<Tensor>& states, bool training,
                                                       const std::optional<Tensor>& mask, bool go_backwards,
                                                       bool return_sequences) {
  const std::optional<ops::RnnMode> mode = fused_mode(cell);
  if (!mode) return std::nullopt;
  const Tensor kernel = cell.kernel(), recurrent = cell.recurrent_kernel(), bias = cell.bias();
  const DType dt = kernel.dtype();
  if (dt != DType::kFloat32 && dt != DType::kFloat64) return std::nullopt;
  for (const Tensor& s : states)
    if (s.dtype() != dt) return std::nullopt;
  const Tensor probe[1] = {inputs};
  if (!choose_device(ops::CudnnRNN, probe).is_gpu() && !kFusedOnCpu) return std::nullopt;
  const int64_t batch = inputs.shape()[0], steps = inputs.shape()[1];
  // Keras's cuDNN condition on masks: right-padded (and here every row at least one step long,
  // where the per-step path's conventions for empty rows hold). Deciding reads the mask on the
  // host, so a traced function keeps the per-step path.
  std::optional<Tensor> lengths, kept;
  if (mask) {
    if (mask->shape() != Shape({batch, steps}) || inputs.is_symbolic() || mask->is_symbolic()) return std::nullopt;
    kept = kept_steps(*mask);
    lengths = reduce_sum(cast(*kept, DType::kInt32), 1);
    const Tensor prefix = less(expand_dims(range(int64_t{0}, steps, int64_t{1}, DType::kInt32), 0),
                               expand_dims(*lengths, 1));
    const bool right_padded = reduce_all(equal(*kept, prefix)).item<bool>();
    if (!right_padded || reduce_min(*lengths).item<int32_t>() < 1) return std::nullopt;
  }
  Tensor x = inputs.dtype() == dt ? inputs : cast(inputs, dt);
  if (training && cell.options().dropout > 0) {  // Keras applies the input dropout before cuDNN
    const RecurrentCell::DropoutMasks drop = cell.dropout_masks(batch, inputs.shape()[2]);
    x = x * expand_dims(drop.inputs[0], 1);
  }
  ops::CudnnRNNAttrs attrs;
  attrs.rnn_mode = *mode;
  attrs.go_backwards = go_backwards;
  const bool lstm = *mode == ops::RnnMode::kLstm;
  const ops::CudnnRNNOutputs r = ops::cudnn_rnn(x, states[0], lstm ? std::optional<Tensor>(states[1]) : std::nullopt,
                                                kernel, recurrent, bias, lengths, attrs);
  Tensor output = r.h;  // the last step's output: each row's last step (rows are right-padded)
  if (return_sequences) {
    output = r.output;
    // Past a row's end the per-step path repeats the last output; cuDNN writes zeros. (Going
    // backwards, those steps come first, before any output: zeros on both paths.)
    if (kept && !go_backwards) output = where(expand_dims(*kept, 2), r.output, expand_dims(r.h, 1));
  }
  std::vector<Tensor> out{output, r.h};
  if (lstm) out.push_back(r.c);
  return out;
}

Tensor kept_steps(const Tensor& mask) {
  return mask.dtype() == DType::kBool ? mask : not_equal(mask, scalar_tensor(0, mask.dtype()));
}

}  // namespace tapeflow::keras::layers
