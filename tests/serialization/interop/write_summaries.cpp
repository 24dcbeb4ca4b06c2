// Writes the event file that tensorboard_reads_tapeflow.py reads with TensorBoard's own
// EventAccumulator: write_summaries LOGDIR [FIT_LOGDIR]. With FIT_LOGDIR, also a fit() with the
// TensorBoard callback, whose runs and tags keras_tensorboard_runs.py compares with Keras's. The data are exact in
// float32 (no transcendental functions), so the Python side rebuilds them bit for bit and compares values exactly.
#include <cstdio>
#include <string>
#include <vector>

#include "tapeflow/tapeflow.h"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s LOGDIR [FIT_LOGDIR]\n", argv[0]);
    return 2;
  }
  if (argc == 3) {  // first, so that the models and layers get Keras's first names
    namespace K = tf::keras;
    auto x = tf::random::normal({64, 5}, {.seed = 3});
    auto y = tf::cast(tf::argmax(x[{tf::all, tf::slice(0, 3)}], 1), tf::int32);
    for (const char* run : {"epoch", "batch2"}) {
      K::Sequential model(
          {K::layers::Dense(4, {.activation = "relu"}), K::layers::Dense(3, {.activation = "softmax"})});
      model.compile({.optimizer = K::optimizers::Adam(),
                     .loss = K::losses::SparseCategoricalCrossentropy(),
                     .metrics = {"accuracy"}});
      K::callbacks::UpdateFreq freq = std::string(run) == "epoch" ? K::callbacks::UpdateFreq("epoch") : 2;
      model.fit(x, y,
                {.epochs = 2,
                 .batch_size = 16,
                 .validation_split = 0.25,
                 .verbose = 0,
                 .callbacks = {K::callbacks::TensorBoard(
                     {.log_dir = std::string(argv[2]) + "/" + run, .histogram_freq = 1, .update_freq = freq})}});
    }
  }
  auto writer = tf::summary::create_file_writer(argv[1]);
  {
    auto as_default = writer.as_default();
    for (int step = 0; step < 5; ++step) tf::summary::scalar("loss", tf::constant(1.0f / float(step + 1)), step);
    tf::summary::scalar("lr", 0.001, 7);

    std::vector<float> h(1000);
    for (int i = 0; i < 1000; ++i) h[i] = float((i * 37) % 101) / 7.0f - 5.0f;
    tf::summary::histogram("weights", tf::constant(h, {10, 100}), 1);
    tf::summary::histogram("weights_7", tf::constant(h, {1000}), 2, {.buckets = 7});
    tf::summary::histogram("single", tf::fill({5}, 2.5), 3);

    std::vector<int> px(3 * 4 * 5 * 3);
    for (std::size_t i = 0; i < px.size(); ++i) px[i] = int(i * 11 % 256);
    tf::summary::image("rgb", tf::cast(tf::constant(px, {3, 4, 5, 3}), tf::uint8), 4, {.max_outputs = 2});
    std::vector<float> g(2 * 3 * 4);
    for (std::size_t i = 0; i < g.size(); ++i) g[i] = float(i % 17) / 16.0f * 1.2f - 0.1f;
    tf::summary::image("gray", tf::constant(g, {2, 3, 4, 1}), 5);

    tf::summary::text("note", tf::constant("hello **world**"), 6);
    tf::summary::text("table", tf::constant(std::vector<std::string>{"a", "b", "c", "d"}, {2, 2}), 6);
  }
  // The seed's module: y = sigmoid(x @ w + b), traced while trace_on is on.
  tf::Variable w(tf::constant({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}}));
  tf::Variable b(tf::constant({0.5f, 0.25f, 0.125f}));
  auto my_func = tf::function([&](const tf::Tensor& x) { return tf::sigmoid(tf::matmul(x, w) + b); });
  tf::summary::trace_on({.graph = true, .profiler = true});
  my_func(tf::constant({{1.0f, 2.0f}}));
  {
    auto as_default = writer.as_default();
    tf::summary::trace_export("my_func_trace", 0, {.profiler_outdir = argv[1]});
    tf::summary::graph(my_func.concrete_functions().front().graph().as_graph_def());
  }
  writer.close();
  std::printf("wrote %s\n", writer.path().c_str());
  return 0;
}
