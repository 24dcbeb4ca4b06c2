// The op table's audit (issue 18): every op registered with a kernel has a row — a CPU entry of
// tests/support/op_table_manifest.h whose test exists in this binary (and runs: each entry is
// verified by the test it names, support/op_table_coverage.cpp) — and every CPU entry names a test
// that exists, so a renamed or deleted test cannot leave a claim behind. An op with a CUDA kernel
// must also have a GPU entry; those are verified where a GPU runs them (tests/gpu).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "tapeflow/tapeflow.h"
#include "tests/support/op_table_manifest.h"

namespace {

namespace ot = tapeflow::testing::op_table;

std::set<std::string> tests_in_this_binary() {
  std::set<std::string> names;
  const ::testing::UnitTest& u = *::testing::UnitTest::GetInstance();
  for (int i = 0; i < u.total_test_suite_count(); ++i) {
    const ::testing::TestSuite& s = *u.GetTestSuite(i);
    for (int j = 0; j < s.total_test_count(); ++j) names.insert(std::string(s.name()) + "." + s.GetTestInfo(j)->name());
  }
  return names;
}

std::set<std::string> ops_of(ot::On device) {
  std::set<std::string> ops;
  for (const ot::Coverage& c : ot::kCoverage)
    if (c.device == device)
      for (const std::string& op : ot::split(c.ops)) ops.insert(op);
  return ops;
}

TEST(OpTableAudit, EveryOpWithAKernelHasARow) {
  const std::set<std::string> cpu = ops_of(ot::On::kCpu), gpu = ops_of(ot::On::kGpu);
  int audited = 0;
  for (tf::OpDef* op : tf::registered_ops()) {
    const bool has_cpu = op->kernels[static_cast<int>(tf::DeviceType::kCPU)] != nullptr;
    const bool has_gpu = op->kernels[static_cast<int>(tf::DeviceType::kGPU)] != nullptr;
    if (!has_cpu && !has_gpu) continue;  // declared, not runnable (Const is folded, Pack runs ConcatV2)
    ++audited;
    EXPECT_TRUE(cpu.count(op->name)) << op->name << " has a kernel but no row: add its check to the op table "
                                     << "and its entry to tests/support/op_table_manifest.h";
    if (has_gpu) EXPECT_TRUE(gpu.count(op->name)) << op->name << " has a CUDA kernel but no GPU row in the manifest";
  }
  EXPECT_GT(audited, 100);
}

TEST(OpTableAudit, EveryCpuEntryNamesATestOfThisBinary) {
  const std::set<std::string> tests = tests_in_this_binary();
  for (const ot::Coverage& c : ot::kCoverage) {
    if (c.device != ot::On::kCpu) continue;
    EXPECT_TRUE(tests.count(std::string(c.test))) << "the manifest names " << c.test << ", which tests/core lacks";
    for (const std::string& op : ot::split(c.ops)) EXPECT_NE(tf::find_op(op), nullptr) << c.test << " names " << op;
    for (const std::string& dt : ot::split(c.dtypes)) EXPECT_NO_THROW(tf::dtype_from_name(dt)) << c.test << ": " << dt;
  }
}

}  // namespace
