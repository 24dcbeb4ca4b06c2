// TF2's device-placement guide in Tapeflow: tensors created under CPU:0, a matmul placed by the
// default rule (GPU:0 when present), and a multiply pinned to GPU:0 with a DeviceScope.
// Placement logging prints the device each op ran on. Without a GPU the program says so and
// lets soft placement run everything on CPU:0.
#include <iostream>

#include <tapeflow/tapeflow.h>

int main() {
  auto gpus = tf::config::list_physical_devices("GPU");
  std::cout << "Num GPUs Available: " << gpus.size() << "\n";
  for (const auto& gpu : gpus) {
    std::cout << "  " << gpu.name;
    for (const auto& [key, value] : gpu.details) std::cout << " " << key << "=" << value;
    std::cout << "\n";
  }
  // Soft placement is on by default, as in TF2: without a GPU the GPU:0 ops run on CPU:0.
  if (gpus.empty()) std::cout << "No GPU here: soft device placement runs the GPU:0 ops on CPU:0 instead.\n";
  tf::debugging::set_log_device_placement(true);

  tf::Tensor a, b;
  {
    tf::DeviceScope on("/CPU:0");  // with tf.device('/CPU:0'):
    a = tf::constant({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
    b = tf::constant({{1.0f, 2.0f}, {3.0f, 4.0f}, {5.0f, 6.0f}});
  }
  std::cout << "a on " << a.device() << ", b on " << b.device() << "\n";
  auto c = tf::matmul(a, b);  // no scope: GPU:0 when present; inputs are copied there implicitly
  std::cout << c << "\n";
  std::cout << "matmul ran on " << c.device() << "\n";

  tf::Tensor d;
  {
    tf::DeviceScope on("GPU:0");  // with tf.device('GPU:0'):
    d = a * tf::constant({1.0f, 2.0f, 3.0f});
  }
  std::cout << d << "\n";
  std::cout << "multiply ran on " << d.device() << "\n";
  return 0;
}
