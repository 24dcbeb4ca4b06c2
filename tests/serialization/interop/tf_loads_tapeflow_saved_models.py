"""TensorFlow 2.21 loads the SavedModels Tapeflow wrote (write_saved_models OUT_DIR first) and gets
Tapeflow's outputs (expected.txt) every way TF reads a SavedModel:
  - TF2: tf.saved_model.load, the tracked function (__call__ / serve) and every signature;
  - TF1: tf.compat.v1.saved_model.loader.load in a Session (the outer graph: Placeholders,
    StatefulPartitionedCall, VarHandleOps, variables restored through saver_def), then
    s.run(output tensor name, {input tensor name: x}) with the names of each signature_def; the
    saver_def's save op writes a checkpoint holding the same values as variables/;
  - saved_model_cli run (--inputs x=file.npy --outdir, and --input_exprs), which runs TF1's loader;
  - saved_model_cli show --all lists the signatures.
Keras exports (keras_* written by model.export_: a Sequential MLP and CNN, a functional model
with a named input) also have the signature keys and the input and output names (SignatureDefs:
names, dtypes, shapes) of Keras 3's own model.export() of the same model.
    python tf_loads_tapeflow_saved_models.py OUT_DIR
"""
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402

failed = 0


def check(ok, what, detail=""):
    global failed
    if ok:
        print("ok   " + what)
    else:
        failed += 1
        print("FAIL " + what + (": " + str(detail) if detail else ""))


def read_expected(path):
    rows = {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        name, shape, *vals = line.split()
        rows[name] = np.array([float(v) for v in vals]).reshape([int(d) for d in shape.split(",")])
    return rows["input"].astype(np.float32), rows["output"]


def close(got, want):
    got = np.asarray(got, np.float64)
    return got.shape == want.shape and np.allclose(got, want, rtol=1e-5, atol=1e-6)


def meta_graph(path):
    sm = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        sm.ParseFromString(f.read())
    return sm.meta_graphs[0]


def user_signatures(meta):
    return {k: v for k, v in meta.signature_def.items() if not k.startswith("__")}


def tf1_session_checks(name, path, x, want):
    """TF1's loader: restore through saver_def, run each signature by its tensor names, save."""
    with tf.compat.v1.Session(graph=tf.Graph()) as s:
        meta = tf.compat.v1.saved_model.loader.load(s, ["serve"], path)
        for key, sig in sorted(user_signatures(meta).items()):
            (in_key, in_info), = sig.inputs.items()
            got = s.run(sig.outputs["output_0"].name, {in_info.name: x})
            check(close(got, want), "%s TF1 Session %s (%s -> %s)" % (name, key, in_info.name,
                                                                  sig.outputs["output_0"].name), got)
        ckpt = os.path.join(tempfile.mkdtemp(), "saved")
        s.run(meta.saver_def.save_tensor_name, {meta.saver_def.filename_tensor_name: ckpt})
    saved = tf.train.load_checkpoint(ckpt)
    ours = tf.train.load_checkpoint(os.path.join(path, "variables", "variables"))
    keys = sorted(k for k in ours.get_variable_to_shape_map() if k != "_CHECKPOINTABLE_OBJECT_GRAPH")
    same = sorted(saved.get_variable_to_shape_map()) == sorted(ours.get_variable_to_shape_map()) and all(
        np.array_equal(saved.get_tensor(k), ours.get_tensor(k)) for k in keys)
    check(same and len(keys) > 0, "%s TF1 saver_def save writes the variables (%d keys)" % (name, len(keys)))


def cli_checks(name, path, key, x, want):
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    work = tempfile.mkdtemp()
    np.save(os.path.join(work, "x.npy"), x)
    run = subprocess.run([cli, "run", "--dir", path, "--tag_set", "serve", "--signature_def", "serving_default",
                          "--inputs", "%s=%s" % (key, os.path.join(work, "x.npy")), "--outdir", work],
                         capture_output=True, text=True)
    got = np.load(os.path.join(work, "output_0.npy")) if run.returncode == 0 else None
    check(got is not None and close(got, want), "%s saved_model_cli run --inputs" % name, run.stderr[-2000:])
    expr = "%s=%s" % (key, x.tolist())  # TF 2.21 takes Python literals only
    run = subprocess.run([cli, "run", "--dir", path, "--tag_set", "serve", "--signature_def", "serving_default",
                          "--input_exprs", expr], capture_output=True, text=True)
    printed = run.stdout.split("Result for output key output_0:\n")[-1]
    values = np.array([float(v) for v in printed.replace("[", " ").replace("]", " ").split()])
    check(run.returncode == 0 and values.size == want.size and np.allclose(values, want.ravel(), rtol=1e-5, atol=1e-6),
          "%s saved_model_cli run --input_exprs prints our outputs" % name, run.stdout + run.stderr[-2000:])
    shown = subprocess.run([cli, "show", "--dir", path, "--all"], capture_output=True, text=True).stdout
    for want_text in ("signature_def['serving_default']", "inputs['%s']" % key, "outputs['output_0']"):
        check(want_text in shown, "%s saved_model_cli show lists %s" % (name, want_text), shown)


def keras_export_of(name):
    """Keras 3's model.export() of the model write_saved_models exported as `name`."""
    import keras
    keras.backend.clear_session()  # Keras names KerasTensors by a process-wide counter
    if name == "keras_mlp":
        m = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    elif name == "keras_functional":
        x = keras.Input((5,), name="feat")
        m = keras.Model(x, keras.layers.Dense(3)(keras.layers.Dense(4, activation="tanh")(x)))
    else:
        m = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.BatchNormalization(),
                              keras.layers.Dropout(0.5), keras.layers.Flatten(), keras.layers.Dense(3)])
    path = os.path.join(tempfile.mkdtemp(), name)
    m.export(path, verbose=False)
    return meta_graph(path)


def compare_with_keras(name, path):
    ours, theirs = meta_graph(path), keras_export_of(name)
    check(sorted(ours.signature_def) == sorted(theirs.signature_def),
          "%s signature keys as Keras's export: %s" % (name, sorted(ours.signature_def)), sorted(theirs.signature_def))
    for key in sorted(theirs.signature_def):
        if key not in ours.signature_def:
            continue
        a, b = ours.signature_def[key], theirs.signature_def[key]
        check(a == b, "%s signature_def['%s'] equals Keras's (names, dtypes, shapes)" % (name, key), "\n%s\nvs Keras\n%s" % (a, b))


def main(out):
    models = (("seed_module", "__call__", "x", 4), ("keras_mlp", "serve", "keras_tensor", 4),
              ("keras_cnn", "serve", "keras_tensor", 8), ("keras_functional", "serve", "feat", 4))
    for name, fn, key, want_vars in models:
        path = os.path.join(out, name)
        x, want = read_expected(os.path.join(path, "expected.txt"))
        loaded = tf.saved_model.load(path)
        check(close(getattr(loaded, fn)(tf.constant(x)).numpy(), want), "%s TF2 %s" % (name, fn))
        for sig_key in sorted(user_signatures(meta_graph(path))):
            sig = loaded.signatures[sig_key]
            got = sig(**{key: tf.constant(x)})["output_0"].numpy()
            check(close(got, want), "%s TF2 signatures['%s']" % (name, sig_key), got)
            check(len(sig.variables) == want_vars, "%s %s captures %d variables" % (name, sig_key, want_vars),
                  len(sig.variables))
        tf1_session_checks(name, path, x, want)
        cli_checks(name, path, key, x, want)
        if name.startswith("keras_"):
            compare_with_keras(name, path)
    if failed:
        sys.exit(1)
    print("TensorFlow loaded and ran Tapeflow's SavedModels (TF2, TF1 Session, saved_model_cli)")


if __name__ == "__main__":
    main(sys.argv[1])
