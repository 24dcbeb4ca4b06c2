// TensorFlow's "Training checkpoints" guide in C++: save_weights, a tf::train::Checkpoint over a
// step counter, an optimizer and a model, a CheckpointManager keeping the last three, training
// resumed where the previous run stopped, and list_variables showing the keys TF would list.
// Run twice in the same directory and the second run restores from ckpt-5.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "tapeflow/tapeflow.h"

namespace K = tf::keras;

struct Net : K::Model {  // class Net(tf.keras.Model) with self.l1 = Dense(5)
  K::layers::Dense l1;
  Net() : K::Model("net"), l1(track("l1", K::layers::Dense(5))) {}
  tf::Tensor call(const tf::Tensor& x, bool) override { return l1(x); }
};

// The guide's toy data: x in 0..9, y = 5x + (0, 1, 2, 3, 4).
std::pair<tf::Tensor, tf::Tensor> toy_batch(int i) {
  auto x = tf::reshape(tf::cast(tf::range(i % 10, i % 10 + 2), tf::float32), {2, 1});
  auto y = x * 5.0f + tf::reshape(tf::cast(tf::range(0, 5), tf::float32), {1, 5});
  return {x, y};
}

void train_and_checkpoint(Net& net, K::optimizers::Adam& opt, tf::train::Checkpoint& ckpt, tf::Variable& step,
                          tf::train::CheckpointManager& manager, const std::string& dir) {
  ckpt.restore(manager.latest_checkpoint());
  if (!manager.latest_checkpoint().empty())
    std::cout << "Restored from " << std::filesystem::relative(manager.latest_checkpoint(), dir).string() << "\n";
  else
    std::cout << "Initializing from scratch.\n";
  for (int i = 0; i < 50; ++i) {
    auto [x, y] = toy_batch(int(step.item<int64_t>()));
    tf::GradientTape tape;
    auto loss = tf::reduce_mean(tf::abs(net(x) - y));
    tape.stop();
    auto vars = net.trainable_variables();
    opt.apply_gradients(tape.gradient(loss, vars), vars);
    step.assign_add(tf::constant(int64_t{1}));
    if (step.item<int64_t>() % 10 == 0) {
      const std::string path = manager.save();
      std::printf("Saved checkpoint for step %lld: %s\n", (long long)step.item<int64_t>(),
                  std::filesystem::relative(path, dir).c_str());
      std::printf("loss %.2f\n", loss.item<float>());
    }
  }
}

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "checkpoints_example";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (int run = 1; run <= 2; ++run) {  // two "processes": the second resumes the first
    std::cout << "== run " << run << "\n";
    Net net;
    net(tf::zeros({1, 1}));
    if (run == 1) net.save_weights(dir + "/easy_checkpoint");
    K::optimizers::Adam opt({.learning_rate = 0.1});
    tf::Variable step(tf::constant(int64_t{1}));
    tf::train::Checkpoint ckpt({{"step", step}, {"optimizer", opt}, {"net", net}});
    tf::train::CheckpointManager manager(ckpt, dir + "/tf_ckpts", {.max_to_keep = 3});
    train_and_checkpoint(net, opt, ckpt, step, manager, dir);
    std::cout << "checkpoints:";
    for (const auto& p : manager.checkpoints()) std::cout << ' ' << std::filesystem::relative(p, dir).string();
    std::cout << "\n";
  }
  std::cout << "== list_variables(tf_ckpts/ckpt-10)\n";
  for (const auto& [key, shape] : tf::train::list_variables(dir + "/tf_ckpts"))
    if (key.rfind("optimizer/_variables/", 0) != 0 || key.find("/2/") != std::string::npos)
      std::cout << key << " " << shape.to_string() << "\n";
  auto reader = tf::train::load_checkpoint(dir + "/tf_ckpts");
  std::cout << "step = " << reader.get_tensor("step/.ATTRIBUTES/VARIABLE_VALUE").item<int64_t>() << "\n";
  std::cout << "easy_checkpoint keys:";
  for (const auto& [key, shape] : tf::train::list_variables(dir + "/easy_checkpoint")) std::cout << ' ' << key;
  std::cout << "\n";
  return 0;
}
