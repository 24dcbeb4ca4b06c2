// Issue 17: the fused recurrent op (_CudnnRNN, one op per sequence) against the per-step path
// the layers take otherwise (the cell's input projection, then per step a matmul and the gates
// as public ops), forward and backward (a GradientTape over x and the weights), for Keras's
// LSTM, GRU and SimpleRNN, float32, on CPU:0 (default) or GPU:0 (--gpu). The two are timed
// alternately in one run; the best of --reps is printed with the process CPU time per call
// (a machine loaded by other work shows in the wall time first). Prints
//   rnn_bench <device> <layer> B T D U fused|per_step <best wall ms> <cpu ms per call>
// and the fused/per-step wall ratio. Run: build/bench/rnn_bench [--gpu] [--reps N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <string>

#include "tapeflow/core/ops/rnn.h"
#include "tapeflow/tapeflow.h"

namespace {
namespace L = tf::keras::layers;
using tf::ops::RnnMode;

struct Timing {
  double wall = 1e30, cpu = 0;
};

/// The per-step path (RecurrentLayer::run without dropout or masks): output and final states.
std::vector<tf::Tensor> per_step(const L::RecurrentCell& cell, const tf::Tensor& x, std::vector<tf::Tensor> states) {
  std::vector<tf::Tensor> xw = tf::unstack(cell.project_inputs(x), 1), outputs;
  for (const tf::Tensor& step : xw) {
    states = cell.step(step, states);
    outputs.push_back(states[0]);
  }
  std::vector<tf::Tensor> out{tf::stack(outputs, 1)};
  out.insert(out.end(), states.begin(), states.end());
  return out;
}

std::vector<tf::Tensor> fused(const L::RecurrentCell& cell, RnnMode mode, const tf::Tensor& x,
                              const std::vector<tf::Tensor>& states) {
  tf::ops::CudnnRNNAttrs attrs;
  attrs.rnn_mode = mode;
  const auto r = tf::ops::cudnn_rnn(x, states[0], mode == RnnMode::kLstm ? std::optional<tf::Tensor>(states[1]) : std::nullopt,
                                    cell.kernel(), cell.recurrent_kernel(), cell.bias(), std::nullopt, attrs);
  return {r.output, r.h};
}

/// One training step's recurrent work: forward, then the gradients of x and every weight.
void train_step(const std::function<std::vector<tf::Tensor>()>& forward, const tf::Tensor& x,
                const L::RecurrentCell& cell) {
  tf::GradientTape tape;
  tape.watch(x);
  const std::vector<tf::Tensor> y = forward();
  const tf::Tensor loss = tf::reduce_sum(y[0]);
  tape.stop();
  std::vector<tf::Source> sources{x};
  for (const tf::Variable& v : cell.trainable_variables()) sources.push_back(v);
  auto g = tape.gradient(loss, sources);
  (void)g[0]->to(tf::kCPU0);  // waits for the device
}

}  // namespace

int main(int argc, char** argv) {
  bool gpu = false;
  int reps = 10;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--gpu")) gpu = true;
    if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) reps = std::atoi(argv[++i]);
  }
  if (gpu && tf::config::list_physical_devices("GPU").empty()) {
    std::printf("rnn_bench: no GPU\n");
    return 0;
  }
  const tf::Device device = gpu ? tf::kGPU0 : tf::kCPU0;
  tf::DeviceScope on(device);
  struct Shape {
    int64_t B, T, D, U;
  };
  for (const Shape s : {Shape{32, 50, 32, 64}, Shape{64, 100, 128, 128}}) {
    for (RnnMode mode : {RnnMode::kLstm, RnnMode::kGru, RnnMode::kRnnTanh}) {
      std::shared_ptr<L::RecurrentCell> cell;
      if (mode == RnnMode::kLstm) cell = std::make_shared<L::LSTMCell>(s.U);
      else if (mode == RnnMode::kGru) cell = std::make_shared<L::GRUCell>(s.U);
      else cell = std::make_shared<L::SimpleRNNCell>(s.U);
      cell->build(tf::Shape{s.B, s.D});
      const tf::Tensor x = tf::random::uniform({s.B, s.T, s.D}, {.minval = -1, .maxval = 1});
      std::vector<tf::Tensor> states{tf::zeros({s.B, s.U})};
      if (mode == RnnMode::kLstm) states.push_back(tf::zeros({s.B, s.U}));
      const std::function<std::vector<tf::Tensor>()> paths[2] = {[&] { return fused(*cell, mode, x, states); },
                                                                 [&] { return per_step(*cell, x, states); }};
      Timing t[2];
      for (int r = -1; r < reps; ++r)
        for (int p = 0; p < 2; ++p) {
          const std::clock_t c0 = std::clock();
          const auto w0 = std::chrono::steady_clock::now();
          train_step(paths[p], x, *cell);
          const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
          if (r < 0) continue;  // warm-up
          t[p].wall = std::min(t[p].wall, wall);
          t[p].cpu += double(std::clock() - c0) / CLOCKS_PER_SEC / reps;
        }
      const char* name = mode == RnnMode::kLstm ? "LSTM" : mode == RnnMode::kGru ? "GRU" : "SimpleRNN";
      for (int p = 0; p < 2; ++p)
        std::printf("rnn_bench %s %s %lld %lld %lld %lld %s %.3f %.3f\n", gpu ? "GPU:0" : "CPU:0", name,
                    static_cast<long long>(s.B), static_cast<long long>(s.T), static_cast<long long>(s.D),
                    static_cast<long long>(s.U), p == 0 ? "fused" : "per_step", t[p].wall * 1e3, t[p].cpu * 1e3);
      std::printf("rnn_bench %s %s fused/per_step wall %.2f\n", gpu ? "GPU:0" : "CPU:0", name, t[0].wall / t[1].wall);
      std::fflush(stdout);
    }
  }
  return 0;
}
