// The libtorch (C++ eager) peer of bench/mlp_epoch.cpp, built by bench/run_mlp_epoch.sh against
// the libtorch inside PyPI's torch package: the same model, optimizer, loss and batching as
// bench/mlp_epoch_torch.py (randperm + index_select per batch, the data on the device).
// Usage: mlp_epoch_libtorch [epochs] [threads]. Prints
// "mlp_epoch libtorch <device> <batch> <median ms> <min ms>".
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

std::vector<double> time_epochs(const torch::Tensor& x, const torch::Tensor& y, int64_t batch_size, int epochs,
                                torch::Device device) {
  torch::manual_seed(0);
  torch::nn::Sequential model(torch::nn::Flatten(), torch::nn::Linear(784, 100), torch::nn::ReLU(),
                              torch::nn::Linear(100, 10));
  model->to(device);
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3).eps(1e-7));
  const int64_t n = x.size(0);
  std::vector<double> ms;
  for (int epoch = 0; epoch <= epochs; ++epoch) {  // the first epoch warms up
    auto start = std::chrono::steady_clock::now();
    auto perm = torch::randperm(n, torch::TensorOptions().dtype(torch::kLong).device(device));
    torch::Tensor loss;
    for (int64_t i = 0; i < n; i += batch_size) {
      auto idx = perm.slice(0, i, std::min(n, i + batch_size));
      loss = torch::nn::functional::cross_entropy(model->forward(x.index_select(0, idx)), y.index_select(0, idx));
      opt.zero_grad(true);
      loss.backward();
      opt.step();
    }
    (void)loss.item<float>();  // waits for the device's queue
    if (epoch > 0)
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 5;
  if (argc > 2) torch::set_num_threads(std::atoi(argv[2]));
  // Timing does not depend on pixel values: uniform noise of Fashion-MNIST's shape.
  auto x_cpu = torch::rand({60000, 28, 28});
  auto y_cpu = torch::randint(0, 10, {60000}, torch::kLong);
  std::vector<torch::Device> devices{torch::kCPU};
  if (torch::cuda::is_available()) devices.emplace_back(torch::kCUDA, 0);
  for (const torch::Device& device : devices) {
    auto x = x_cpu.to(device), y = y_cpu.to(device);
    for (int64_t b : {32, 256}) {
      std::vector<double> ms = time_epochs(x, y, b, epochs, device);
      std::sort(ms.begin(), ms.end());
      std::printf("mlp_epoch libtorch %s %lld %.1f %.1f\n", device.is_cpu() ? "CPU:0" : "GPU:0",
                  static_cast<long long>(b), ms[ms.size() / 2], ms.front());
      std::fflush(stdout);
    }
  }
  return 0;
}
