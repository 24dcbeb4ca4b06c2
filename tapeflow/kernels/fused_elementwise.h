// The register plan of a _FusedElementwise program, shared by the CPU and CUDA kernels: each
// step's result gets a scratch register (a block of elements on CPU, a scalar on GPU), reused
// once every step that reads it has run; the last step writes the output directly.
#pragma once
#include <vector>

#include "tapeflow/core/ops/fused_elementwise.h"

namespace tapeflow::kernels {

struct ElementwisePlan {
  std::vector<int> reg;  // step j -> its scratch register (-1: the last step, which writes the output)
  int num_regs = 0;
};

inline ElementwisePlan plan_elementwise_registers(const std::vector<ops::ElementwiseStep>& program, int num_inputs) {
  const int steps = static_cast<int>(program.size());
  std::vector<int> last_read(static_cast<std::size_t>(steps), -1);  // step j's result: last step reading it
  for (int j = 0; j < steps; ++j)
    for (int operand : {program[static_cast<std::size_t>(j)].a, program[static_cast<std::size_t>(j)].b})
      if (operand >= num_inputs) last_read[static_cast<std::size_t>(operand - num_inputs)] = j;
  ElementwisePlan plan;
  plan.reg.assign(static_cast<std::size_t>(steps), -1);
  std::vector<int> free_after;  // register -> the step after which it is free
  for (int j = 0; j + 1 < steps; ++j) {
    int r = -1;
    // A register whose value's last reader is an earlier step (not this one: a step may read and
    // write the same element index, but its operands must stay intact while it runs a block).
    for (std::size_t k = 0; k < free_after.size(); ++k)
      if (free_after[k] < j) {
        r = static_cast<int>(k);
        break;
      }
    if (r < 0) {
      r = static_cast<int>(free_after.size());
      free_after.push_back(0);
    }
    free_after[static_cast<std::size_t>(r)] =
        last_read[static_cast<std::size_t>(j)] < 0 ? j : last_read[static_cast<std::size_t>(j)];
    plan.reg[static_cast<std::size_t>(j)] = r;
  }
  plan.num_regs = static_cast<int>(free_after.size());
  return plan;
}

}  // namespace tapeflow::kernels
