"""TensorFlow 2.21 loads the SavedModels Tapeflow wrote (write_saved_models OUT_DIR first) with
tf.saved_model.load, calls the tracked function (__call__ / serve) and
signatures["serving_default"], and gets Tapeflow's outputs; `saved_model_cli show --all` lists the
signatures.
    python tf_loads_tapeflow_saved_models.py OUT_DIR
"""
import os
import subprocess
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
    models = (("seed_module", "__call__", "x", 4), ("keras_mlp", "serve", "keras_tensor", 4),
              ("keras_cnn", "serve", "keras_tensor", 8))
    for name, fn, key, want_vars in models:
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
        if n_vars != want_vars:
            failed += 1
            print("FAIL %s: serving_default captures %d variables, expected %d" % (name, n_vars, want_vars))
        # saved_model_cli (next to this python) lists our signatures.
        cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
        shown = subprocess.run([cli, "show", "--dir", path, "--all"], capture_output=True, text=True).stdout
        for want_text in ("signature_def['serving_default']", "inputs['%s']" % key, "outputs['output_0']"):
            if want_text not in shown:
                failed += 1
                print("FAIL %s: saved_model_cli show lacks %s:\n%s" % (name, want_text, shown))
    if failed:
        sys.exit(1)
    print("TensorFlow loaded and ran Tapeflow's SavedModels")


if __name__ == "__main__":
    main(sys.argv[1])
