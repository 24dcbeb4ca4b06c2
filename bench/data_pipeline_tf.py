"""The peer of data_pipeline.cpp: the same tf.data pipelines in TensorFlow and np.save/np.load,
timed the same way (best of 5 of wall time and process CPU time, after a warm-up pass):
    build/python-venv/bin/python bench/data_pipeline_tf.py"""
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def report(name, one_pass):
    one_pass()
    wall = cpu = float("inf")
    for _ in range(5):
        w, c = time.perf_counter(), time.process_time()
        n = one_pass()
        wall, cpu = min(wall, time.perf_counter() - w), min(cpu, time.process_time() - c)
    print(f"tf       {name:<34} {n:6d} batches  wall {wall * 1e3:8.2f} ms  cpu {cpu * 1e3:8.2f} ms")


def count(ds):
    return sum(1 for _ in ds)


with tf.device("CPU:0"):
    n = 12000
    x = tf.random.uniform((n, 784), seed=1)
    y = tf.random.uniform((n,), minval=0, maxval=10, dtype=tf.int32, seed=2)
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    scale = lambda a, b: (a * 2.0, b)  # noqa: E731
    report("slices.batch(32)", lambda: count(ds.batch(32)))
    report("slices.shuffle(n).batch(32)", lambda: count(ds.shuffle(n, seed=3).batch(32)))
    report("slices.map(x*2).batch(32)", lambda: count(ds.map(scale).batch(32)))
    report("slices.batch(32).map(x*2)", lambda: count(ds.batch(32).map(scale)))
    report("slices.filter(y<5).batch(32)", lambda: count(ds.filter(lambda a, b: b < 5).batch(32)))
    report("slices.batch(32).unbatch().batch(64)", lambda: count(ds.batch(32).unbatch().batch(64)))
    cached = ds.map(scale).cache()
    count(cached)
    report("map(x*2).cache() replay .batch(32)", lambda: count(cached.batch(32)))
    report("range(n).map(v*2).batch(32)", lambda: count(tf.data.Dataset.range(n).map(lambda v: v * 2).batch(32)))
    images = ds.take(3000)

    def heavy(a, b):
        m = tf.reshape(a, (28, 28))
        return tf.tanh(tf.matmul(m, m)), b

    report("take(3000).map(matmul)", lambda: count(images.map(heavy).batch(32)))
    report("take(3000).map(matmul, 2)", lambda: count(images.map(heavy, num_parallel_calls=2).batch(32)))
    report("take(3000).map(matmul, AUTOTUNE)",
           lambda: count(images.map(heavy, num_parallel_calls=tf.data.AUTOTUNE).batch(32)))
    lengths = tf.data.Dataset.range(1, 3001).map(lambda v: tf.fill([v % 50 + 1], 1.0))
    report("range.map(fill).padded_batch(32)", lambda: count(lengths.padded_batch(32)))
    report("range(300).interleave(range(10), 4)",
           lambda: count(tf.data.Dataset.range(300).interleave(lambda v: tf.data.Dataset.range(10), 4).batch(32)))
    inner = lambda v: images.take(50).map(heavy)
    report("range(60).interleave(map(matmul), 4)",
           lambda: count(tf.data.Dataset.range(60).interleave(inner, cycle_length=4).batch(32)))
    report("range(60).interleave(map(matmul), 4, npc 4)",
           lambda: count(tf.data.Dataset.range(60).interleave(inner, cycle_length=4, num_parallel_calls=4).batch(32)))
    report("range(12000).window(32, 8).flat_map(batch)",
           lambda: count(tf.data.Dataset.range(12000).window(32, 8, 1, True).flat_map(lambda w: w.batch(32))))
    xn = x.numpy()
    path = os.path.join(tempfile.mkdtemp(), "x.npy")
    report("np.save (12000, 784) float32", lambda: (np.save(path, xn), 1)[1])
    report("np.load (12000, 784) float32", lambda: int(np.load(path).shape[0] > 0))
