// The GPU half of the op table's audit (tests/core/op_table_audit_test.cpp has the CPU half): every
// GPU entry of tests/support/op_table_manifest.h names a test of this binary and registered ops, so
// a renamed GPU test cannot leave a claim behind. Runs without a GPU; the entries themselves are
// verified where a GPU runs their tests (support/op_table_coverage.cpp).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tapeflow/tapeflow.h"
#include "tests/support/op_table_manifest.h"

namespace {
namespace ot = tapeflow::testing::op_table;

TEST(OpTableAudit, EveryGpuEntryNamesATestOfThisBinary) {
  std::set<std::string> tests;
  const ::testing::UnitTest& u = *::testing::UnitTest::GetInstance();
  for (int i = 0; i < u.total_test_suite_count(); ++i) {
    const ::testing::TestSuite& s = *u.GetTestSuite(i);
    for (int j = 0; j < s.total_test_count(); ++j) tests.insert(std::string(s.name()) + "." + s.GetTestInfo(j)->name());
  }
  int entries = 0;
  for (const ot::Coverage& c : ot::kCoverage) {
    if (c.device != ot::On::kGpu) continue;
    ++entries;
    EXPECT_TRUE(tests.count(std::string(c.test))) << "the manifest names " << c.test << ", which tests/gpu lacks";
    for (const std::string& op : ot::split(c.ops)) EXPECT_NE(tf::find_op(op), nullptr) << c.test << " names " << op;
  }
  EXPECT_GT(entries, 20);
}

}  // namespace
