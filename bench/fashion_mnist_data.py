"""Fashion-MNIST for the Python peers of bench/: the training set as float32 in [0, 1] (60000x28x28,
labels int64) when dataset-fashion-mnist is installed or TAPEFLOW_DATA names its folder, else
seeded noise of the same shape; both splits as uint8, as Keras's load_data gives them. NumPy
only, so every peer's venv can import it."""
import gzip
import os

import numpy as np

DATA_DIRS = [os.environ.get("TAPEFLOW_DATA", ""), "/usr/share/datasets/fashion-mnist"]


def _read(folder, prefix, count):
    """Images (count, 28, 28) uint8 and labels (count,) uint8 of one IDX split, or None."""
    images = os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz")
    labels = os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz")
    if not (folder and os.path.exists(images) and os.path.exists(labels)):
        return None
    with gzip.open(images) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(count, 28, 28)
    with gzip.open(labels) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)
    return x, y


def training_data():
    """(images, labels, real): real says whether the images are Fashion-MNIST's."""
    for d in DATA_DIRS:
        split = _read(d, "train", 60000)
        if split:
            return split[0].astype(np.float32) / 255.0, split[1].astype(np.int64), True
    rng = np.random.default_rng(1)
    return rng.random((60000, 28, 28), dtype=np.float32), rng.integers(0, 10, 60000, dtype=np.int64), False


def load_data():
    """Keras's fashion_mnist.load_data(): ((x_train, y_train), (x_test, y_test)) as uint8 arrays,
    the real files only (None when they are missing: the examples' peers need real accuracy)."""
    for d in DATA_DIRS:
        train, test = _read(d, "train", 60000), _read(d, "t10k", 10000)
        if train and test:
            return train, test
    return None
