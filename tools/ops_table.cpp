// Prints docs/ops.md from the op registry: for every registered op, the files of its definition,
// CPU kernel, CUDA kernel and gradient rule (each recorded by its registration) and the test
// files of its family (the op table's rows first: tests/core/op_table_<family>_test.cpp). Every
// row must share one stem (STYLE.md 1): with --check, a row whose files do not is an error (exit 1).
//   ops_table <source dir> [--check]
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "tapeflow/autograd/gradient_registry.h"
#include "tapeflow/tapeflow.h"

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
               "family (STYLE.md 1). `—`: none (no CUDA kernel: the op runs on CPU:0, as TF's host ops do).\n\n"
               "| op | family | definition (`tapeflow/`) | CPU kernel | CUDA kernel | gradient | tests (`tests/`) |\n"
               "| --- | --- | --- | --- | --- | --- | --- |\n";
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
              << " | " << grad_cell << " | " << (tests.empty() ? "—" : tests) << " |\n";
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
