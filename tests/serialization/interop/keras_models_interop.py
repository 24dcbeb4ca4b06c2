"""Keras 3 and Tapeflow's `.keras` model files, both ways.
    python keras_models_interop.py read DIR    # Keras loads Tapeflow's mlp / cnn / rnn / seq2seq / maskops.keras (written by
                                               # write_keras_models DIR) and reproduces Tapeflow's predict and
                                               # evaluate; its config re-serializes to ours
    python keras_models_interop.py write DIR   # Keras writes the same models, trained a few steps, with
                                               # <name>_x/_y/_predict/_evaluate.npy (several inputs: _x0, _x1)
                                               # for Tapeflow to reproduce
seq2seq is Keras's encoder-decoder (the encoder LSTM's return_state states are the decoder's initial_state);
maskops computes its mask with ops.not_equal / ops.any and passes it to an LSTM by `mask=`.
"""
import json
import os
import sys
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import keras  # noqa: E402
from keras import layers as L  # noqa: E402

# float32 arithmetic in a different order than Tapeflow's kernels.
RTOL, ATOL = 1e-5, 1e-5


NAMES = ("mlp", "cnn", "rnn", "seq2seq", "maskops")


def load_x(base):
    # One input: <base>_x.npy; several: <base>_x0.npy, <base>_x1.npy, ...
    if os.path.exists(base + "_x.npy"):
        return np.load(base + "_x.npy")
    xs, i = [], 0
    while os.path.exists(f"{base}_x{i}.npy"):
        xs.append(np.load(f"{base}_x{i}.npy"))
        i += 1
    return xs


def read(out):
    failed = 0
    for name in NAMES:
        base = os.path.join(out, name)
        model = keras.models.load_model(base + ".keras")
        x, y = load_x(base), np.load(base + "_y.npy")
        got = model.predict(x, verbose=0)
        want = np.load(base + "_predict.npy")
        ok = got.shape == want.shape and np.allclose(got, want, rtol=RTOL, atol=ATOL)
        ev = np.asarray(model.evaluate(x, y, verbose=0), np.float64)
        want_ev = np.load(base + "_evaluate.npy")
        ok_ev = ev.shape == want_ev.shape and np.allclose(ev, want_ev, rtol=RTOL, atol=ATOL)
        # Keras's own config of the model it rebuilt is the config we wrote.
        ours = json.loads(zipfile.ZipFile(base + ".keras").read("config.json"))
        theirs = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))  # tuples as lists
        ok_cfg = ours == theirs
        print(f"{name}: predict {'ok' if ok else 'MISMATCH'} (max |diff| {np.abs(got - want).max():.3g}), "
              f"evaluate {'ok' if ok_ev else 'MISMATCH'} {ev} vs {want_ev}, config {'ok' if ok_cfg else 'DIFFERS'}")
        if not ok_cfg:
            print(" ours:  ", json.dumps(ours, sort_keys=True))
            print(" keras: ", json.dumps(theirs, sort_keys=True))
        failed += (not ok) + (not ok_ev) + (not ok_cfg)
    return failed


def ramp(shape, scale):
    n = int(np.prod(shape))
    return (np.sin(0.37 * np.arange(n)) * scale).reshape(shape).astype(np.float32)


def write(out):
    os.makedirs(out, exist_ok=True)
    keras.utils.set_random_seed(3)
    mlp = keras.Sequential([keras.Input((4,)), L.Dense(8, activation="relu"), L.Dense(3)])
    mlp.compile(optimizer=keras.optimizers.Adam(0.01),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    x = keras.Input((8, 8, 1))
    h = L.Conv2D(4, 3, activation="relu")(x)
    h = L.Dropout(0.25)(L.BatchNormalization()(L.MaxPooling2D()(h)))
    cnn = keras.Model(x, L.Dense(3)(L.Flatten()(h)))
    cnn.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    rnn = keras.Sequential([keras.Input((5, 3)), L.Masking(0.0),
                            L.LSTM(4, dropout=0.1, recurrent_dropout=0.2, seed=7, return_sequences=True),
                            L.GRU(4, recurrent_dropout=0.1, return_sequences=True, go_backwards=True),
                            L.SimpleRNN(3, activation="relu"), L.Dense(3)])
    rnn.compile(optimizer=keras.optimizers.Adam(0.01),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    enc_in = keras.Input((None, 4), name="encoder_inputs")
    enc_out, state_h, state_c = L.LSTM(5, return_state=True, name="encoder")(enc_in)
    dec_in = keras.Input((None, 3), name="decoder_inputs")
    dec_out, _, _ = L.LSTM(5, return_sequences=True, return_state=True, name="decoder")(
        dec_in, initial_state=[state_h, state_c])
    seq2seq = keras.Model([enc_in, dec_in], L.Dense(3, activation="softmax", name="decoder_dense")(dec_out))
    seq2seq.compile(optimizer=keras.optimizers.Adam(0.01), loss=keras.losses.MeanSquaredError(), metrics=["mae"])
    mx = keras.Input((5, 3))
    mask = keras.ops.any(keras.ops.not_equal(mx, 0.0), axis=-1)
    maskops = keras.Model(mx, L.Dense(3)(L.GRU(4)(mx, mask=mask)))
    maskops.compile(optimizer=keras.optimizers.Adam(0.01),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    keep = np.ones((6, 5, 1), np.float32)
    keep[1, 3:] = keep[5, 4:] = 0  # padding for Masking
    for name, model, xs, ys in (("mlp", mlp, ramp((6, 4), 2.0), np.array([0, 1, 2, 1, 0, 2], np.int32)),
                                ("cnn", cnn, ramp((4, 8, 8, 1), 1.0), np.array([0, 2, 1, 1], np.int32)),
                                ("rnn", rnn, ramp((6, 5, 3), 1.5) * keep, np.array([0, 1, 2, 1, 0, 2], np.int32)),
                                ("seq2seq", seq2seq, [ramp((4, 6, 4), 1.0), ramp((4, 3, 3), 0.5)],
                                 np.abs(ramp((4, 3, 3), 1.0))),
                                ("maskops", maskops, ramp((6, 5, 3), 1.5) * keep,
                                 np.array([0, 1, 2, 1, 0, 2], np.int32))):
        model.fit(xs, ys, epochs=3, batch_size=32, verbose=0)
        model.save(os.path.join(out, name + ".keras"))
        if isinstance(xs, list):
            for i, xi in enumerate(xs):
                np.save(os.path.join(out, f"{name}_x{i}.npy"), xi)
        else:
            np.save(os.path.join(out, name + "_x.npy"), xs)
        np.save(os.path.join(out, name + "_y.npy"), ys)
        np.save(os.path.join(out, name + "_predict.npy"), model.predict(xs, verbose=0))
        np.save(os.path.join(out, name + "_evaluate.npy"), np.asarray(model.evaluate(xs, ys, verbose=0), np.float64))
    return 0


if __name__ == "__main__":
    mode, out = sys.argv[1], sys.argv[2]
    sys.exit(1 if (read(out) if mode == "read" else write(out)) else 0)
