// CPU-vs-GPU parity of the fused training ops (core/ops/training.h): every optimizer variant
// updates the same variables and slots on CPU:0 and on GPU:0 for three steps. The variable set
// mixes sizes below and above a CUDA block's chunk (16384 elements), an empty variable, and
// more variables than one launch takes (ops::kFusedApplyMaxTensors), so the launch splitting
// and the block table are exercised.
#include <functional>

#include "tapeflow/core/ops/training.h"
#include "tests/gpu/gpu_test_util.h"

namespace {
using namespace tapeflow::testing;

using Vars = std::vector<tf::Variable>;
using Grads = std::vector<tf::Tensor>;

std::vector<tf::Shape> variable_shapes() {
  std::vector<tf::Shape> shapes = {{784, 100}, {100}, {16384}, {16385}, {0}, {3, 5}};
  while (shapes.size() < std::size_t(tf::ops::kFusedApplyMaxTensors) + 3)
    shapes.push_back({int64_t(shapes.size()) * 7});
  return shapes;
}

/// The variables, `slot_lists` lists of slots (positive values: Adagrad/RMSprop accumulators
/// must stay >= 0) and three steps of gradients, on one device.
struct State {
  Vars vars;
  std::vector<Vars> slots;
  std::vector<Grads> grads;  // per step

  /// Built under a scope of `device`, where Variables are created.
  State(tf::DType dt, int slot_lists, tf::Device device) {
    tf::DeviceScope on(device);
    const auto shapes = variable_shapes();
    uint32_t seed = 100;
    for (const auto& s : shapes) vars.emplace_back(random_cpu(s, dt, seed++).to(device));
    slots.resize(std::size_t(slot_lists));
    for (auto& list : slots)
      for (const auto& s : shapes) list.emplace_back(random_cpu(s, dt, seed++, Range::kPositive).to(device));
    for (int step = 0; step < 3; ++step) {
      grads.emplace_back();
      for (const auto& s : shapes) grads.back().push_back(random_cpu(s, dt, seed++).to(device));
    }
  }
};

void expect_states_match(const State& cpu, const State& gpu, double tol, const std::string& what) {
  for (std::size_t k = 0; k < cpu.vars.size(); ++k) {
    expect_same(cpu.vars[k], gpu.vars[k], tol, what + " var " + std::to_string(k));
    for (std::size_t l = 0; l < cpu.slots.size(); ++l)
      expect_same(cpu.slots[l][k], gpu.slots[l][k], tol,
                  what + " slot " + std::to_string(l) + " of var " + std::to_string(k));
  }
}

/// Runs `step(state, grads)` three times on both devices (each under its own scope) and
/// compares everything. `init` adjusts both states first.
void expect_update_parity(int slot_lists, const std::function<void(State&, const Grads&)>& step,
                          const std::string& name, const std::function<void(State&)>& init = {}) {
  for (tf::DType dt : {tf::float32, tf::float64}) {
    State cpu(dt, slot_lists, tf::kCPU0), gpu(dt, slot_lists, tf::kGPU0);
    if (init) init(cpu), init(gpu);
    for (int s = 0; s < 3; ++s) {
      {
        tf::DeviceScope on("CPU:0");
        step(cpu, cpu.grads[std::size_t(s)]);
      }
      {
        tf::DeviceScope on("GPU:0");
        step(gpu, gpu.grads[std::size_t(s)]);
      }
    }
    ASSERT_EQ(gpu.vars[0].read_value().device().type(), tf::DeviceType::kGPU) << name;
    expect_states_match(cpu, gpu, dt == tf::float32 ? 1e-5 : 1e-12, name + " " + str(dt));
  }
}

TEST_F(GpuTest, FusedGradientDescentParity) {
  expect_update_parity(
      0,
      [](State& s, const Grads& g) {
        tf::training::apply_gradient_descent(s.vars, g, {.learning_rate = 0.1, .weight_decay = 0.01});
      },
      "gradient descent");
}

TEST_F(GpuTest, FusedKerasMomentumParity) {
  for (bool nesterov : {false, true})
    expect_update_parity(
        1,
        [=](State& s, const Grads& g) {
          tf::training::apply_keras_momentum(s.vars, s.slots[0], g,
                                             {.learning_rate = 0.05, .momentum = 0.9, .nesterov = nesterov});
        },
        nesterov ? "nesterov momentum" : "momentum");
}

TEST_F(GpuTest, FusedAdamParity) {
  expect_update_parity(
      2,
      [](State& s, const Grads& g) {
        tf::training::apply_adam(s.vars, s.slots[0], s.slots[1], {}, g, {.learning_rate = 0.01, .weight_decay = 0.004});
      },
      "adam");
  expect_update_parity(
      3,
      [](State& s, const Grads& g) {
        tf::training::apply_adam(s.vars, s.slots[0], s.slots[1], s.slots[2], g, {.learning_rate = 0.01});
      },
      "amsgrad");
}

// Note [Rates as inputs]: on GPU:0 the rates come as float64 device scalars (what a traced
// optimizer step passes), read by the kernel itself; on CPU:0 as attributes. Same updates.
TEST_F(GpuTest, FusedRatesAsDeviceScalarsParity) {
  auto f64 = [](double x) { return tf::constant(x, tf::float64); };  // on the scope's device
  auto on_gpu = [](const State& s) { return s.vars[0].read_value().device().type() == tf::DeviceType::kGPU; };
  expect_update_parity(
      2,
      [&](State& s, const Grads& g) {
        tf::training::AdamOptions o{
            .learning_rate = 0.01, .beta_1_power = 0.81, .beta_2_power = 0.998001, .weight_decay = 0.004};
        if (on_gpu(s)) o.rates = {.learning_rate = f64(0.01), .beta_1_power = f64(0.81), .beta_2_power = f64(0.998001)};
        tf::training::apply_adam(s.vars, s.slots[0], s.slots[1], {}, g, o);
      },
      "adam with rate inputs");
  expect_update_parity(
      1,
      [&](State& s, const Grads& g) {
        tf::training::KerasMomentumOptions o{.learning_rate = 0.05, .momentum = 0.9, .weight_decay = 0.01};
        if (on_gpu(s)) o.rates = {.learning_rate = f64(0.05)};
        tf::training::apply_keras_momentum(s.vars, s.slots[0], g, o);
      },
      "momentum with rate inputs");
}

TEST_F(GpuTest, FusedAdagradParity) {
  expect_update_parity(
      1, [](State& s, const Grads& g) { tf::training::apply_adagrad(s.vars, s.slots[0], g, {.learning_rate = 0.05}); },
      "adagrad");
}

TEST_F(GpuTest, FusedRMSpropParity) {
  expect_update_parity(
      1,
      [](State& s, const Grads& g) {
        tf::training::apply_rms_prop(s.vars, s.slots[0], {}, {}, g, {.learning_rate = 0.01});
      },
      "rmsprop");
  expect_update_parity(
      2,
      [](State& s, const Grads& g) {
        tf::training::apply_rms_prop(s.vars, s.slots[0], {}, s.slots[1], g, {.learning_rate = 0.01, .momentum = 0.9});
      },
      "rmsprop momentum");
  // Centered: the gradient average mg (slot 1) starts at 0 as Keras's does, so the
  // denominator ms - mg^2 + eps stays positive (ms starts in [0.5, 3], |g| <= 3).
  auto zero_mg = [](State& s) {
    for (auto& mg : s.slots[1]) mg.assign(tf::zeros_like(mg.read_value()));
  };
  expect_update_parity(
      3,
      [](State& s, const Grads& g) {
        tf::training::apply_rms_prop(s.vars, s.slots[0], s.slots[1], s.slots[2], g,
                                     {.learning_rate = 0.01, .momentum = 0.5});
      },
      "rmsprop centered momentum", zero_mg);
}

}  // namespace
