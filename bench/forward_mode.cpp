// Issue 20: what forward mode costs and where it wins. Prints, best of repeated runs:
//   mlp       the JVP of a 784-100-10 MLP (ForwardAccumulator along all four parameters) against
//             its forward pass, batch 32 and 256: logits only (explicit JVP rules: matmul, add,
//             relu) and with the softmax cross-entropy loss (its JVP comes from the double VJP).
//             Target: JVP <= 3x forward.
//   jacobian  tape.jacobian of a function of 4 inputs with 10^4 outputs, forward mode (4 JVP
//             passes) against reverse mode (10^4 backward passes). Target: forward faster.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <utility>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace {

double elapsed_us(const std::function<void()>& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(t1 - t0).count();
}
// The best of the repetitions: on a shared, loaded machine (the 2-core CI VM runs other
// builds) the minimum is the cost of the work itself; medians there measure the neighbours.
double best(const std::vector<double>& t) { return *std::min_element(t.begin(), t.end()); }
double best_us(const std::function<void()>& f, int reps) {
  f();  // warm-up: allocator caches, first-use registration
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) t.push_back(elapsed_us(f));
  return best(t);
}
/// The best times of `a` and `b` timed alternately, so that a loaded machine slows both alike.
std::pair<double, double> paired_best_us(const std::function<void()>& a, const std::function<void()>& b, int reps) {
  a();
  b();
  std::vector<double> ta, tb;
  for (int r = 0; r < reps; ++r) {
    ta.push_back(elapsed_us(a));
    tb.push_back(elapsed_us(b));
  }
  return {best(ta), best(tb)};
}

tf::Tensor uniform(const tf::Shape& shape, int seed) {
  return tf::random::uniform(shape, {.minval = -0.1, .maxval = 0.1, .dtype = tf::float32, .seed = seed});
}

void mlp(int batch) {
  const tf::Tensor x = uniform({batch, 784}, 1);
  const tf::Tensor labels = tf::one_hot(
      tf::cast(tf::random::uniform({batch}, {.minval = 0, .maxval = 10, .dtype = tf::int32, .seed = 2}), tf::int64), 10,
      1, 0, -1, tf::float32);
  std::vector<tf::Tensor> p = {uniform({784, 100}, 3), uniform({100}, 4), uniform({100, 10}, 5), uniform({10}, 6)};
  std::vector<tf::Tensor> v = {uniform({784, 100}, 7), uniform({100}, 8), uniform({100, 10}, 9), uniform({10}, 10)};
  std::vector<tf::Source> primals(p.begin(), p.end());
  auto logits = [&] { return tf::matmul(tf::nn::relu(tf::matmul(x, p[0]) + p[1]), p[2]) + p[3]; };
  auto loss = [&] { return tf::reduce_mean(tf::nn::softmax_cross_entropy_with_logits(labels, logits())); };
  const int reps = batch <= 32 ? 400 : 100;
  auto [fwd, jvp] = paired_best_us([&] { (void)logits().to_vector<float>(); },
                                   [&] {
                                     tf::autodiff::ForwardAccumulator acc(primals, v);
                                     tf::Tensor y = logits();
                                     acc.stop();
                                     (void)acc.jvp(y)->to_vector<float>();
                                   },
                                   reps);
  auto [fwd_loss, jvp_loss] = paired_best_us([&] { (void)loss().item<float>(); },
                                             [&] {
                                               tf::autodiff::ForwardAccumulator acc(primals, v);
                                               tf::Tensor y = loss();
                                               acc.stop();
                                               (void)acc.jvp(y)->item<float>();
                                             },
                                             reps);
  std::printf("MLP 784-100-10, batch %d, logits: forward %.1f us, JVP %.1f us, ratio %.2fx (target <= 3x)\n", batch,
              fwd, jvp, jvp / fwd);
  std::printf("MLP 784-100-10, batch %d, loss:   forward %.1f us, JVP %.1f us, ratio %.2fx (target <= 3x)\n", batch,
              fwd_loss, jvp_loss, jvp_loss / fwd_loss);
}

void jacobian() {
  const int64_t n = 10000;
  const tf::Tensor a = uniform({n, 4}, 11), b = uniform({n, 4}, 12);
  const tf::Tensor x = tf::random::uniform({4, 1}, {.minval = -1, .maxval = 1, .dtype = tf::float32, .seed = 13});
  auto f = [&](const tf::Tensor& t) {
    return tf::reshape(tf::tanh(tf::matmul(a, t)) * tf::sin(tf::matmul(b, t)), {n});
  };
  auto run = [&](bool forward) {
    tf::GradientTape tape;
    tape.watch(x);
    tf::Tensor y = f(x);
    tape.stop();
    return *tape.jacobian(y, x, tf::JacobianOptions{.forward_mode = forward});
  };
  const tf::Tensor jf = run(true), jr = run(false);
  const float diff = tf::reduce_max(tf::abs(jf - jr)).item<float>();
  double fwd = best_us([&] { (void)run(true).to_vector<float>(); }, 21);
  double rev = best_us([&] { (void)run(false).to_vector<float>(); }, 3);
  std::printf(
      "jacobian of f: R^4 -> R^%lld (shape %s): forward mode %.0f us, reverse mode %.0f us, forward %.1fx "
      "faster (max |difference| %.2g)\n",
      static_cast<long long>(n), jf.shape().to_string().c_str(), fwd, rev, rev / fwd, diff);
}

}  // namespace

int main() {
  tf::DeviceScope cpu(tf::kCPU0);
  mlp(32);
  mlp(256);
  jacobian();
  return 0;
}
