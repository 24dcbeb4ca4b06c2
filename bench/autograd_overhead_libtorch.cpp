// The libtorch side of bench/autograd_overhead.cpp, built by bench/run_autograd_overhead.sh
// against the libtorch inside PyPI's torch package. Same computations and method:
//   (a) MLP (batch 32, 784-100-10, relu, cross-entropy over logits, mean; float32): the time
//       of loss.backward() (7 recorded ops: mm, add, relu, mm, add, log_softmax, nll_loss), and
//       of the same backward kernels called eagerly (mm, sum, threshold_backward,
//       _log_softmax_backward_data, nll_loss_backward) without autograd; overhead = median of
//       the per-iteration difference / 7.
//   (b) 256 neg ops on 16 floats then sum: backward per recorded op, replay (256 negs) per op,
//       and their difference.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

namespace {
using Clock = std::chrono::steady_clock;
double since_ns(Clock::time_point t0) { return std::chrono::duration<double, std::nano>(Clock::now() - t0).count(); }
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double minimum(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

/// Per-iteration times, alternating which variant runs first (as bench/autograd_overhead.cpp).
struct Timings {
  std::vector<double> backward, replay, diff;
};
template <typename BackwardFn, typename ReplayFn>
Timings interleave(int iters, BackwardFn& backward, ReplayFn& replay) {
  Timings out;
  for (int i = 0; i < iters; ++i) {
    double b, r;
    if (i % 2 == 0)
      b = backward(), r = replay();
    else
      r = replay(), b = backward();
    out.backward.push_back(b);
    out.replay.push_back(r);
    out.diff.push_back(b - r);
  }
  return out;
}

void mlp(int iters) {
  constexpr int kRecordedOps = 7;
  torch::manual_seed(1);
  auto x = torch::rand({32, 784});
  auto labels = torch::randint(0, 10, {32}, torch::kLong);
  auto w1 = (torch::randn({784, 100}) * 0.05).requires_grad_();
  auto b1 = torch::zeros({100}).requires_grad_();
  auto w2 = (torch::randn({100, 10}) * 0.1).requires_grad_();
  auto b2 = torch::zeros({10}).requires_grad_();
  const std::vector<torch::Tensor> params{w1, b1, w2, b2};

  auto backward = [&] {
    for (auto& p : params) p.mutable_grad() = torch::Tensor();
    auto a1 = torch::mm(x, w1) + b1;
    auto h = torch::relu(a1);
    auto logits = torch::mm(h, w2) + b2;
    auto loss = torch::nll_loss(torch::log_softmax(logits, 1), labels);
    auto t0 = Clock::now();
    loss.backward();
    return since_ns(t0);
  };
  auto replay = [&] {
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> grads;
    Clock::time_point t0;
    {
      auto a1 = torch::mm(x, w1) + b1;
      auto h = torch::relu(a1);
      auto logits = torch::mm(h, w2) + b2;
      auto logp = torch::log_softmax(logits, 1);
      auto total_weight = torch::full({}, 32.0f);
      auto loss = torch::nll_loss(logp, labels);
      t0 = Clock::now();
      {  // the intermediate gradients die inside the timed region, as they do inside backward()
        auto g = torch::ones_like(loss);
        auto g_logp = torch::nll_loss_backward(g, logp, labels, {}, at::Reduction::Mean, -100, total_weight);
        auto g_logits = torch::_log_softmax_backward_data(g_logp, logp, 1, torch::kFloat);
        auto g_b2 = g_logits.sum(0);
        auto g_h = torch::mm(g_logits, w2.t());
        auto g_w2 = torch::mm(h.t(), g_logits);
        auto g_a1 = torch::threshold_backward(g_h, h, 0);
        auto g_b1 = g_a1.sum(0);
        auto g_w1 = torch::mm(x.t(), g_a1);
        grads = {g_w1, g_b1, g_w2, g_b2};
      }
    }  // and so do the forward's tensors, as backward() frees the graph's saved ones
    return since_ns(t0);
  };
  for (int i = 0; i < 50; ++i) backward(), replay();
  const auto [bw, rep, diff] = interleave(iters, backward, replay);
  std::cout << "mlp_backward_libtorch " << median(bw) << " ns\n";
  std::cout << "mlp_replay_libtorch " << median(rep) << " ns\n";
  std::cout << "mlp_overhead_per_op_libtorch " << median(diff) / kRecordedOps << " ns\n";
  std::cout << "mlp_overhead_per_op_min_libtorch " << (minimum(bw) - minimum(rep)) / kRecordedOps << " ns\n";
}

void chain(int iters) {
  constexpr int kChain = 256;
  constexpr int kRecordedOps = kChain + 1;
  auto x = torch::rand({16}).requires_grad_();
  auto backward = [&] {
    x.mutable_grad() = torch::Tensor();
    auto y = x;
    for (int i = 0; i < kChain; ++i) y = torch::neg(y);
    auto loss = y.sum();
    auto t0 = Clock::now();
    loss.backward();
    return since_ns(t0);
  };
  auto replay = [&] {
    torch::NoGradGuard no_grad;
    auto loss = x.sum();
    torch::Tensor grad;
    auto t0 = Clock::now();
    auto g = torch::ones_like(loss).expand({16});
    for (int i = 0; i < kChain; ++i) g = torch::neg(g);
    grad = g;
    return since_ns(t0);
  };
  for (int i = 0; i < 50; ++i) backward(), replay();
  const auto [bw, rep, diff] = interleave(iters, backward, replay);
  std::cout << "chain_backward_per_op_libtorch " << median(bw) / kRecordedOps << " ns\n";
  std::cout << "chain_replay_per_op_libtorch " << median(rep) / kRecordedOps << " ns\n";
  std::cout << "chain_overhead_per_op_libtorch " << median(diff) / kRecordedOps << " ns\n";
  std::cout << "chain_overhead_per_op_min_libtorch " << (minimum(bw) - minimum(rep)) / kRecordedOps << " ns\n";
}
}  // namespace

int main(int argc, char** argv) {
  int iters = 2001;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--iters") iters = std::max(1, std::stoi(argv[i + 1]));
  mlp(iters);
  chain(iters);
  return 0;
}
