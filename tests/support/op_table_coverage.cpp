// The op table's coverage check (tests/support/op_table_manifest.h), linked into the core and GPU
// test binaries. While a test the manifest names runs, every kernel run is recorded (op, device,
// the dtypes of its inputs and outputs) through the op door's profiler hook; when the test passed,
// each op its entries declare must have run on the entry's device in each declared dtype, so the
// manifest (and docs/ops.md, printed from it) cannot claim a check that did not run. A test that
// skipped (no GPU) records nothing and claims nothing. The verdict is given in a global
// Environment's TearDown, where a failure fails the program (CTest runs each test in its own
// process, so the check of a test happens in that test's process).
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

#include "tapeflow/core/op_profiler.h"
#include "tapeflow/tapeflow.h"
#include "tests/support/op_table_manifest.h"

namespace tapeflow::testing::op_table {
namespace {

class CoverageRecorder final : public OpProfiler {
 public:
  void op_ran(const OpDef& op, Device device, std::span<const Tensor> inputs, std::span<const Tensor> outputs, int64_t,
              int64_t) override {
    std::lock_guard lock(mu_);
    auto& dtypes = ran_[{op.name, device.is_cpu() ? On::kCpu : On::kGpu}];
    for (const Tensor& t : inputs) dtypes.insert(std::string(dtype_name(t.dtype())));
    for (const Tensor& t : outputs) dtypes.insert(std::string(dtype_name(t.dtype())));
  }
  /// Everything recorded, one line per op and device (TAPEFLOW_OP_TABLE_DUMP=1 prints it for every
  /// test: how a new test's manifest entry is drafted).
  std::string dump() {
    std::lock_guard lock(mu_);
    std::ostringstream out;
    for (const auto& [key, dtypes] : ran_) {
      out << "  " << key.first << (key.second == On::kCpu ? " CPU:" : " GPU:");
      for (const std::string& dt : dtypes) out << " " << dt;
      out << "\n";
    }
    return out.str();
  }
  void clear() {
    std::lock_guard lock(mu_);
    ran_.clear();
  }
  /// The declared (op, dtype) pairs of `test` that did not run, one line each; empty when all did.
  std::string missing(std::string_view test) {
    std::lock_guard lock(mu_);
    std::ostringstream out;
    for (const Coverage& c : kCoverage) {
      if (c.test != test) continue;
      for (const std::string& op : split(c.ops)) {
        auto it = ran_.find({op, c.device});
        for (const std::string& dt : split(c.dtypes))
          if (it == ran_.end() || !it->second.count(dt))
            out << "  " << op << " in " << dt << " on " << (c.device == On::kCpu ? "CPU" : "GPU") << "\n";
      }
    }
    return out.str();
  }

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, On>, std::set<std::string>> ran_;
};

CoverageRecorder& recorder() {
  static CoverageRecorder* r = new CoverageRecorder;  // never destroyed: a pool thread may be inside op_ran
  return *r;
}

std::string full_name(const ::testing::TestInfo& t) { return std::string(t.test_suite_name()) + "." + t.name(); }

bool in_manifest(std::string_view test) {
  for (const Coverage& c : kCoverage)
    if (c.test == test) return true;
  return false;
}

std::string& verdicts() {
  static std::string v;
  return v;
}

bool dumping() {
  static const bool d = std::getenv("TAPEFLOW_OP_TABLE_DUMP") != nullptr;
  return d;
}

class CoverageListener : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo& t) override {
    if (!dumping() && !in_manifest(full_name(t))) return;
    recorder().clear();
    set_op_profiler(&recorder());
  }
  void OnTestEnd(const ::testing::TestInfo& t) override {
    const std::string name = full_name(t);
    if (!dumping() && !in_manifest(name)) return;
    set_op_profiler(nullptr);
    if (dumping()) std::cout << "op table dump: " << name << "\n" << recorder().dump();
    const ::testing::TestResult& r = *t.result();
    if (r.Skipped() || r.Failed()) return;
    const std::string missing = recorder().missing(name);
    if (missing.empty()) return;
    const std::string v = "op table: " + name + " passed, but tests/support/op_table_manifest.h declares ops it did " +
                          "not run:\n" + missing;
    std::cerr << v;
    verdicts() += v;
  }
};

class CoverageVerdict : public ::testing::Environment {
  void TearDown() override {
    if (!verdicts().empty()) ADD_FAILURE() << verdicts();
  }
};

[[maybe_unused]] const bool g_installed = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new CoverageListener);
  ::testing::AddGlobalTestEnvironment(new CoverageVerdict);
  return true;
}();

}  // namespace
}  // namespace tapeflow::testing::op_table
