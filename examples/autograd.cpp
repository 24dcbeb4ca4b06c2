// TF2's "Introduction to gradients and automatic differentiation" guide in Tapeflow, section by
// section, printing the values TF prints. Each value is also compared with TF's; the last line
// says whether all of them matched (the CTest test looks for it).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace {
int g_mismatches = 0;

std::string str(const std::optional<tf::Tensor>& t) {
  if (!t) return "None";
  std::ostringstream os;
  std::vector<float> v = t->to_vector<float>();
  if (t->ndim() == 0) {
    os << v[0];
    return os.str();
  }
  os << "[";
  for (std::size_t i = 0; i < v.size(); ++i) os << (i ? " " : "") << v[i];
  return os.str() + "]";
}

/// Prints `name: value` and checks it against TF's values (empty: TF printed None).
void show(const std::string& name, const std::optional<tf::Tensor>& t, const std::vector<float>& tf_value) {
  std::cout << name << ": " << str(t) << "\n";
  bool ok = t ? !tf_value.empty() : tf_value.empty();
  if (ok && t) {
    std::vector<float> v = t->to_vector<float>();
    ok = v.size() == tf_value.size();
    for (std::size_t i = 0; ok && i < v.size(); ++i)
      ok = std::abs(v[i] - tf_value[i]) <= 1e-5f * std::max(1.0f, std::abs(tf_value[i]));
  }
  if (!ok) {
    std::cout << "  MISMATCH: TF gives " << (tf_value.empty() ? "None" : std::to_string(tf_value[0]) + "...") << "\n";
    ++g_mismatches;
  }
}
}  // namespace

int main() {
  std::cout << "== Gradient tapes\n";
  {
    tf::Variable x(3.0f);
    tf::GradientTape tape;
    auto y = tf::square(x);
    tape.stop();
    show("dy_dx", tape.gradient(y, x), {6.0f});
  }
  {
    // w @ x + b with x of shape (1, 3), written as a broadcast product and a sum.
    tf::Variable w(tf::constant({{0.5f, -1.0f}, {1.5f, 0.25f}, {-0.5f, 2.0f}}), {.name = "w"});
    tf::Variable b(tf::zeros({2}), {.name = "b"});
    auto x = tf::constant({{1.f, 2.f, 3.f}});
    tf::GradientTape tape({.persistent = true});
    auto y = tf::reduce_sum(tf::transpose(x) * w, 0, true) + b;
    auto loss = tf::reduce_mean(tf::square(y));
    tape.stop();
    auto grads = tape.gradient(loss, std::vector<tf::Variable>{w, b});
    show("dl_dw", grads[0], {2, 5.5f, 4, 11, 6, 16.5f});
    show("dl_db", grads[1], {2, 5.5f});
    auto named = tape.gradient(loss, {{"w", w}, {"b", b}});
    show("grad['b']", named["b"], {2, 5.5f});
  }

  std::cout << "== Controlling what the tape watches\n";
  {
    tf::Variable x0(0.0f, {.name = "x0"});
    tf::Variable x1(10.0f, {.name = "x1", .trainable = false});
    tf::Tensor x2 = tf::Variable(2.0f, {.name = "x2"}) + 1.0f;
    tf::Tensor x3 = tf::constant(3.0f);
    tf::GradientTape tape;
    auto y = tf::square(x0) + tf::square(x1) + tf::square(x2);
    tape.stop();
    auto grad = tape.gradient(y, {x0, x1, x2, x3});
    show("dy/dx0", grad[0], {0.0f});
    show("dy/dx1", grad[1], {});
    show("dy/dx2", grad[2], {});
    show("dy/dx3", grad[3], {});
    for (const auto& v : tape.watched_variables()) std::cout << "watched: " << v.name() << "\n";
  }
  {
    auto x = tf::constant(3.0f);
    tf::GradientTape tape;
    tape.watch(x);
    auto y = tf::square(x);
    tape.stop();
    show("dy_dx (watched tensor)", tape.gradient(y, x), {6.0f});
  }
  {
    tf::Variable x0(0.0f), x1(10.0f);
    tf::GradientTape tape({.watch_accessed_variables = false});
    tape.watch(x1);
    auto ys = tf::reduce_sum(tf::sin(x0) + tf::nn::softplus(x1));
    tape.stop();
    auto grad = tape.gradient(ys, {{"x0", x0}, {"x1", x1}});
    show("dy/dx0", grad["x0"], {});
    show("dy/dx1", grad["x1"], {0.9999546f});
  }

  std::cout << "== Intermediate results and persistent tapes\n";
  {
    auto x = tf::constant({1.0f, 3.0f});
    tf::GradientTape tape({.persistent = true});
    tape.watch(x);
    auto y = x * x;
    auto z = y * y;
    tape.stop();
    show("dz_dx", tape.gradient(z, x), {4.0f, 108.0f});
    show("dy_dx", tape.gradient(y, x), {2.0f, 6.0f});
  }

  std::cout << "== Gradients of non-scalar targets\n";
  {
    tf::Variable x(2.0f);
    tf::GradientTape tape({.persistent = true});
    auto y0 = tf::square(x);
    auto y1 = 1.0f / x;
    auto y = x * tf::constant({3.0f, 4.0f});
    tape.stop();
    show("d(y0 + y1)/dx", tape.gradient({y0, y1}, x), {3.75f});
    show("d(sum y)/dx", tape.gradient(y, x), {7.0f});
  }
  {
    auto x = tf::linspace(-10.0, 10.0, 201);
    tf::GradientTape tape;
    tape.watch(x);
    auto y = tf::nn::sigmoid(x);
    tape.stop();
    auto dy_dx = tape.gradient(y, x);
    std::printf("sigmoid'(x) at x = -10, 0, 10: %.6g %.6g %.6g\n", (*dy_dx)[0].item<float>(),
                (*dy_dx)[100].item<float>(), (*dy_dx)[200].item<float>());
    show("sigmoid'(0)", (*dy_dx)[100], {0.25f});
  }

  std::cout << "== Control flow\n";
  {
    auto x = tf::constant(1.0f);
    tf::Variable v0(2.0f), v1(2.0f);
    tf::GradientTape tape({.persistent = true});
    tape.watch(x);
    tf::Tensor result = (x > 0.0f).item<bool>() ? tf::Tensor(v0) : tf::square(v1);
    tape.stop();
    auto g = tape.gradient(result, {v0, v1});
    show("dv0", g[0], {1.0f});
    show("dv1", g[1], {});
  }

  std::cout << "== Cases where gradient returns None\n";
  {
    tf::Variable x0(3.0f), x1(0.0f);
    tf::GradientTape tape;
    x1.assign_add(x0);
    auto y = tf::square(x1);
    tape.stop();
    show("stateful assign: dy/dx0", tape.gradient(y, x0), {});
  }
  {
    auto x = tf::constant(10);
    tf::GradientTape tape;
    tape.watch(x);  // warns: integers are not differentiable
    auto y = x * x;
    tape.stop();
    show("integer source: dy/dx", tape.gradient(y, x), {});
  }
  {
    tf::Variable x(tf::constant({2.0f, 2.0f}));
    tf::Variable y(3.0f);
    tf::GradientTape tape;
    auto z = tf::square(y);
    tape.stop();
    show("UnconnectedGradients::Zero", tape.gradient(z, x, {.unconnected_gradients = tf::UnconnectedGradients::Zero}),
         {0.0f, 0.0f});
  }

  std::cout << "== Higher-order gradients, jacobians, custom gradients\n";
  {
    tf::Variable x(1.0f);
    tf::GradientTape t2;
    tf::Tensor dy_dx;
    {
      tf::GradientTape t1;
      auto y = x * x * x;
      t1.stop();
      dy_dx = *t1.gradient(y, x);
    }
    t2.stop();
    show("dy_dx", dy_dx, {3.0f});
    show("d2y_dx2", t2.gradient(dy_dx, x), {6.0f});
  }
  {
    auto x = tf::linspace(-10.0, 10.0, 201);
    tf::Variable delta(0.0f);
    tf::GradientTape tape;
    auto y = tf::nn::sigmoid(x + delta);
    tape.stop();
    auto j = tape.jacobian(y, delta);
    std::cout << "jacobian shape: " << j->shape() << "\n";
    show("jacobian[100]", (*j)[100], {0.25f});
  }
  {
    auto log1pexp = tf::custom_gradient([](const tf::Tensor& x) {
      tf::Tensor e = tf::exp(x);
      auto grad = [e](const tf::Tensor& upstream) { return upstream * (1 - 1 / (1 + e)); };
      return std::pair{tf::log(1 + e), grad};
    });
    auto x = tf::constant(100.0f);
    tf::GradientTape tape;
    tape.watch(x);
    auto y = log1pexp(x);
    tape.stop();
    show("custom_gradient log1pexp'(100)", tape.gradient(y, x), {1.0f});
  }

  if (g_mismatches == 0)
    std::cout << "autograd tutorial: all values match TF\n";
  else
    std::cout << "autograd tutorial: " << g_mismatches << " values differ from TF\n";
  return g_mismatches == 0 ? 0 : 1;
}
