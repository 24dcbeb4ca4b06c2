// The oneDNN-backed CPU kernels (Conv2D and its backprop ops, MaxPool/AvgPool and their
// gradients, FusedBatchNormV3 and its gradient) against Tapeflow's own kernels and float64 on
// awkward shapes: odd sizes, strides, dilations, SAME padding with asymmetric pads, batch 1,
// channels 1 and 3, windows larger than the input. float64 always runs the own kernels (oneDNN
// has no float64), so it is the reference; float32 runs with oneDNN on and switched off; bfloat16
// runs on oneDNN where the CPU supports it. In a build without oneDNN the same checks hold for the
// own kernels, and the tests say which path they saw.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tapeflow/kernels/cpu/onednn_runtime.h"
#include "tests/autograd/gradient_check.h"
#include "tests/core/test_util.h"

namespace {
namespace cpu = tf::kernels::cpu;
using tf::DType;

/// Uniform values in [lo, hi) rounded to bfloat16, as float64: every dtype sees the same inputs,
/// so float64's result is the exact reference for all of them.
tf::Tensor inputs(const tf::Shape& shape, unsigned seed, double lo = -1, double hi = 1) {
  return tf::cast(tf::cast(tf::testing::uniform(shape, lo, hi, seed), tf::bfloat16), tf::float64);
}

/// |got - want| <= tol * max(1, max |want|) elementwise: the error of a sum of many terms scales
/// with the magnitude of the result, not with each element (which may be near zero).
void expect_close(const tf::Tensor& got, const tf::Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const std::vector<double> g = tf::testing::values_as_double(got), w = tf::testing::values_as_double(want);
  double scale = 1;
  for (double v : w) scale = std::max(scale, std::abs(v));
  int reported = 0;
  for (std::size_t i = 0; i < g.size(); ++i)
    if (!(std::abs(g[i] - w[i]) <= tol * scale) && reported++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", want " << w[i] << " (tol " << tol * scale
                    << ")";
}

/// Runs `op` (its inputs cast to the dtype given) in float64 (reference), float32 on oneDNN,
/// float32 on the own kernels and bfloat16, and compares each with the reference. Where the build
/// has oneDNN, checks that the float32 call ran on it (or, `on_onednn` false, deliberately did
/// not) and that the switched-off one did not.
void compare_paths(const std::string& what, const std::function<tf::TensorList(DType)>& op, bool on_onednn = true,
                   double tol32 = 1e-5) {
  SCOPED_TRACE(what);
  const tf::TensorList ref = op(tf::float64);
  const int64_t before = cpu::onednn_call_count();
  const tf::TensorList on = op(tf::float32);
  if (cpu::built_with_onednn())
    EXPECT_EQ(cpu::onednn_call_count() > before, on_onednn)
        << what << (on_onednn ? " did not run" : " ran") << " on oneDNN";
  cpu::set_onednn_enabled(false);
  const int64_t off_before = cpu::onednn_call_count();
  const tf::TensorList off = op(tf::float32);
  cpu::set_onednn_enabled(true);
  EXPECT_EQ(cpu::onednn_call_count(), off_before) << "oneDNN ran while switched off";
  const tf::TensorList bf16 = op(tf::bfloat16);
  ASSERT_EQ(ref.size(), on.size());
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const std::string out = what + " output " + std::to_string(i);
    EXPECT_EQ(on[i].dtype(), tf::float32);
    expect_close(on[i], ref[i], tol32, out + " (float32, oneDNN)");
    expect_close(off[i], ref[i], tol32, out + " (float32, own kernel)");
    expect_close(on[i], off[i], 2 * tol32, out + " (oneDNN vs own kernel)");
    // Batch norm's per-channel outputs (rank 1) are float32 for bfloat16 x; the rest are x's dtype.
    EXPECT_EQ(bf16[i].dtype(), bf16[i].shape().rank() == 1 ? tf::float32 : tf::bfloat16);
    expect_close(bf16[i], ref[i], 1.6e-2, out + " (bfloat16)");
  }
}

class OneDnnKernels : public ::testing::Test {
 protected:
  void TearDown() override { cpu::set_onednn_enabled(true); }
};

TEST_F(OneDnnKernels, ReportsWhichKernelsRun) {
  const std::string info = cpu::cpu_kernels_info();
  std::cout << "CPU conv/pool/batch-norm kernels: " << info << "\n";
  EXPECT_NE(info.find(cpu::built_with_onednn() ? "oneDNN" : "own kernels"), std::string::npos) << info;
  EXPECT_EQ(cpu::onednn_enabled(), cpu::built_with_onednn());
  cpu::set_onednn_enabled(false);
  EXPECT_FALSE(cpu::onednn_enabled());
}

struct ConvShape {
  std::string name;
  tf::Shape x, f;  // (N, H, W, C), (KH, KW, C, O)
  tf::nn::WindowArg strides;
  std::string padding;
  tf::nn::WindowArg dilations;
};

std::vector<ConvShape> conv_shapes() {
  return {
      {"batch1_rgb_same", {1, 7, 5, 3}, {3, 3, 3, 4}, 1, "SAME", 1},
      {"gray_even_kernel_same_s23", {2, 9, 8, 1}, {4, 4, 1, 5}, {2, 3}, "SAME", 1},  // pads 1/2 and 2/2
      {"odd_valid_s2_dilated", {3, 11, 7, 5}, {3, 2, 5, 6}, 2, "VALID", {2, 1}},
      {"dilated3_same", {2, 10, 9, 2}, {3, 3, 2, 3}, 1, "SAME", 3},
      {"pointwise_s2_same", {2, 6, 7, 8}, {1, 1, 8, 3}, 2, "SAME", 1},
      {"kernel_as_large_as_input", {1, 5, 5, 3}, {5, 5, 3, 2}, 1, "VALID", 1},
      {"kernel_larger_than_input_same", {2, 3, 2, 1}, {5, 4, 1, 2}, 1, "SAME", 1},
      {"valid_unused_rows_s3", {2, 8, 10, 4}, {2, 3, 4, 7}, 3, "VALID", 1},  // the last rows are never read
      {"cnn_layer_16_32", {2, 13, 10, 16}, {3, 3, 16, 32}, 1, "SAME", 1},
  };
}

TEST_F(OneDnnKernels, Conv2DForwardAndBothBackpropsOnAwkwardShapes) {
  unsigned seed = 1;
  for (const ConvShape& s : conv_shapes()) {
    const tf::Tensor x = inputs(s.x, seed++), f = inputs(s.f, seed++);
    const tf::Shape y_shape = tf::nn::conv2d(x, f, s.strides, s.padding, s.dilations).shape();
    const tf::Tensor dy = inputs(y_shape, seed++);
    compare_paths("Conv2D " + s.name, [&](DType dt) -> tf::TensorList {
      return {tf::nn::conv2d(tf::cast(x, dt), tf::cast(f, dt), s.strides, s.padding, s.dilations)};
    });
    // Fewer than 4 input channels: oneDNN pads them to 16, so the own kernel runs (onednn_conv.cpp).
    compare_paths(
        "Conv2DBackpropInput " + s.name,
        [&](DType dt) -> tf::TensorList {
          return {
              tf::nn::conv2d_backprop_input(s.x, tf::cast(f, dt), tf::cast(dy, dt), s.strides, s.padding, s.dilations)};
        },
        s.x.dim(3) >= 4);
    compare_paths("Conv2DBackpropFilter " + s.name, [&](DType dt) -> tf::TensorList {
      return {
          tf::nn::conv2d_backprop_filter(tf::cast(x, dt), s.f, tf::cast(dy, dt), s.strides, s.padding, s.dilations)};
    });
  }
}

TEST_F(OneDnnKernels, Conv2DGradientsThroughTheTape) {
  const tf::Tensor x = inputs({2, 7, 6, 3}, 40), f = inputs({3, 2, 3, 4}, 41);
  compare_paths("tape through conv2d", [&](DType dt) -> tf::TensorList {
    tf::Tensor xc = tf::cast(x, dt), fc = tf::cast(f, dt);
    tf::GradientTape tape;
    tape.watch(xc);
    tape.watch(fc);
    tf::Tensor loss = tf::reduce_sum(tf::square(tf::nn::conv2d(xc, fc, 2, "SAME")));
    tape.stop();
    auto g = tape.gradient(loss, std::vector<tf::Tensor>{xc, fc});
    return {*g[0], *g[1]};
  });
}

struct PoolShape {
  std::string name;
  tf::Shape x;
  tf::nn::WindowArg ksize, strides;
  std::string padding;
};

std::vector<PoolShape> pool_shapes() {
  return {
      {"batch1_rgb_2x2_valid", {1, 7, 5, 3}, 2, 2, "VALID"},
      {"gray_3x3_s2_same", {2, 9, 8, 1}, 3, 2, "SAME"},
      {"overlapping_3x2_s12_same", {3, 6, 7, 5}, {3, 2}, {1, 2}, "SAME"},
      {"even_window_same_asymmetric", {2, 5, 6, 4}, 4, 1, "SAME"},  // pads 1 before, 2 after
      {"window_larger_than_input_same", {1, 2, 3, 2}, {4, 5}, 1, "SAME"},
      {"cnn_pool_16", {2, 12, 12, 16}, 2, 2, "VALID"},
  };
}

tf::ops::PoolAttrs pool_attrs(const PoolShape& s) {
  tf::ops::PoolAttrs a;
  const auto k = s.ksize.values(), st = s.strides.values();
  a.ksize[0] = k[0];
  a.ksize[1] = k.size() > 1 ? k[1] : k[0];
  a.strides[0] = st[0];
  a.strides[1] = st.size() > 1 ? st[1] : st[0];
  a.padding = tf::ops::parse_padding("MaxPool", s.padding);
  return a;
}

TEST_F(OneDnnKernels, PoolingForwardAndGradientsOnAwkwardShapes) {
  unsigned seed = 100;
  for (const PoolShape& s : pool_shapes()) {
    const tf::ops::PoolAttrs attrs = pool_attrs(s);
    const tf::Tensor x = inputs(s.x, seed++);
    const tf::Shape y_shape = tf::ops::max_pool(x, attrs).shape();
    const tf::Tensor dy = inputs(y_shape, seed++);
    compare_paths("MaxPool " + s.name,
                  [&](DType dt) -> tf::TensorList { return {tf::ops::max_pool(tf::cast(x, dt), attrs)}; });
    compare_paths("AvgPool " + s.name,
                  [&](DType dt) -> tf::TensorList { return {tf::ops::avg_pool(tf::cast(x, dt), attrs)}; });
    compare_paths("MaxPoolGrad " + s.name, [&](DType dt) -> tf::TensorList {
      const tf::Tensor xc = tf::cast(x, dt);
      return {tf::ops::max_pool_grad(xc, tf::ops::max_pool(xc, attrs), tf::cast(dy, dt), attrs)};
    });
    compare_paths("AvgPoolGrad " + s.name,
                  [&](DType dt) -> tf::TensorList { return {tf::ops::avg_pool_grad(s.x, tf::cast(dy, dt), attrs)}; });
  }
}

// Windows full of equal values: the gradient goes to the first maximum in row-major order, as
// TF's CPU kernel (and the own kernel) route it. Integer values keep every sum exact, so the two
// paths must agree bit for bit.
TEST_F(OneDnnKernels, MaxPoolGradRoutesTiesToTheFirstMaximum) {
  const tf::Tensor x = tf::round(tf::testing::uniform({2, 9, 8, 3}, -1.4, 1.4, 7));  // values -1, 0, 1
  for (const char* padding : {"SAME", "VALID"}) {
    tf::ops::PoolAttrs attrs;
    attrs.ksize[0] = attrs.ksize[1] = 3;
    attrs.strides[0] = attrs.strides[1] = 2;
    attrs.padding = tf::ops::parse_padding("MaxPool", padding);
    const tf::Tensor x32 = tf::cast(x, tf::float32), y = tf::ops::max_pool(x32, attrs);
    const tf::Tensor dy = tf::cast(tf::round(tf::testing::uniform(y.shape(), 0.5, 8.5, 8)), tf::float32);
    const tf::Tensor on = tf::ops::max_pool_grad(x32, y, dy, attrs);
    cpu::set_onednn_enabled(false);
    const tf::Tensor off = tf::ops::max_pool_grad(x32, y, dy, attrs);
    cpu::set_onednn_enabled(true);
    EXPECT_EQ(on.to_vector<float>(), off.to_vector<float>()) << padding;
  }
}

// A float32 MaxPool on oneDNN keeps its argmax, and MaxPoolGrad of the same x and y runs
// only the backward from it (one oneDNN call instead of two: Note [MaxPoolGrad from the forward's
// workspace]); any other y, or x, finds the maxima again. Ties included, every path gives the
// own kernel's bits (integer values: exact sums of overlapping windows).
TEST_F(OneDnnKernels, MaxPoolGradReusesTheForwardsArgmax) {
  if (!cpu::built_with_onednn()) GTEST_SKIP() << "built without oneDNN";
  const tf::Tensor x = tf::cast(tf::round(tf::testing::uniform({3, 9, 8, 16}, -1.4, 1.4, 9)), tf::float32);
  for (int64_t k : {2, 3}) {
    SCOPED_TRACE("window " + std::to_string(k));
    tf::ops::PoolAttrs attrs;
    attrs.ksize[0] = attrs.ksize[1] = k;
    attrs.strides[0] = attrs.strides[1] = 2;
    attrs.padding = tf::ops::Padding::kSame;
    tf::GradientTape tape;
    tape.watch(x);
    const tf::Tensor y = tf::ops::max_pool(x, attrs);
    const tf::Tensor loss = tf::reduce_sum(y * y);
    tape.stop();
    const tf::Tensor dy = tf::cast(tf::round(tf::testing::uniform(y.shape(), 0.5, 8.5, 10)), tf::float32);
    cpu::set_onednn_enabled(false);
    const std::vector<float> want = tf::ops::max_pool_grad(x, y, dy, attrs).to_vector<float>();
    cpu::set_onednn_enabled(true);

    int64_t before = cpu::onednn_call_count();
    EXPECT_EQ(tf::ops::max_pool_grad(x, y, dy, attrs).to_vector<float>(), want);
    EXPECT_EQ(cpu::onednn_call_count() - before, 1) << "the backward alone, from the kept argmax";
    before = cpu::onednn_call_count();
    const tf::Tensor dx = *tape.gradient(loss, x);  // MaxPool's rule: MaxPoolGrad(x, y, 2 y)
    EXPECT_EQ(cpu::onednn_call_count() - before, 1);
    cpu::set_onednn_enabled(false);
    EXPECT_EQ(dx.to_vector<float>(), tf::ops::max_pool_grad(x, y, y * 2.f, attrs).to_vector<float>());
    cpu::set_onednn_enabled(true);

    // The same values in other buffers: nothing was kept for them, the forward runs again.
    const tf::Tensor y_copy = tf::identity(y) + 0.f, x_copy = x + 0.f;
    for (const auto& [xi, yi] : {std::pair{x, y_copy}, std::pair{x_copy, y}}) {
      before = cpu::onednn_call_count();
      EXPECT_EQ(tf::ops::max_pool_grad(xi, yi, dy, attrs).to_vector<float>(), want);
      EXPECT_EQ(cpu::onednn_call_count() - before, 2) << "forward again, then the backward";
    }
  }
}

struct NormShape {
  std::string name;
  tf::Shape x;
};

TEST_F(OneDnnKernels, FusedBatchNormTrainingInferenceAndGradients) {
  const std::vector<NormShape> shapes = {{"odd_nhwc_c7", {2, 5, 3, 7}},
                                         {"rank2_c3", {64, 3}},
                                         {"one_row", {1, 1, 1, 5}},
                                         {"c1", {3, 4, 5, 1}},
                                         {"cnn_c32", {4, 6, 6, 32}}};
  unsigned seed = 200;
  for (const NormShape& s : shapes) {
    const int64_t c = s.x.dim(-1);
    const tf::Tensor x = inputs(s.x, seed++, -2, 3), dy = inputs(s.x, seed++);
    const tf::Tensor scale = inputs({c}, seed++, 0.5, 1.5), offset = inputs({c}, seed++);
    const tf::Tensor mean = inputs({c}, seed++, -0.5, 0.5), var = inputs({c}, seed++, 0.5, 1.5);
    // Per-channel vectors are float32 for float32/bfloat16 x, float64 for float64 x.
    auto channel = [](const tf::Tensor& v, DType dt) {
      return tf::cast(v, dt == tf::float64 ? tf::float64 : tf::float32);
    };
    std::vector<int> batch_axes;  // all but the channel axis
    for (int i = 0; i + 1 < s.x.rank(); ++i) batch_axes.push_back(i);
    for (bool training : {true, false}) {
      const std::string mode = training ? " training" : " inference";
      compare_paths("FusedBatchNormV3 " + s.name + mode, [&](DType dt) -> tf::TensorList {
        tf::nn::FusedBatchNormOptions o{.mean = channel(mean, dt),
                                        .variance = channel(var, dt),
                                        .epsilon = 1e-3,
                                        .is_training = training,
                                        .exponential_avg_factor = 0.75};
        auto r = tf::nn::fused_batch_norm(tf::cast(x, dt), channel(scale, dt), channel(offset, dt), o);
        return {r.y, r.mean, r.variance};
      });
      compare_paths("FusedBatchNormGradV3 " + s.name + mode, [&](DType dt) -> tf::TensorList {
        tf::ops::FusedBatchNormAttrs a;
        a.is_training = training;
        // The statistics the forward saved: the batch's own in training.
        tf::Tensor m = mean, v = var;
        if (training) std::tie(m, v) = tf::nn::moments(x, batch_axes);
        return tf::ops::fused_batch_norm_grad(tf::cast(dy, dt), tf::cast(x, dt), channel(scale, dt), channel(m, dt),
                                              channel(v, dt), tf::zeros({0}, channel(m, dt).dtype()), a);
      });
    }
  }
}

// Primitives are cached and executed from several threads at once (each with its own stream and
// scratchpad): every thread's results equal the serial ones.
TEST_F(OneDnnKernels, ConcurrentCallsFromThreadsAgreeWithSerial) {
  const auto shapes = conv_shapes();
  std::vector<tf::Tensor> xs, fs, want;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    xs.push_back(tf::cast(inputs(shapes[i].x, 300 + static_cast<unsigned>(i)), tf::float32));
    fs.push_back(tf::cast(inputs(shapes[i].f, 400 + static_cast<unsigned>(i)), tf::float32));
    want.push_back(tf::nn::conv2d(xs[i], fs[i], shapes[i].strides, shapes[i].padding, shapes[i].dilations));
  }
  std::vector<std::vector<tf::Tensor>> got(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      tf::DeviceScope cpu0("CPU:0");
      for (int rep = 0; rep < 3; ++rep)
        for (std::size_t k = 0; k < shapes.size(); ++k) {
          const std::size_t i = (k + t) % shapes.size();  // threads walk the shapes out of step
          const auto& s = shapes[i];
          tf::Tensor y = tf::nn::conv2d(xs[i], fs[i], s.strides, s.padding, s.dilations);
          if (rep == 2) got[t].push_back(y);
        }
    });
  for (auto& th : threads) th.join();
  for (std::size_t t = 0; t < got.size(); ++t)
    for (std::size_t k = 0; k < shapes.size(); ++k) {
      const std::size_t i = (k + t) % shapes.size();
      EXPECT_EQ(got[t][k].to_vector<float>(), want[i].to_vector<float>()) << "thread " << t << " " << shapes[i].name;
    }
}

}  // namespace
