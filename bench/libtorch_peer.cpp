// The libtorch side of bench/core_bench.cpp's figures, built by bench/run_core.sh against the
// libtorch that ships inside PyPI's torch package. Same measurement method as core_bench.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <vector>

namespace {
double median_ns(int reps, int inner, const std::function<void()>& fn) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto s = std::chrono::steady_clock::now();
    for (int i = 0; i < inner; ++i) fn();
    t.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - s).count() / inner);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}
}  // namespace

int main() {
  auto a = torch::ones({16});
  auto b = torch::ones({16});
  torch::Tensor c;
  for (int i = 0; i < 10000; ++i) c = torch::add(a, b);
  double ns = median_ns(51, 20000, [&] { c = torch::add(a, b); });
  std::cout << "tiny_add_libtorch " << ns << " ns\n";
  return 0;
}
