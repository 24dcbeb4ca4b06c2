// The "graphs and tf.function" guide in Tapeflow: tracing, polymorphism and concrete functions,
// what retraces, C++ side effects at trace time vs tf::print at run time, run_functions_eagerly,
// non-strict execution, variables captured by reference and created on the first call only, and
// a training step as one Function. Its output is checked against functions.expected.
#include <iostream>
#include <optional>

#include "tapeflow/tapeflow.h"

int main() {
  // ---- Taking advantage of graphs -------------------------------------------------------------
  auto a_regular_function = [](const tf::Tensor& x, const tf::Tensor& y, const tf::Tensor& b) {
    return tf::matmul(x, y) + b;
  };
  auto a_function_that_uses_a_graph = tf::function(a_regular_function);
  auto x1 = tf::constant({{1.0f, 2.0f}});
  auto y1 = tf::constant({{2.0f}, {3.0f}});
  auto b1 = tf::constant(4.0f);
  auto orig_value = a_regular_function(x1, y1, b1).to_vector<float>();
  auto tf_function_value = a_function_that_uses_a_graph(x1, y1, b1).tensor().to_vector<float>();
  std::cout << "eager == graph: " << (orig_value == tf_function_value ? "True" : "False") << "\n";

  // ---- Polymorphism: one concrete function per signature --------------------------------------
  auto my_relu = tf::function([](const tf::Tensor& x) { return tf::maximum(tf::constant(0.0f), x); },
                              {.name = "my_relu", .arg_names = {"x"}});
  std::cout << my_relu(tf::constant(5.5f)) << "\n";
  std::cout << my_relu(std::vector<float>{1, -1}) << "\n";
  std::cout << my_relu(tf::constant({3.0f, -3.0f})) << "\n";
  // These two calls do not create new graphs.
  std::cout << my_relu(tf::constant(-2.5f)) << "\n";
  std::cout << my_relu(tf::constant({-1.0f, 1.0f})) << "\n";
  std::cout << "tracing count: " << my_relu.experimental_get_tracing_count() << "\n";
  std::cout << my_relu.pretty_printed_concrete_signatures() << "\n\n";

  // A concrete function for a None dimension, and its graph as TF's GraphDef text.
  auto cf = my_relu.get_concrete_function(tf::TensorSpec({-1}, tf::float32));
  std::cout << cf(tf::constant({-1.0f, 2.0f, -3.0f})) << "\n";
  std::cout << cf.structured_input_signature_string() << "\n" << cf.structured_outputs_string() << "\n";
  std::cout << cf.graph().as_graph_def();

  // ---- C++ side effects run while tracing; tf::print runs on every call -----------------------
  auto get_mse = tf::function([](const tf::Tensor& y_true, const tf::Tensor& y_pred) {
    std::cout << "Calculating MSE!\n";
    return tf::reduce_mean(tf::pow(y_true - y_pred, tf::constant(2)));
  });
  auto y_true = tf::constant({5, 0, 1, 4, 2});
  auto y_pred = tf::constant({1, 8, 8, 7, 5});
  for (int i = 0; i < 3; ++i) get_mse(y_true, y_pred);
  tf::config::run_functions_eagerly(true);  // the debugging switch: the callable runs every time
  for (int i = 0; i < 3; ++i) get_mse(y_true, y_pred);
  tf::config::run_functions_eagerly(false);
  auto get_mse_print = tf::function([](const tf::Tensor& y_true, const tf::Tensor& y_pred) {
    tf::print("Calculating MSE!");
    return tf::reduce_mean(tf::pow(y_true - y_pred, tf::constant(2)));
  });
  for (int i = 0; i < 3; ++i) {
    tf::Tensor mse = get_mse_print(y_true, y_pred);
    std::cout << "mse: " << mse << "\n";
  }

  // ---- Non-strict execution: unused ops do not run --------------------------------------------
  auto unused_return = [](const tf::Tensor& x) {
    tf::gather(x, tf::constant({1}));  // index 1 fails when x has one element
    return x;
  };
  try {
    std::cout << unused_return(tf::constant({0.0f})) << "\n";
  } catch (const tf::errors::InvalidArgumentError& e) { std::cout << "InvalidArgumentError: " << e.what() << "\n"; }
  std::cout << tf::function(unused_return)(tf::constant({0.0f})) << "\n";

  // ---- What retraces: new shapes and dtypes, and new non-Tensor values ------------------------
  auto with_side_effect = tf::function([](const tf::Tensor& x) {
    std::cout << "Tracing!\n";
    return x * x + tf::constant(2);
  });
  std::cout << with_side_effect(tf::constant(2)) << "\n";
  std::cout << with_side_effect(tf::constant(3)) << "\n";
  std::cout << with_side_effect(2) << "\n";  // a C++ number is part of the signature
  std::cout << with_side_effect(3) << "\n";

  // ---- Variables: captured by reference, created on the first call only -----------------------
  tf::Variable v(1.0f);
  auto scale = tf::function([&](const tf::Tensor& x) { return x * v; });
  std::cout << scale(tf::constant(2.0f)) << "\n";
  v.assign(tf::constant(2.0f));
  std::cout << scale(tf::constant(2.0f)) << "\n";
  auto makes_variables = tf::function([](const tf::Tensor& x) { return tf::Variable(1.0f) * x; });
  try {
    makes_variables(tf::constant(1.0f));
  } catch (const tf::errors::InvalidArgumentError& e) { std::cout << "InvalidArgumentError: " << e.message() << "\n"; }
  std::optional<tf::Variable> count;
  auto counter = tf::function([&]() -> tf::Tensor {
    if (!count) count = tf::Variable(tf::constant(0));
    return count->assign_add(tf::constant(1));
  });
  std::cout << counter() << "\n" << counter() << "\n";

  // ---- A training step as one Function --------------------------------------------------------
  auto x = tf::random::normal({64, 1}, {.seed = 7});
  auto y = x * 3.0f + 2.0f;
  tf::Variable a(0.0f), b(0.0f);
  auto opt = tf::keras::optimizers::SGD({.learning_rate = 0.2});
  auto train_step = tf::function([&](const tf::Tensor& xb, const tf::Tensor& yb) {
    tf::GradientTape tape;
    auto loss = tf::reduce_mean(tf::square(xb * a + b - yb));
    tape.stop();
    std::vector<tf::Variable> vars{a, b};
    opt.apply_gradients(tape.gradient(loss, vars), vars);
    return loss;
  });
  for (int step = 0; step < 60; ++step) train_step(x, y);
  std::printf("fitted a=%.3f b=%.3f in %d trace\n", a.item<float>(), b.item<float>(),
              train_step.experimental_get_tracing_count());
  return 0;
}
