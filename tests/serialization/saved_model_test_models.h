// The models the SavedModel tests save: the TF guide's MySequentialModule (two Dense modules
// behind a tracked function) and a Keras MLP exported through a module with a `serve`
// Function, as Keras's model.export() names it. Shared by saved_model_test and the interop writer.
#pragma once
#include <string>
#include <vector>

#include "tapeflow/tapeflow.h"

namespace tapeflow::testing {

/// start, start + step, ... in `shape`.
inline Tensor ramp(const Shape& shape, float start, float step) {
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = start + step * static_cast<float>(i);
  return constant(v, shape);
}

// The TF guide's modules: y = relu(x @ w + b), two of them in sequence behind a tf.function.
struct Dense : Module {
  Variable w, b;
  Dense(int in, int out, float start)
      : Module("dense"),
        w(track("w", Variable(ramp({in, out}, start, 0.25f), {.name = "w"}))),
        b(track("b", Variable(ramp({out}, 0.5f, -0.125f), {.name = "b"}))) {}
  Tensor operator()(const Tensor& x) const { return nn::relu(matmul(x, w) + b); }
};

struct MySequentialModule : Module {
  Dense dense_1, dense_2;
  Function call;
  MySequentialModule()
      : Module("the_model"),
        dense_1(track("dense_1", Dense(3, 3, -1.0f))),
        dense_2(track("dense_2", Dense(3, 2, -0.5f))),
        call(track("__call__", function([d1 = dense_1, d2 = dense_2](const Tensor& x) { return d2(d1(x)); },
                                        {.name = "__call__", .arg_names = {"x"}}))) {}
};

/// A Keras CNN: Conv2D(4, 3, relu) -> MaxPooling2D -> BatchNormalization (statistics set) ->
/// Dropout -> Flatten -> Dense(3), built for (N, 8, 8, 1).
inline keras::Sequential make_cnn() {
  namespace L = keras::layers;
  keras::Sequential cnn({L::Conv2D(4, 3, {.activation = "relu"}), L::MaxPooling2D(), L::BatchNormalization(),
                         L::Dropout(0.5), L::Flatten(), L::Dense(3)});
  cnn(zeros({1, 8, 8, 1}));
  for (Variable& v : cnn.non_trainable_variables()) v.assign(ramp(v.shape(), 0.5f, 0.25f));
  return cnn;
}

/// A Keras model behind a tracked `serve` Function, as Keras's model.export() writes it.
struct ExportedKerasModel : Module {
  keras::Sequential model;
  Function serve;
  explicit ExportedKerasModel(keras::Sequential m)
      : Module("exported"),
        model(track("model", m)),
        serve(track("serve", function([m](const Tensor& x) mutable { return m(x); },
                                      {.name = "serve", .arg_names = {"keras_tensor"}}))) {}
};

}  // namespace tapeflow::testing
