"""Keras's own TensorBoard callback, on the model Tapeflow's write_summaries trained, writes the
same runs, tags and steps as Tapeflow's K::callbacks::TensorBoard:
    keras_tensorboard_runs.py TAPEFLOW_FIT_LOGDIR
Two fits, update_freq "epoch" and 2. Both are read with TensorBoard's EventAccumulator; the model's
config under the tag "keras" (plugin graph_keras_model, step 0) included."""
import os
import sys
import tempfile

import keras
import numpy as np
from tensorboard.backend.event_processing import event_accumulator as ea


def runs(logdir):
    out = {}
    for run in sorted(os.listdir(logdir)):
        acc = ea.EventAccumulator(os.path.join(logdir, run), size_guidance={ea.TENSORS: 0})
        acc.Reload()
        out[run] = {tag: ([e.step for e in acc.Tensors(tag)], acc.SummaryMetadata(tag).plugin_data.plugin_name)
                    for tag in acc.Tags()["tensors"]}
    return out


def keras_runs(update_freq):
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with tempfile.TemporaryDirectory() as logdir:
        model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0,
                  callbacks=[keras.callbacks.TensorBoard(log_dir=logdir, histogram_freq=1, update_freq=update_freq)])
        return runs(logdir)


def report(got, want, what):
    if got == want:
        return True
    for run in sorted(set(got) | set(want)):
        g, w = got.get(run, {}), want.get(run, {})
        for tag in sorted(set(g) | set(w)):
            if g.get(tag) != w.get(tag):
                print(f"{what} {run}/{tag}: tapeflow {g.get(tag)} keras {w.get(tag)}")
    return False


rng = np.random.default_rng(0)
x = rng.normal(size=(64, 5)).astype("float32")
y = np.argmax(x[:, :3], axis=1)
ok = report(runs(os.path.join(sys.argv[1], "epoch")), keras_runs("epoch"), "update_freq=epoch")
# With update_freq=N Keras keeps a record_if(global batch % N == 0) active through the epoch's
# end, so it drops the epoch summaries of epochs whose batch count is not a multiple of N (a
# quirk Tapeflow does not copy): compare the tags and plugins, and the batch_* steps.
got, want = runs(os.path.join(sys.argv[1], "batch2")), keras_runs(2)
names = lambda r: {run: {tag: plugin for tag, (_, plugin) in tags.items()} for run, tags in r.items()}
batch = lambda r: {run: {t: v for t, v in tags.items() if t.startswith("batch_")} for run, tags in r.items()}
ok = report(names(got), names(want), "update_freq=2 names") and ok
ok = report(batch(got), batch(want), "update_freq=2 batch steps") and ok
if not ok:
    sys.exit("the TensorBoard callbacks' runs differ")
print("keras tensorboard runs: tapeflow writes the runs, tags and steps Keras writes")
