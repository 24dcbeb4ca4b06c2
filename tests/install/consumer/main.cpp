// Built against the installed package: proves headers, library and CMake config are complete.
#include <tapeflow/tapeflow.h>

#include <iostream>

int main() {
  auto a = tf::constant({{1.f, 2.f}, {3.f, 4.f}});
  auto b = a * 2.f + 1.f;
  tf::Variable v(tf::constant({1.f, 2.f}), {.name = "v"});
  v.assign_add(tf::constant({1.f, 1.f}));
  std::cout << "sum=" << b.to_vector<float>()[3] << " var=" << v.name() << " " << v.to_vector<float>()[1] << "\n";
  return b.to_vector<float>()[3] == 9.f && v.to_vector<float>()[1] == 3.f ? 0 : 1;
}
