"""The Fashion-MNIST training set for the Python peers of bench/: the real images (float32 in
[0, 1], 60000x28x28, labels int64) when dataset-fashion-mnist is installed or TAPEFLOW_DATA names
its folder, else seeded noise of the same shape. NumPy only, so every peer's venv can import it."""
import gzip
import os

import numpy as np

DATA_DIRS = [os.environ.get("TAPEFLOW_DATA", ""), "/usr/share/datasets/fashion-mnist"]


def training_data():
    """(images, labels, real): real says whether the images are Fashion-MNIST's."""
    for d in DATA_DIRS:
        images = os.path.join(d, "train-images-idx3-ubyte.gz")
        labels = os.path.join(d, "train-labels-idx1-ubyte.gz")
        if d and os.path.exists(images) and os.path.exists(labels):
            with gzip.open(images) as f:
                x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(60000, 28, 28)
            with gzip.open(labels) as f:
                y = np.frombuffer(f.read(), np.uint8, offset=8)
            return x.astype(np.float32) / 255.0, y.astype(np.int64), True
    rng = np.random.default_rng(1)
    return rng.random((60000, 28, 28), dtype=np.float32), rng.integers(0, 10, 60000, dtype=np.int64), False
