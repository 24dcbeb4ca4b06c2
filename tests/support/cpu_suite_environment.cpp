// Pins the CPU test suites (core, autograd, nn) to CPU:0. On a GPU host an op without a scope
// goes to GPU:0, but these suites assert CPU behaviour (CPU:0 buffer counts, the CPU kernels'
// errors, float32 tolerances without TF32); the GPU's behaviour is tests/gpu's job. Linked into
// those three binaries only: a gtest global Environment holds a DeviceScope("CPU:0") on the main
// thread for the whole run. Threads a test starts begin without a scope (DeviceScope is
// thread-local); library threads that run ops inherit their creator's scope.
#include <gtest/gtest.h>

#include <memory>

#include "tapeflow/core/device.h"

namespace {

class CpuSuiteEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { scope_ = std::make_unique<tapeflow::DeviceScope>("CPU:0"); }
  void TearDown() override { scope_.reset(); }

 private:
  std::unique_ptr<tapeflow::DeviceScope> scope_;
};

// A static registration is fine here: this file is compiled into each test executable itself,
// not into a library a linker could drop it from.
[[maybe_unused]] ::testing::Environment* const g_cpu_suite_environment =
    ::testing::AddGlobalTestEnvironment(new CpuSuiteEnvironment);

}  // namespace
