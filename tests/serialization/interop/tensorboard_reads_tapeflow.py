"""TensorBoard's own reader (EventAccumulator) checks the event file Tapeflow wrote:
    tensorboard_reads_tapeflow.py LOGDIR
Tags, steps, plugins and values must be exact; the references are TensorFlow's and
TensorBoard's own functions (histogram bucketing, image dtype conversion, PNG decoding)."""
import glob
import gzip
import json
import os
import sys

import numpy as np
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.plugins.histogram import summary_v2 as histogram_v2
from tensorboard.util import tensor_util
from tensorflow.core.protobuf import config_pb2

logdir = sys.argv[1]
acc = ea.EventAccumulator(logdir, size_guidance={ea.TENSORS: 0, ea.GRAPH: 0})
acc.Reload()
tags = acc.Tags()
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def tensors(tag):
    return [(e.step, tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]


def plugin(tag):
    return acc.SummaryMetadata(tag).plugin_data.plugin_name


want_tags = {"loss", "lr", "weights", "weights_7", "single", "rgb", "gray", "note", "table", "my_func_trace"}
check(set(tags["tensors"]) == want_tags, f"tensor tags {sorted(tags['tensors'])}")

# Scalars: float32 [] per step.
loss = tensors("loss")
check([s for s, _ in loss] == list(range(5)), f"loss steps {[s for s, _ in loss]}")
for step, v in loss:
    check(v.dtype == np.float32 and v.shape == () and v == np.float32(1.0) / np.float32(step + 1),
          f"loss at {step}: {v!r}")
check(plugin("loss") == "scalars", "loss plugin")
check(tensors("lr") == [(7, np.float32(0.001))], f"lr {tensors('lr')}")

# Histograms: TensorBoard's own bucketing of the same float32 data, compared exactly.
h = np.array([((i * 37) % 101) for i in range(1000)], np.float32) / np.float32(7) - np.float32(5)
for tag, step, data, k in [("weights", 1, h.reshape(10, 100), 30), ("weights_7", 2, h, 7),
                           ("single", 3, np.full(5, 2.5, np.float32), 30)]:
    (got_step, got), = tensors(tag)
    want = histogram_v2._buckets(tf.constant(data), tf.constant(k)).numpy()
    check(got_step == step and got.dtype == np.float64 and got.shape == (k, 3), f"{tag}: {got.shape} at {got_step}")
    check(np.array_equal(got, want), f"{tag} buckets differ:\n{got}\nvs\n{want}")
    check(plugin(tag) == "histograms", f"{tag} plugin")

# Images: [width, height, png...]; pixels decoded by TF equal TF's own conversion of the data.
px = (np.arange(3 * 4 * 5 * 3) * 11 % 256).astype(np.uint8).reshape(3, 4, 5, 3)
g = (np.arange(2 * 3 * 4) % 17).astype(np.float32) / np.float32(16) * np.float32(1.2) - np.float32(0.1)
g = g.reshape(2, 3, 4, 1)
for tag, step, want_images in [("rgb", 4, px[:2]),
                               ("gray", 5, tf.image.convert_image_dtype(g, tf.uint8, saturate=True).numpy())]:
    (got_step, got), = tensors(tag)
    check(got_step == step and plugin(tag) == "images", f"{tag} step/plugin")
    check(got[0] == str(want_images.shape[2]).encode() and got[1] == str(want_images.shape[1]).encode(),
          f"{tag} size {got[:2]}")
    check(len(got) == 2 + len(want_images), f"{tag}: {len(got) - 2} images")
    for i, png in enumerate(got[2:]):
        check(np.array_equal(tf.io.decode_png(png).numpy(), want_images[i]), f"{tag} image {i} pixels")

# Text.
(step, note), = tensors("note")
check(step == 6 and note == b"hello **world**" and plugin("note") == "text", f"note {note!r}")
(step, table), = tensors("table")
check(table.shape == (2, 2) and table.tolist() == [[b"a", b"b"], [b"c", b"d"]], f"table {table!r}")

# trace_export: a RunMetadata (parsed by TF's own proto) whose function graph has MatMul and Sigmoid.
(step, blob), = tensors("my_func_trace")
meta = acc.SummaryMetadata("my_func_trace").plugin_data
check(meta.plugin_name == "graph_run_metadata_graph" and meta.content == b"1", f"trace plugin {meta}")
run_metadata = config_pb2.RunMetadata.FromString(blob.item())
check(len(run_metadata.function_graphs) == 1, f"{len(run_metadata.function_graphs)} function graphs")
ops = {n.op for n in run_metadata.function_graphs[0].pre_optimization_graph.node}
check({"MatMul", "Sigmoid", "AddV2", "ReadVariableOp", "Placeholder"} <= ops, f"trace ops {ops}")
# The graph is importable by TF (every attr value well formed).
graph = acc.Graph()
check({"MatMul", "Sigmoid"} <= {n.op for n in graph.node}, "Event.graph_def ops")
with tf.Graph().as_default():
    tf.graph_util.import_graph_def(tf.compat.v1.GraphDef.FromString(graph.SerializeToString()), name="")

# The profiler's Chrome trace (trace_on(profiler=True)) is gzip'ed JSON with the Function's ops.
traces = glob.glob(os.path.join(logdir, "plugins", "profile", "*", "*.trace.json.gz"))
check(len(traces) == 1, f"profiler traces {traces}")
if traces:
    trace = json.load(gzip.open(traces[0]))
    ops = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    names = {e["name"] for e in ops}
    # The executed ops are the optimized graph's (as in TF's profiler): the graph optimizer remaps
    # MatMul + AddV2 to _FusedMatMul (x, w, b).
    check({"_FusedMatMul", "Sigmoid"} <= names, f"profiled ops {names}")
    check(all(e["dur"] >= 0 and e["ts"] >= 0 and e["args"]["device"] for e in ops), "profiled spans")
    matmul = next((e for e in ops if e["name"] == "_FusedMatMul"), None)
    check(matmul is not None and matmul["args"]["shapes"] == "(1, 2), (2, 3), (3,)",
          f"_FusedMatMul shapes {matmul and matmul['args']}")

if failures:
    sys.exit(f"{len(failures)} checks failed")
print("tensorboard reads tapeflow: all checks passed")
