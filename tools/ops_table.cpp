// Prints docs/ops.md from the op registry: for every registered op, the files of its definition,
// CPU kernel, CUDA kernel and gradient rule (each recorded by its registration) and the test
// files of its family (the op table's rows first: tests/core/op_table_<family>_test.cpp). Every
// row must share one stem (STYLE.md 1): with --check, a row whose files do not is an error (exit 1).
// The dtype columns and the row tests come from the op table's manifest
// (tests/support/op_table_manifest.h): the dtypes of the inputs and outputs each op is checked in
// against its reference, on CPU:0 and on GPU:0, verified whenever those tests run.
//   ops_table <source dir> [--check]
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/tapeflow.h"
#include "tests/support/op_table_manifest.h"

namespace {
namespace fs = std::filesystem;

/// "…/tapeflow/kernels/cpu/conv.cpp" -> "kernels/cpu/conv.cpp" (relative to tapeflow/).
std::string relative(const char* path) {
  if (!path) return {};
  std::string p(path);
  const std::size_t at = p.rfind("tapeflow/");
  return at == std::string::npos ? p : p.substr(at + 9);
}
/// "kernels/cpu/conv.cpp" -> "conv".
std::string stem_of(const std::string& rel) { return rel.empty() ? std::string() : fs::path(rel).stem().string(); }
std::string cell(const std::string& rel) { return rel.empty() ? "—" : "`" + rel + "`"; }

namespace ot = tapeflow::testing::op_table;

/// The dtypes `op` is checked in on `device` by the op table, in TF's usual order ("—": none).
std::string dtypes_checked(const std::string& op, ot::On device) {
  std::set<std::string> seen;
  for (const ot::Coverage& c : ot::kCoverage) {
    if (c.device != device) continue;
    const std::vector<std::string> ops = ot::split(c.ops);
    if (std::find(ops.begin(), ops.end(), op) == ops.end()) continue;
    for (const std::string& dt : ot::split(c.dtypes)) seen.insert(dt);
  }
  std::string out;
  for (const char* dt :
       {"float64", "float32", "float16", "bfloat16", "int8", "uint8", "int32", "int64", "bool", "string"})
    if (seen.count(dt)) out += (out.empty() ? "" : " ") + std::string(dt);
  return out.empty() ? "—" : out;
}

/// The CPU tests whose rows check `op` (their GoogleTest names).
std::string row_tests(const std::string& op) {
  std::string out;
  for (const ot::Coverage& c : ot::kCoverage) {
    const std::vector<std::string> ops = ot::split(c.ops);
    if (c.device != ot::On::kCpu || std::find(ops.begin(), ops.end(), op) == ops.end()) continue;
    const std::string name = "`" + std::string(c.test) + "`";
    if (out.find(name) == std::string::npos) out += (out.empty() ? "" : ", ") + name;
  }
  return out.empty() ? "—" : out;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: ops_table <source dir> [--check]\n";
    return 2;
  }
  const fs::path source = argv[1];
  const bool check = argc > 2 && std::string(argv[2]) == "--check";
  int mismatches = 0;

  std::cout << "# Ops: where each one lives\n\n"
               "Generated from the op registry by `tools/ops_table` (do not edit: `cmake --build build --target "
               "ops_doc` rewrites it; the test `ops_doc_up_to_date` fails when it is stale). Each row is one "
               "registered TF op; its definition, kernels, gradient rule and tests share one stem, the op's "
               "family (STYLE.md 1). `—`: none (no CUDA kernel: the op runs on CPU:0, as TF's host ops do). "
               "The op table (issue 18, `tests/support/op_table_manifest.h`) checks each op against an "
               "independent reference in the dtypes listed (of its inputs and outputs), on CPU:0 by the row "
               "tests named and on GPU:0 by their twins in `tests/gpu` (`GpuTest.OpTable...`, which skip without a "
               "GPU, so the GPU column holds only where a GPU ran them); a test fails "
               "when an op it lists did not run in a dtype it lists, and `OpTableAudit` fails for an op "
               "without a row.\n\n"
               "| op | family | definition (`tapeflow/`) | CPU kernel | CUDA kernel | gradient | checked on CPU:0 | "
               "checked on GPU:0 | op-table rows | tests (`tests/`) |\n"
               "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (tapeflow::OpDef* op : tapeflow::registered_ops()) {
    const std::string def = relative(op->defined_in);
    const std::string family = stem_of(def);
    const std::string cpu = relative(op->kernel_defined_in[static_cast<int>(tapeflow::DeviceType::kCPU)]);
    const std::string gpu = relative(op->kernel_defined_in[static_cast<int>(tapeflow::DeviceType::kGPU)]);
    const std::string grad = relative(op->gradient_defined_in);
    std::string grad_cell = cell(grad);
    if (!grad.empty() && tapeflow::autograd::is_not_differentiable(*op)) grad_cell += " (not differentiable)";
    std::string tests;
    for (const char* t : {"core/op_table_%_test.cpp", "core/%_test.cpp", "autograd/%_grad_test.cpp",
                          "autograd/%_test.cpp", "graph/%_test.cpp", "gpu/op_table_%_test.cpp", "gpu/%_test.cpp"}) {
      std::string rel(t);
      rel.replace(rel.find('%'), 1, family);
      if (fs::exists(source / "tests" / rel)) tests += (tests.empty() ? "`" : ", `") + rel + "`";
    }
    std::cout << "| " << op->name << " | " << family << " | " << cell(def) << " | " << cell(cpu) << " | " << cell(gpu)
              << " | " << grad_cell << " | " << dtypes_checked(op->name, ot::On::kCpu) << " | "
              << dtypes_checked(op->name, ot::On::kGpu) << " | " << row_tests(op->name) << " | "
              << (tests.empty() ? "—" : tests) << " |\n";
    for (const std::string& f : {cpu, gpu, grad}) {
      if (!f.empty() && stem_of(f) != family) {
        std::cerr << "ops_table: " << op->name << " is defined in " << def << " but registered in " << f
                  << ": the stems differ\n";
        ++mismatches;
      }
    }
    if (tests.empty()) {
      std::cerr << "ops_table: " << op->name << " (family " << family << ") has no test file of its stem\n";
      ++mismatches;
    }
  }
  return check && mismatches ? 1 : 0;
}
