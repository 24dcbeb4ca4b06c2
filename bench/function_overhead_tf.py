"""The peer of function_overhead.cpp: TF's seed `power(x, 100)` (int32 10x10) eagerly and as a
tf.function, timed as the C++ bench times it (this thread's CPU time, best of 7 rounds of 200
calls), so the two run on the same machine in the same session:
    build/python-venv/bin/python bench/function_overhead_tf.py"""
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402


def power(x, y):
    result = tf.eye(10, dtype=tf.dtypes.int32)
    for _ in range(y):
        result = tf.matmul(x, result)
    return result


def us_per_call(fn, calls=200, rounds=7):
    fn()
    best = float("inf")
    for _ in range(rounds):
        t = time.thread_time()
        for _ in range(calls):
            fn()
        best = min(best, (time.thread_time() - t) / calls)
    return best * 1e6


x = tf.random.uniform((10, 10), minval=-4, maxval=4, dtype=tf.dtypes.int32, seed=1)
power_graph = tf.function(power)
same = bool(tf.reduce_all(power(x, 100) == power_graph(x, 100)))
eager = us_per_call(lambda: power(x, 100), calls=20)
graph = us_per_call(lambda: power_graph(x, 100))
print(f"TensorFlow {tf.__version__} power(x, 100) int32 10x10: eager {eager:.1f} us, "
      f"tf.function {graph:.1f} us (results {'identical' if same else 'DIFFER'})")
