// The registry audit: every op registered with register_op that can run must be accounted for
// by autograd, so CI fails when a differentiable op arrives without a gradient check:
//   - marked not differentiable (register_not_differentiable), or
//   - covered by a GRADIENT_CHECK_TEST in this folder (which needs a gradient rule to pass), or by
//     a GPU_GRADIENT_CHECK_TEST where a GPU is present: a check that skips here does not count
//     (without a GPU, an op whose only check needs one is reported, not counted as covered), or
//   - listed below as still awaiting a gradient rule (and then it must really have none).
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <string>

#include "tapeflow/autograd/gradient_registry.h"
#include "tests/autograd/gradient_check.h"

namespace {

// Ops still without gradient rules although TF has them: a tape that reaches one raises
// tf::LookupError naming it. Empty now: every sparse and ragged op TF differentiates has its rule
// (grads/sparse.cpp, grads/ragged.cpp), and FusedBatchNormGradV3 has TF's _FusedBatchNormGradGrad.
// The ops TF does not differentiate are marked with register_not_differentiable instead (the
// samplers, OneHot, the string ops, StopGradient): their audit status is "not differentiable".
// While (tf::while_loop traced in a Function, graph/control_flow.cpp) awaits TF's while
// gradient (a backward loop over saved iterations); eager while_loop is differentiable.
// _CudnnRNNGrad (the fused recurrent layers' gradient) has none either, as TF's CudnnRNNBackpropV3:
// no second order through a fused LSTM/GRU/SimpleRNN.
const std::set<std::string> kAwaitingGradient = {"While", "_CudnnRNNGrad"};
// Ops that only the graph optimizer makes, in the optimized copy of a traced graph that the
// executor runs, never where a tape records: a Function's backward replays its traced graph
// (graph/call_op.cpp), so they need no rule (Note [Elementwise fusion]). A tape that reached one
// (a direct call of ops::fused_elementwise) raises LookupError naming it, as for kAwaitingGradient.
const std::set<std::string> kOnlyInOptimizedGraphs = {"_FusedElementwise"};

bool has_kernel(const tf::OpDef& op) {
  return std::any_of(std::begin(op.kernels), std::end(op.kernels), [](tf::KernelFn k) { return k != nullptr; });
}

enum class Status { kNoRule, kNotDifferentiable, kRule };
Status status_of(const tf::OpDef& op) {
  try {
    return tf::autograd::gradient_function(op) ? Status::kRule : Status::kNotDifferentiable;
  } catch (const tf::LookupError&) { return Status::kNoRule; }
}

TEST(GradientRegistryAudit, EveryDifferentiableOpHasAGradientCheck) {
  const auto& checked = tf::testing::gradient_checked_ops();
  const auto& gpu_checked = tf::testing::gpu_gradient_checked_ops();
  const bool has_gpu = !tf::config::list_physical_devices("GPU").empty();
  int audited = 0, covered = 0;
  std::string only_on_gpu;
  for (tf::OpDef* op : tf::registered_ops()) {
    if (!has_kernel(*op)) continue;  // declared but not runnable yet (e.g. Pack: stack runs ConcatV2)
    ++audited;
    const std::string name = op->name;
    const Status s = status_of(*op);
    if (kOnlyInOptimizedGraphs.count(name)) {
      EXPECT_EQ(s, Status::kNoRule) << name << " now has a gradient rule: add a GRADIENT_CHECK_TEST for it";
      continue;
    }
    if (kAwaitingGradient.count(name)) {
      EXPECT_EQ(s, Status::kNoRule) << name << " now has a gradient rule: add a GRADIENT_CHECK_TEST for it and "
                                    << "remove it from kAwaitingGradient";
      continue;
    }
    if (s == Status::kNotDifferentiable) {
      EXPECT_FALSE(checked.count(name) || gpu_checked.count(name))
          << name << " is marked not differentiable but has a gradient check";
      continue;
    }
    if (checked.count(name) || (has_gpu && gpu_checked.count(name))) {
      ++covered;
      continue;
    }
    if (gpu_checked.count(name)) {  // its only check skips on this machine: not covered here
      only_on_gpu += (only_on_gpu.empty() ? "" : " ") + name;
      continue;
    }
    ADD_FAILURE() << "op " << name << " is registered and "
                  << (s == Status::kRule ? "has a gradient rule" : "has no gradient rule")
                  << " but no GRADIENT_CHECK_TEST in tests/autograd covers it; add one (or mark "
                  << "it with register_not_differentiable if TF does)";
  }
  EXPECT_GT(audited, 50);
  // What this run really covered, in the test's XML output and on the console.
  ::testing::Test::RecordProperty("gradient_checked_here", covered);
  ::testing::Test::RecordProperty("checked_only_on_gpu_not_covered_here", only_on_gpu);
  if (!only_on_gpu.empty()) std::cout << "gradient checks that need a GPU, not counted here: " << only_on_gpu << "\n";
}

// Forward mode (ForwardAccumulator): an op with an explicit JVP rule (register_jvp) uses it; every
// other differentiable op derives its JVP from its gradient rule (double VJP). Both kinds are
// checked by the GRADIENT_CHECK_TESTs, whose checker also checks JVPs. The explicit ones are listed
// in the test's XML output (property "explicit_jvp_rules").
TEST(GradientRegistryAudit, EveryDifferentiableOpHasAJvp) {
  std::string explicit_rules;
  int explicit_count = 0;
  for (tf::OpDef* op : tf::registered_ops()) {
    if (!has_kernel(*op)) continue;
    const bool has_jvp_rule = tf::autograd::jvp_function(*op) != nullptr;
    if (has_jvp_rule) {
      explicit_rules += (explicit_count++ ? " " : "") + std::string(op->name);
      EXPECT_EQ(status_of(*op), Status::kRule) << op->name << " has a JVP rule but no gradient rule";
    }
  }
  ::testing::Test::RecordProperty("explicit_jvp_rules", explicit_rules);
  EXPECT_GE(explicit_count, 20) << explicit_rules;
}

TEST(GradientRegistryAudit, EveryCheckNamesARegisteredOp) {
  for (const std::string& name : tf::testing::gradient_checked_ops())
    EXPECT_NE(tf::find_op(name), nullptr) << "GRADIENT_CHECK_TEST names unknown op " << name;
  for (const std::string& name : tf::testing::gpu_gradient_checked_ops())
    EXPECT_NE(tf::find_op(name), nullptr) << "GPU_GRADIENT_CHECK_TEST names unknown op " << name;
}

}  // namespace
