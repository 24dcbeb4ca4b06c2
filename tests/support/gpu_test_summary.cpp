// Makes a GPU run prove that its GPU tests ran: at the end of the run the GPU test binary prints
//   GPU test summary: <ran> ran, <skipped> skipped, <failed> failed, <total> total
// (tools/gpu_run.sh fails the GPU check on any skip or on zero tests run). Without a GPU every
// GpuTest skips, so the line says so plainly instead of a green "PASSED".
#include <gtest/gtest.h>

#include <cstdio>

namespace {

class GpuTestSummary : public ::testing::EmptyTestEventListener {
 public:
  void OnTestEnd(const ::testing::TestInfo& info) override {
    const ::testing::TestResult* r = info.result();
    if (r->Skipped())
      ++skipped_;
    else if (r->Failed())
      ++failed_;
    else
      ++ran_;
  }
  void OnTestProgramEnd(const ::testing::UnitTest&) override {
    std::printf("GPU test summary: %d ran, %d skipped, %d failed, %d total\n", ran_, skipped_, failed_,
                ran_ + skipped_ + failed_);
    std::fflush(stdout);
  }

 private:
  int ran_ = 0, skipped_ = 0, failed_ = 0;
};

// Registered from this executable's own translation unit (never dropped by a linker); gtest
// does not print listener output for --gtest_list_tests, so test discovery is unaffected.
[[maybe_unused]] const bool g_registered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new GpuTestSummary);
  return true;
}();

}  // namespace
