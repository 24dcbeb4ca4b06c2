// A walk through TensorFlow 2's tensor guide (https://www.tensorflow.org/guide/tensor), line by
// line in Tapeflow. What it prints is exactly what TF prints for the same walk: the CTest
// `example_tensors` compares the output with examples/tensors.expected, which
// examples/tensors_reference.py generates by running TensorFlow itself.
#include <iostream>
#include <string>

#include <tapeflow/tapeflow.h>

namespace {

void section(const char* title) { std::cout << "== " << title << "\n"; }

// Python's print(t.numpy()): the values as NumPy prints them.
std::string numpy(const tf::Tensor& t) { return tf::format_values(t); }

}  // namespace

int main() {
  // The guide runs on the CPU; a GPU build would place these ops on GPU:0 otherwise.
  tf::DeviceScope cpu("CPU:0");

  section("Basics");
  auto rank_0_tensor = tf::constant(4);
  std::cout << rank_0_tensor << "\n";
  auto rank_1_tensor = tf::constant({2.0f, 3.0f, 4.0f});
  std::cout << rank_1_tensor << "\n";
  auto rank_2_tensor = tf::constant({{1, 2}, {3, 4}, {5, 6}}, tf::float16);
  std::cout << rank_2_tensor << "\n";
  auto rank_3_tensor = tf::constant({{{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}},
                                     {{10, 11, 12, 13, 14}, {15, 16, 17, 18, 19}},
                                     {{20, 21, 22, 23, 24}, {25, 26, 27, 28, 29}}});
  std::cout << rank_3_tensor << "\n";

  section("Conversion");
  std::cout << numpy(rank_2_tensor) << "\n";

  section("Math");
  auto a = tf::constant({{1, 2}, {3, 4}});
  auto b = tf::constant({{1, 1}, {1, 1}});
  std::cout << tf::add(a, b) << "\n";
  std::cout << tf::multiply(a, b) << "\n";
  std::cout << tf::matmul(a, b) << "\n";
  std::cout << a + b << "\n";
  std::cout << a * b << "\n";
  std::cout << tf::matmul(a, b) << "\n";  // Python's a @ b
  auto c = tf::constant({{4.0f, 5.0f}, {10.0f, 1.0f}});
  std::cout << tf::reduce_max(c) << "\n";
  std::cout << tf::argmax(c) << "\n";
  std::cout << tf::nn::softmax(c) << "\n";
  std::cout << tf::reduce_sum(tf::constant({1.0f, 2.0f, 3.0f})) << "\n";

  section("Shapes");
  auto rank_4_tensor = tf::zeros({3, 2, 4, 5});
  std::cout << "Type of every element: " << tf::dtype_name(rank_4_tensor.dtype()) << "\n";
  std::cout << "Number of axes: " << rank_4_tensor.ndim() << "\n";
  std::cout << "Shape of tensor: " << rank_4_tensor.shape().to_string() << "\n";
  std::cout << "Elements along axis 0 of tensor: " << rank_4_tensor.shape().dim(0) << "\n";
  std::cout << "Elements along the last axis of tensor: " << rank_4_tensor.shape()[-1] << "\n";
  std::cout << "Total number of elements (3*2*4*5): " << tf::size(rank_4_tensor).item<int32_t>() << "\n";
  std::cout << tf::rank(rank_4_tensor) << "\n";
  std::cout << tf::shape(rank_4_tensor) << "\n";

  section("Indexing");
  rank_1_tensor = tf::constant({0, 1, 1, 2, 3, 5, 8, 13, 21, 34});
  std::cout << numpy(rank_1_tensor) << "\n";
  std::cout << "First: " << numpy(rank_1_tensor[0]) << "\n";
  std::cout << "Second: " << numpy(rank_1_tensor[1]) << "\n";
  std::cout << "Last: " << numpy(rank_1_tensor[-1]) << "\n";
  std::cout << "Everything: " << numpy(rank_1_tensor[tf::all]) << "\n";
  std::cout << "Before 4: " << numpy(rank_1_tensor[tf::slice({}, 4)]) << "\n";
  std::cout << "From 4 to the end: " << numpy(rank_1_tensor[tf::slice(4, {})]) << "\n";
  std::cout << "From 2, before 7: " << numpy(rank_1_tensor[tf::slice(2, 7)]) << "\n";
  std::cout << "Every other item: " << numpy(rank_1_tensor[tf::slice({}, {}, 2)]) << "\n";
  std::cout << "Reversed: " << numpy(rank_1_tensor[tf::slice({}, {}, -1)]) << "\n";
  std::cout << numpy(rank_2_tensor[{1, 1}]) << "\n";
  std::cout << "Second row: " << numpy(rank_2_tensor[{1, tf::all}]) << "\n";
  std::cout << "Second column: " << numpy(rank_2_tensor[{tf::all, 1}]) << "\n";
  std::cout << "Last row: " << numpy(rank_2_tensor[{-1, tf::all}]) << "\n";
  std::cout << "First item in last column: " << numpy(rank_2_tensor[{0, -1}]) << "\n";
  std::cout << "Skip the first row:\n";
  std::cout << numpy(rank_2_tensor[{tf::slice(1, {}), tf::all}]) << "\n";
  std::cout << rank_3_tensor[{tf::all, tf::all, 4}] << "\n";

  section("Reshape");
  auto x = tf::constant({{1}, {2}, {3}});
  std::cout << x.shape().to_string() << "\n";
  auto reshaped = tf::reshape(x, {1, 3});
  std::cout << reshaped.shape().to_string() << "\n";
  std::cout << tf::reshape(rank_3_tensor, {-1}) << "\n";
  std::cout << tf::reshape(rank_3_tensor, {3 * 2, 5}) << "\n";
  std::cout << tf::reshape(rank_3_tensor, {3, -1}) << "\n";
  std::cout << tf::transpose(tf::reshape(rank_3_tensor, {3, 10})) << "\n";
  try {
    tf::reshape(rank_3_tensor, {7, -1});
  } catch (const tf::errors::InvalidArgumentError& e) { std::cout << "InvalidArgumentError: " << e.message() << "\n"; }

  section("DTypes");
  auto the_f64_tensor = tf::constant({2.2, 3.3, 4.4}, tf::float64);
  auto the_f16_tensor = tf::cast(the_f64_tensor, tf::float16);
  auto the_u8_tensor = tf::cast(the_f16_tensor, tf::uint8);
  std::cout << the_f64_tensor << "\n";
  std::cout << the_f16_tensor << "\n";
  std::cout << the_u8_tensor << "\n";

  section("Broadcasting");
  x = tf::constant({1, 2, 3});
  auto y = tf::constant(2);
  auto z = tf::constant({2, 2, 2});
  std::cout << tf::multiply(x, 2) << "\n";
  std::cout << x * y << "\n";
  std::cout << x * z << "\n";
  x = tf::reshape(x, {3, 1});
  y = tf::range(1, 5);
  std::cout << x << "\n";
  std::cout << y << "\n";
  std::cout << tf::multiply(x, y) << "\n";
  std::cout << tf::broadcast_to(tf::constant({1, 2, 3}), {3, 3}) << "\n";

  section("Ragged");
  try {
    tf::constant({{0, 1, 2, 3}, {4, 5}, {6, 7, 8}, {9}});
  } catch (const tf::errors::InvalidArgumentError& e) {
    // TF's sentence; Tapeflow's message goes on to say which level is ragged.
    const std::string& m = e.message();
    std::cout << "Error: " << m.substr(0, m.find(" (level")) << "\n";
  }
  auto ragged_tensor = tf::ragged::constant({{0, 1, 2, 3}, {4, 5}, {6, 7, 8}, {9}});
  std::cout << ragged_tensor << "\n";
  std::cout << ragged_tensor.shape().to_string() << "\n";

  section("Strings");
  auto scalar_string_tensor = tf::constant("Gray wolf");
  std::cout << scalar_string_tensor << "\n";
  auto tensor_of_strings = tf::constant({"Gray wolf", "Quick brown fox", "Lazy dog"});
  std::cout << tensor_of_strings << "\n";
  std::cout << tf::constant("🥳👍") << "\n";
  std::cout << tf::strings::split(scalar_string_tensor, " ") << "\n";
  std::cout << tf::strings::split(tensor_of_strings) << "\n";
  auto text = tf::constant("1 10 100");
  std::cout << tf::strings::to_number(tf::strings::split(text, " ")) << "\n";
  std::cout << "Byte strings: " << tf::strings::bytes_split(tf::constant("Duck")) << "\n";

  section("Sparse");
  tf::sparse::SparseTensor sparse_tensor({{0, 0}, {1, 2}}, tf::constant({1, 2}), {3, 4});
  std::cout << sparse_tensor << "\n";
  std::cout << tf::sparse::to_dense(sparse_tensor) << "\n";
  return 0;
}
