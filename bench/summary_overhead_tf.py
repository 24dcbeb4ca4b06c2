"""The peer of summary_overhead.cpp: TensorFlow's eager tf.summary.scalar per call, the same
bursts (median of 51 bursts of 1000 calls, the writer flushed between bursts)."""
import statistics
import sys
import tempfile
import time

import tensorflow as tf

with tempfile.TemporaryDirectory() as logdir:
    writer = tf.summary.create_file_writer(logdir)
    per_call, step = [], 0
    with writer.as_default():
        for _ in range(51):
            t = time.perf_counter()
            for _ in range(1000):
                tf.summary.scalar("loss", 0.5, step=step)
                step += 1
            per_call.append((time.perf_counter() - t) / 1000 * 1e9)
            writer.flush()
    print(f"TensorFlow {tf.__version__} tf.summary.scalar (eager): {statistics.median(per_call):.0f} ns per call")
