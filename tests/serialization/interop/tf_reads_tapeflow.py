"""TensorFlow 2.21 / Keras 3 read what Tapeflow wrote (write_for_tf OUT_DIR first):
tf.train.list_variables and load_checkpoint().get_tensor for every dtype, restore into the
equivalent tf.Module (assert_consumed), and restore of a Keras Sequential + Adam that then
takes the same training step Tapeflow took.    python tf_reads_tapeflow.py OUT_DIR
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from gen_tf_checkpoints import all_dtypes_module  # noqa: E402

passed, failed = 0, 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", name, detail)


def read_expected(path):
    out = {}
    for line in open(path):
        if line.strip() and not line.startswith("#"):
            name, *vals = line.split()
            out[name] = np.array([float(v) for v in vals])
    return out


def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "SO":
        return a.shape == b.shape and all(x == y for x, y in zip(a.ravel(), b.ravel()))
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def main(out):
    prefix = os.path.join(out, "all_dtypes")
    ref = all_dtypes_module()
    names = [n for n in vars(ref) if isinstance(getattr(ref, n), tf.Variable) and n != "int16"]
    listed = dict(tf.train.list_variables(prefix))
    reader = tf.train.load_checkpoint(prefix)
    for n in names:
        key = "m/%s/.ATTRIBUTES/VARIABLE_VALUE" % n
        want = getattr(ref, n).numpy()
        check("list_variables " + n, listed.get(key) == list(want.shape), str(listed.get(key)))
        got = reader.get_tensor(key)
        if n == "bfloat16":  # NumPy has no bfloat16: compare TF tensors
            got, want = tf.bitcast(tf.constant(got), tf.uint16).numpy(), tf.bitcast(getattr(ref, n), tf.uint16).numpy()
        check("get_tensor " + n, same(got, want), "%r vs %r" % (got, want))
    # Restore into the equivalent module (no int16 attribute on our side).
    fresh = all_dtypes_module()
    del fresh.int16
    for n in names:
        v = getattr(fresh, n)
        if v.dtype != tf.string:
            v.assign(tf.zeros_like(v))
    # write() stores no save_counter (as TF's write), so TF's assert_consumed would name it.
    status = tf.train.Checkpoint(m=fresh).restore(prefix)
    status.assert_nontrivial_match().expect_partial()
    for n in names:
        check("restored " + n, tf.reduce_all(getattr(fresh, n) == getattr(ref, n)).numpy())

    from safetensors.numpy import load_file
    st = load_file(os.path.join(out, "numeric.safetensors"))
    for n in names:
        if n in ("string", "bfloat16"):
            continue
        check("safetensors " + n, n in st and same(st[n], getattr(ref, n).numpy()), str(st.get(n)))

    exp = read_expected(os.path.join(out, "keras_expected.txt"))
    x = exp["x"].astype(np.float32).reshape(5, 3)
    y = exp["target"].astype(np.float32).reshape(5, 2)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)])
    opt = keras.optimizers.Adam(learning_rate=0.01)
    opt.build(model.trainable_variables)
    latest = tf.train.latest_checkpoint(os.path.join(out, "keras"))
    check("latest_checkpoint", latest == os.path.join(out, "keras", "ckpt-1"), str(latest))
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
    ckpt.restore(latest).assert_consumed()
    check("save_counter", int(ckpt.save_counter.numpy()) == 1)
    check("iterations", int(opt.iterations.numpy()) == 2, str(opt.iterations.numpy()))
    check("outputs", np.allclose(model(x).numpy().ravel(), exp["y_at_save"], rtol=1e-5, atol=1e-6))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    for i, w in enumerate(model.trainable_variables):
        check("weight after step %d" % i, np.allclose(w.numpy().ravel(), exp["weight_after_step_%d" % i], rtol=1e-5, atol=1e-6))
    # A functional model (InputLayer, BatchNormalization with moved statistics, Dense).
    inp = keras.Input((3,))
    func = keras.Model(inp, keras.layers.Dense(2)(keras.layers.BatchNormalization()(inp)))
    tf.train.Checkpoint(model=func).restore(os.path.join(out, "functional", "ckpt-1")).assert_consumed()
    want = read_expected(os.path.join(out, "functional_expected.txt"))["y"]
    got = func(x, training=False).numpy().ravel()
    check("functional outputs", np.allclose(got, want, rtol=1e-5, atol=1e-6), "%r vs %r" % (got, want))
    # Keras 3 reads our .weights.h5 files into the equivalent Keras models.
    h5 = read_expected(os.path.join(out, "h5_expected.txt"))
    mlp = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
    mlp.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    mlp.optimizer.build(mlp.trainable_variables)
    mlp.load_weights(os.path.join(out, "mlp.weights.h5"))
    got = mlp(h5["mlp_x"].astype(np.float32).reshape(5, 4), training=False).numpy().ravel()
    check("keras reads mlp.weights.h5", np.allclose(got, h5["mlp_y"], rtol=1e-5, atol=1e-6), "%r vs %r" % (got, h5["mlp_y"]))
    check("keras reads the optimizer", int(mlp.optimizer.iterations.numpy()) == 3, str(mlp.optimizer.iterations.numpy()))
    cnn = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(4, 3), keras.layers.BatchNormalization(),
                            keras.layers.Activation("relu"), keras.layers.Flatten(), keras.layers.Dense(2)])
    cnn.load_weights(os.path.join(out, "cnn.weights.h5"))
    got = cnn(h5["cnn_x"].astype(np.float32).reshape(3, 6, 6, 1), training=False).numpy().ravel()
    check("keras reads cnn.weights.h5", np.allclose(got, h5["cnn_y"], rtol=1e-5, atol=1e-6), "%r vs %r" % (got, h5["cnn_y"]))

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense_a = keras.layers.Dense(3)
            self.zeta = keras.layers.Dense(2)

        def call(self, x):
            return self.zeta(self.dense_a(x))

    sub = Sub()
    x4 = h5["mlp_x"].astype(np.float32).reshape(5, 4)
    sub(x4)
    sub.load_weights(os.path.join(out, "sub.weights.h5"))
    got = sub(x4).numpy().ravel()
    check("keras reads a subclassed model's .weights.h5", np.allclose(got, h5["sub_y"], rtol=1e-5, atol=1e-6))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
