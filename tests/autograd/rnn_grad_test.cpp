// Gradient check (float64 central differences) of _CudnnRNN in every mode, forward and backward,
// with sequence lengths: every input (x, h0, c0, kernel, recurrent_kernel, bias) through every
// output (output, h, c). _CudnnRNNGrad has no rule (as TF's CudnnRNNBackpropV3), so no second
// order and no forward mode (derived from the reverse rule's own gradient).
#include "tests/autograd/gradient_check.h"
#include "tests/core/rnn_reference.h"

namespace {
namespace rnn = tf::testing::rnn;
using tf::testing::check_gradients;
using tf::testing::uniform;
using Xs = std::vector<tf::Tensor>;

GRADIENT_CHECK_TEST(_CudnnRNN, EveryModeAndInput) {
  for (const rnn::Case& base : rnn::all_cases()) {
    rnn::Case c = base;
    c.batch = 3, c.steps = 3, c.features = 2, c.units = 2;
    if (!c.lengths.empty()) c.lengths = {3, 1, 0};
    SCOPED_TRACE(rnn::name_of(c));
    const int g = tf::ops::rnn_gates(c.mode);
    const int64_t n = g * c.units;
    const bool lstm = c.mode == tf::ops::RnnMode::kLstm, gru = c.mode == tf::ops::RnnMode::kGru;
    tf::ops::CudnnRNNAttrs attrs;
    attrs.rnn_mode = c.mode;
    attrs.go_backwards = c.go_backwards;
    check_gradients(
        [&](const Xs& v) {
          const auto r = tf::ops::cudnn_rnn(v[0], v[1], lstm ? std::optional<tf::Tensor>(v[5]) : std::nullopt, v[2],
                                            v[3], v[4], rnn::lengths_of(c), attrs);
          Xs parts{tf::reshape(r.output, {-1}), tf::reshape(r.h, {-1})};
          if (lstm) parts.push_back(tf::reshape(r.c, {-1}));
          return tf::concat(parts, 0);
        },
        {uniform({c.batch, c.steps, c.features}, -1, 1, 1), uniform({c.batch, c.units}, -1, 1, 2),
         uniform({c.features, n}, -0.6, 0.6, 3), uniform({c.units, n}, -0.6, 0.6, 4),
         gru ? uniform({2, n}, -0.5, 0.5, 5) : uniform({n}, -0.5, 0.5, 5), uniform({c.batch, c.units}, -1, 1, 6)},
        {.atol = 1e-8, .rtol = 1e-6, .check_jvp = false});
  }
}

}  // namespace
