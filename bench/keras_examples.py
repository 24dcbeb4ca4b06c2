"""Keras 3 on TensorFlow (CPU) peers of examples/fashion_mnist_lstm.cpp and
examples/fashion_mnist_transformer.cpp: the same models, data, optimizer, loss, batch size and
fit/evaluate calls, printing what the C++ examples print (fit's verbose=2 lines, then
"Test accuracy: ..."), so bench/run_keras_examples.sh reads both sides with one parser.

Usage: python keras_examples.py --model lstm|transformer [--epochs N] [--batch-size B]
           [--train-samples N] [--test-samples N] [--units U]
"""
import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fashion_mnist_data  # noqa: E402

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers as L  # noqa: E402

PATCH, DIM = 4, 32
PATCHES = (28 // PATCH) ** 2


def lstm_model(units):
    return keras.Sequential([keras.Input((28, 28)), L.Rescaling(1.0 / 255), L.LSTM(units), L.Dense(10)])


def to_patches(images):
    n = 28 // PATCH
    x = tf.reshape(images, (-1, n, PATCH, n, PATCH))
    return tf.reshape(tf.transpose(x, (0, 1, 3, 2, 4)), (-1, PATCHES, PATCH * PATCH))


class PatchEncoder(L.Layer):
    """Keras's ViT example's PatchEncoder: a projection of each patch plus its position's embedding."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.projection = L.Dense(DIM)
        self.position_embedding = L.Embedding(PATCHES, DIM)

    def call(self, patches):
        return self.projection(patches) + self.position_embedding(tf.range(PATCHES))


def transformer_model():
    images = keras.Input((28, 28))
    x = L.Lambda(to_patches)(L.Rescaling(1.0 / 255)(images))
    x = PatchEncoder()(x)
    normed = L.LayerNormalization()(x)
    attended = L.MultiHeadAttention(2, DIM // 2)(normed, normed)
    x = L.Add()([x, attended])
    mlp = L.Dense(DIM)(L.Dense(2 * DIM, activation="gelu")(L.LayerNormalization()(x)))
    x = L.Add()([x, mlp])
    return keras.Model(images, L.Dense(10)(L.GlobalAveragePooling1D()(L.LayerNormalization()(x))))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", choices=["lstm", "transformer"], required=True)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--train-samples", type=int, default=60000)
    p.add_argument("--test-samples", type=int, default=10000)
    p.add_argument("--units", type=int, default=64)
    a = p.parse_args()
    data = fashion_mnist_data.load_data()
    if data is None:
        sys.exit("Fashion-MNIST not found (install dataset-fashion-mnist or set TAPEFLOW_DATA)")
    (x_train, y_train), (x_test, y_test) = data
    x_train, y_train = x_train[: a.train_samples], y_train[: a.train_samples]
    x_test, y_test = x_test[: a.test_samples], y_test[: a.test_samples]
    keras.utils.set_random_seed(42)
    model = lstm_model(a.units) if a.model == "lstm" else transformer_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train.astype("float32"), y_train, epochs=a.epochs, batch_size=a.batch_size,
              validation_data=(x_test.astype("float32"), y_test), verbose=2)
    print(f"Training: {(time.perf_counter() - start) / max(1, a.epochs):.1f}s per epoch")
    result = model.evaluate(x_test.astype("float32"), y_test, batch_size=500, verbose=0, return_dict=True)
    print(f"Test loss: {result['loss']:.4f}\nTest accuracy: {result['accuracy']:.4f}")


if __name__ == "__main__":
    main()
