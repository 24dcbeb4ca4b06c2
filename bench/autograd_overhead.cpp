// The host time GradientTape's backward pass adds per recorded op beyond its kernels (issue 4:
// "≤ 1 µs per recorded op"), measured two ways; bench/autograd_overhead_libtorch.cpp measures
// libtorch autograd the same way and bench/run_autograd_overhead.sh prints both as a table.
// Run with --help for the definitions. Prints one "name value unit" line per figure.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <tapeflow/tapeflow.h>

namespace {

constexpr const char* kHelp = R"(autograd_overhead: host time of tf::GradientTape's backward pass per recorded op.

(a) MLP (batch 32, 784-100-10, relu, sparse softmax cross-entropy, mean; float32 on CPU:0).
    The forward records 7 ops: MatMul, AddV2, Relu, MatMul, AddV2,
    SparseSoftmaxCrossEntropyWithLogits, Mean. Per iteration we time
      tape   = tape.gradient(loss, {w1, b1, w2, b2}) on a freshly recorded tape, and
      replay = the very same backward op calls the gradient rules issue (seed, Mean's, the
               cross-entropy's, AddV2's, MatMul's, Relu's) on the tensors of an identical
               untimed forward run without a tape, keeping what the tape keeps (the values the
               rules read) and dropping it at the end (the tape frees its recording inside
               gradient too); bit-identical gradients (checked).
    overhead per op = median over iterations of (tape - replay) / 7: the tape's own host work
    (finding the path, looking up rules, building contexts, accumulating, freeing the recording).
    Also printed: (min tape - min replay) / 7, the same difference at the quietest iterations.
(b) Tiny chain: y = -(-(...-(x))) with N = 256 Neg ops on a 16-float32 watched tensor, then
    reduce_sum. Kernels are negligible; we report the whole backward (tape.gradient) per
    recorded op, the replay (the N + 2 backward op calls alone; the tape keeps none of the
    forward's values, as no rule here reads one) per op, and their difference.
Kernels run on one thread (bench/run_autograd_overhead.sh sets OMP_NUM_THREADS=1). Times are
medians over interleaved iterations (tape and replay alternate, so both see the same
machine state, and which of the two runs first alternates too, so neither always inherits
the other's cache contents). The libtorch peer (bench/autograd_overhead_libtorch.cpp) measures
loss.backward() on the same two computations.
Options: --iters N (default 2001), --case mlp|chain (default both), --help.
)";

using Clock = std::chrono::steady_clock;
double since_ns(Clock::time_point t0) { return std::chrono::duration<double, std::nano>(Clock::now() - t0).count(); }
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double minimum(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }
bool same(const tf::Tensor& a, const tf::Tensor& b) {
  const auto va = a.to_vector<float>(), vb = b.to_vector<float>();
  return va.size() == vb.size() && std::memcmp(va.data(), vb.data(), va.size() * sizeof(float)) == 0;
}

/// Per-iteration times of the two variants, `iters` times, alternating which runs first so
/// that neither always inherits the other's cache state.
struct Timings {
  std::vector<double> tape, replay, diff;
};
template <typename TapeFn, typename ReplayFn> Timings interleave(int iters, TapeFn&& tape_backward, ReplayFn&& replay) {
  Timings out;
  for (int i = 0; i < iters; ++i) {
    double t, r;
    if (i % 2 == 0)
      t = tape_backward(), r = replay();
    else
      r = replay(), t = tape_backward();
    out.tape.push_back(t);
    out.replay.push_back(r);
    out.diff.push_back(t - r);
  }
  return out;
}

void mlp(int iters) {
  constexpr int kRecordedOps = 7;
  tf::Tensor x = tf::random::uniform({32, 784}, {.seed = 1});
  tf::Tensor labels = tf::random::uniform({32}, {.minval = 0, .maxval = 10, .dtype = tf::int32, .seed = 2});
  tf::Variable w1(tf::random::normal({784, 100}, {.stddev = 0.05f, .seed = 3}));
  tf::Variable b1(tf::zeros({100}));
  tf::Variable w2(tf::random::normal({100, 10}, {.stddev = 0.1f, .seed = 4}));
  tf::Variable b2(tf::zeros({10}));
  const std::vector<tf::Variable> vars{w1, b1, w2, b2};

  auto tape_backward = [&](std::vector<std::optional<tf::Tensor>>& grads) {
    tf::GradientTape tape;
    tf::Tensor h = tf::nn::relu(tf::matmul(x, w1) + b1);
    tf::Tensor logits = tf::matmul(h, w2) + b2;
    tf::Tensor loss = tf::reduce_mean(tf::nn::sparse_softmax_cross_entropy_with_logits(labels, logits));
    tape.stop();
    grads.clear();  // the previous gradients are freed outside the timed region, in both variants
    auto t0 = Clock::now();
    grads = tape.gradient(loss, vars);
    return since_ns(t0);
  };

  // The replay runs the same forward (untimed, no tape), keeps the values the tape keeps (those
  // the gradient rules read: MatMul's inputs, Relu's output, the cross-entropy's logits and
  // backprop) and drops them at the end of the timed backward, as tape.gradient frees its recording.
  struct Saved {
    tf::Tensor w1, w2, h, logits, backprop, loss;
  };
  auto replay = [&](std::vector<tf::Tensor>& grads) {
    auto s = std::make_unique<Saved>();
    s->w1 = w1, s->w2 = w2;
    s->h = tf::nn::relu(tf::matmul(x, s->w1) + b1);
    s->logits = tf::matmul(s->h, s->w2) + b2;
    const tf::Tensor xent_in[2] = {s->logits, labels};
    const tf::OutputSpec xent_specs[2] = {{tf::Shape{32}, tf::float32}, {tf::Shape{32, 10}, tf::float32}};
    tf::TensorList xent = tf::dispatch(tf::ops::SparseSoftmaxCrossEntropyWithLogits, xent_in, nullptr, xent_specs);
    s->backprop = xent[1];
    s->loss = tf::reduce_mean(xent[0]);
    xent.clear();
    grads.clear();
    auto t0 = Clock::now();
    {  // the intermediate gradients die inside the timed region, as they do inside tape.gradient
      tf::Tensor g = tf::ones_like(s->loss);                                                   // seed
      g = tf::broadcast_to(tf::reshape(g, {1}) / tf::scalar_tensor(32.0, tf::float32), {32});  // Mean
      tf::Tensor g_logits = tf::expand_dims(g, -1) * s->backprop;                              // SparseSoftmaxXent
      tf::Tensor g_b2 = tf::reduce_sum(g_logits, std::vector<int>{0});                         // AddV2
      tf::Tensor g_h = tf::matmul(g_logits, s->w2, {.transpose_b = true});                     // MatMul
      tf::Tensor g_w2 = tf::matmul(s->h, g_logits, {.transpose_a = true});
      const tf::Tensor zero = tf::scalar_tensor(0.0, tf::float32);
      tf::Tensor g_a1 = g_h * tf::cast(tf::greater(s->h, zero), tf::float32);  // Relu
      tf::Tensor g_b1 = tf::reduce_sum(g_a1, std::vector<int>{0});             // AddV2
      tf::Tensor g_w1 = tf::matmul(x, g_a1, {.transpose_a = true});            // MatMul (x needs none)
      grads = {g_w1, g_b1, g_w2, g_b2};
    }
    s.reset();
    return since_ns(t0);
  };

  std::vector<std::optional<tf::Tensor>> tg;
  std::vector<tf::Tensor> rg;
  for (int i = 0; i < 50; ++i) tape_backward(tg), replay(rg);  // warm up caches and the allocator
  for (std::size_t i = 0; i < vars.size(); ++i)
    if (!tg[i] || !same(*tg[i], rg[i])) {
      std::cerr << "replay differs from the tape's gradient " << i << "\n";
      std::exit(1);
    }
  const auto [tape, rep, diff] = interleave(
      iters, [&] { return tape_backward(tg); }, [&] { return replay(rg); });
  std::cout << "mlp_recorded_ops " << kRecordedOps << " ops\n";
  std::cout << "mlp_backward_tapeflow " << median(tape) << " ns\n";
  std::cout << "mlp_replay_tapeflow " << median(rep) << " ns\n";
  std::cout << "mlp_overhead_per_op_tapeflow " << median(diff) / kRecordedOps << " ns\n";
  std::cout << "mlp_overhead_per_op_min_tapeflow " << (minimum(tape) - minimum(rep)) / kRecordedOps << " ns\n";
}

void chain(int iters) {
  constexpr int kChain = 256;
  constexpr int kRecordedOps = kChain + 1;  // the Negs and the Sum
  const tf::Tensor x = tf::random::uniform({16}, {.seed = 5});
  auto tape_backward = [&](tf::Tensor& grad) {
    tf::GradientTape tape;
    tape.watch(x);
    tf::Tensor y = x;
    for (int i = 0; i < kChain; ++i) y = tf::negative(y);
    tf::Tensor loss = tf::reduce_sum(y);
    tape.stop();
    grad = tf::Tensor();
    auto t0 = Clock::now();
    grad = *tape.gradient(loss, x);
    return since_ns(t0);
  };
  auto replay = [&](tf::Tensor& grad) {
    // The same forward, untimed and without a tape. Neg's and Sum's rules read no forward value,
    // so the tape keeps none of the intermediate results alive either.
    tf::Tensor y = x;
    for (int i = 0; i < kChain; ++i) y = tf::negative(y);
    const tf::Tensor loss = tf::reduce_sum(y);
    grad = tf::Tensor();
    auto t0 = Clock::now();
    tf::Tensor g = tf::ones_like(loss);                    // seed
    g = tf::broadcast_to(tf::reshape(g, {1}), {16});       // Sum
    for (int i = 0; i < kChain; ++i) g = tf::negative(g);  // Neg
    grad = g;
    return since_ns(t0);
  };
  tf::Tensor tg, rg;
  for (int i = 0; i < 50; ++i) tape_backward(tg), replay(rg);
  if (!same(tg, rg)) {
    std::cerr << "chain replay differs from the tape's gradient\n";
    std::exit(1);
  }
  const auto [tape, rep, diff] = interleave(
      iters, [&] { return tape_backward(tg); }, [&] { return replay(rg); });
  std::cout << "chain_recorded_ops " << kRecordedOps << " ops\n";
  std::cout << "chain_backward_per_op_tapeflow " << median(tape) / kRecordedOps << " ns\n";
  std::cout << "chain_replay_per_op_tapeflow " << median(rep) / kRecordedOps << " ns\n";
  std::cout << "chain_overhead_per_op_tapeflow " << median(diff) / kRecordedOps << " ns\n";
  std::cout << "chain_overhead_per_op_min_tapeflow " << (minimum(tape) - minimum(rep)) / kRecordedOps << " ns\n";
}

}  // namespace

int main(int argc, char** argv) {
  int iters = 2001;
  std::string which = "both";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kHelp;
      return 0;
    }
    if (a == "--iters" && i + 1 < argc) iters = std::max(1, std::stoi(argv[++i]));
    if (a == "--case" && i + 1 < argc) which = argv[++i];
  }
  if (which != "chain") mlp(iters);
  if (which != "mlp") chain(iters);
  return 0;
}
