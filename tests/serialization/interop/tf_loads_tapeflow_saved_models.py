"""TensorFlow 2.21 loads the SavedModels Tapeflow wrote (write_saved_models OUT_DIR first) with
tf.saved_model.load, calls the tracked function (__call__ / serve) and
signatures["serving_default"], and gets Tapeflow's outputs.
    python tf_loads_tapeflow_saved_models.py OUT_DIR
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


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


def main(out):
    failed = 0
    for name, fn, key in (("seed_module", "__call__", "x"), ("keras_mlp", "serve", "keras_tensor")):
        path = os.path.join(out, name)
        x, want = read_expected(os.path.join(path, "expected.txt"))
        loaded = tf.saved_model.load(path)
        got_call = getattr(loaded, fn)(tf.constant(x)).numpy()
        sig = loaded.signatures["serving_default"]
        got_sig = sig(**{key: tf.constant(x)})["output_0"].numpy()
        n_vars = len(sig.variables)
        for what, got in ((fn, got_call), ("serving_default", got_sig)):
            if close(got, want):
                print("ok   %s %s" % (name, what))
            else:
                failed += 1
                print("FAIL %s %s: %r vs %r" % (name, what, got, want))
        if n_vars != 4:
            failed += 1
            print("FAIL %s: serving_default captures %d variables, expected 4" % (name, n_vars))
    if failed:
        sys.exit(1)
    print("TensorFlow loaded and ran Tapeflow's SavedModels")


if __name__ == "__main__":
    main(sys.argv[1])
