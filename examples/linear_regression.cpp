// Fitting y = a * x + b with a GradientTape and plain gradient descent (TF2's "custom training
// basics" guide): noisy samples of a line, the mean squared error, and a step against the
// gradient of each variable. Prints the loss as it falls and the fitted a and b.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "tapeflow/tapeflow.h"

int main() {
  constexpr float kTrueA = 3.0f, kTrueB = 2.0f;
  constexpr int kSamples = 1000, kSteps = 200;
  constexpr float kLearningRate = 0.1f;

  // x ~ N(0, 1), y = 3 x + 2 + noise, as the guide draws them.
  std::mt19937 gen(42);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> xs(kSamples), ys(kSamples);
  for (int i = 0; i < kSamples; ++i) {
    xs[i] = normal(gen);
    ys[i] = kTrueA * xs[i] + kTrueB + 0.1f * normal(gen);
  }
  auto x = tf::constant(xs);
  auto y = tf::constant(ys);

  tf::Variable a(5.0f, {.name = "a"}), b(0.0f, {.name = "b"});
  auto model = [&](const tf::Tensor& in) { return a * in + b; };
  auto loss_fn = [](const tf::Tensor& target, const tf::Tensor& predicted) {
    return tf::reduce_mean(tf::square(target - predicted));
  };

  std::printf("step   0: a=%.4f b=%.4f loss=%.6f\n", a.item<float>(), b.item<float>(),
              loss_fn(y, model(x)).item<float>());
  for (int step = 1; step <= kSteps; ++step) {
    tf::GradientTape tape;
    auto loss = loss_fn(y, model(x));
    tape.stop();
    auto grads = tape.gradient(loss, std::vector<tf::Variable>{a, b});
    a.assign_sub(*grads[0] * kLearningRate);
    b.assign_sub(*grads[1] * kLearningRate);
    if (step % 20 == 0)
      std::printf("step %3d: a=%.4f b=%.4f loss=%.6f\n", step, a.item<float>(), b.item<float>(), loss.item<float>());
  }
  const float fa = a.item<float>(), fb = b.item<float>();
  std::printf("fitted a=%.2f b=%.2f (true a=%.2f b=%.2f)\n", fa, fb, kTrueA, kTrueB);
  const bool converged = std::abs(fa - kTrueA) < 0.05f && std::abs(fb - kTrueB) < 0.05f;
  std::printf(converged ? "converged to the true line\n" : "did not converge\n");
  return converged ? 0 : 1;
}
