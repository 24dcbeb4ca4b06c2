"""The peer of saved_model.cpp: TensorFlow 2.21 loads the SavedModels Tapeflow just wrote
(tf.saved_model.load, median of 5) and calls `serve` on the same batch shape (median of CALLS
calls after a warm-up call).   python saved_model_tf.py DIR CALLS"""
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

directory, calls = sys.argv[1], int(sys.argv[2])
for name, shape in (("mlp", (32, 784)), ("cnn", (32, 28, 28, 1))):
    path = os.path.join(directory, name)
    loads = []
    for _ in range(5):
        t = time.perf_counter()
        loaded = tf.saved_model.load(path)
        loads.append(time.perf_counter() - t)
    x = tf.constant(np.random.default_rng(0).uniform(size=shape).astype(np.float32))
    t = time.perf_counter()
    loaded.serve(x).numpy()
    first = time.perf_counter() - t
    per_call = []
    for _ in range(calls):
        t = time.perf_counter()
        loaded.serve(x).numpy()
        per_call.append(time.perf_counter() - t)
    print("%s: TensorFlow %s load %.2f ms (median of 5), first call %.2f ms, per call %.1f us (median of %d)"
          % (name, tf.__version__, statistics.median(loads) * 1e3, first * 1e3, statistics.median(per_call) * 1e6, calls))
