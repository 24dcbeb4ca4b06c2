"""The .npy interop test's NumPy side (run_npy_interop.sh).

  numpy_npy_interop.py write IN_DIR       np.save/write_array: every dtype Tapeflow has, both byte
                                          orders, C and Fortran order, formats 1.0 and 2.0,
                                          scalars, empty and 1-D arrays
  numpy_npy_interop.py check IN_DIR OUT   np.load what Tapeflow wrote back (little-endian C order,
                                          the same values) and what it made itself
"""
import os
import sys

import numpy as np

DTYPES = ["float16", "float32", "float64", "int8", "int32", "int64", "uint8", "bool"]
SHAPES = [(), (0,), (7,), (3, 4), (2, 3, 5), (0, 3)]


def values(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    if dtype == "bool":
        return (rng.integers(0, 2, n) == 1).reshape(shape)
    if dtype.startswith("float"):
        v = rng.standard_normal(n) * 100
        v[: min(n, 3)] = [np.inf, -0.0, np.nan][: min(n, 3)]
        return v.astype(dtype).reshape(shape)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True).reshape(shape)


def cases():
    seed = 0
    for dtype in DTYPES:
        for shape in SHAPES:
            for order in ("<", ">"):
                for fortran in (False, True):
                    for version in ((1, 0), (2, 0)):
                        seed += 1
                        a = values(shape, dtype, seed)
                        if order == ">" and a.dtype.itemsize > 1:
                            a = a.astype(a.dtype.newbyteorder(">"))
                        if fortran:
                            a = np.asfortranarray(a)
                        name = f"{dtype}_{'x'.join(map(str, shape)) or 'scalar'}_{'be' if order == '>' else 'le'}_" \
                               f"{'F' if fortran else 'C'}_v{version[0]}.npy"
                        yield name, a, version


def main():
    mode, in_dir = sys.argv[1], sys.argv[2]
    if mode == "write":
        os.makedirs(in_dir, exist_ok=True)
        for name, a, version in cases():
            with open(os.path.join(in_dir, name), "wb") as f:
                np.lib.format.write_array(f, a, version=version, allow_pickle=False)
        return
    out_dir = sys.argv[3]
    checked = 0
    for name, _, _ in cases():
        want = np.load(os.path.join(in_dir, name))
        got = np.load(os.path.join(out_dir, name))
        assert got.dtype == want.dtype.newbyteorder("=") and got.dtype.byteorder in "=|<", (name, got.dtype, want.dtype)
        assert got.shape == want.shape, (name, got.shape, want.shape)
        assert got.flags.c_contiguous
        with open(os.path.join(out_dir, name), "rb") as f:
            assert np.lib.format.read_magic(f) == (1, 0), name  # written as format 1.0, C order
            _, fortran_order, _ = np.lib.format.read_array_header_1_0(f)
            assert not fortran_order, name
        assert np.array_equal(got, want, equal_nan=got.dtype.kind == "f"), name
        if got.dtype.kind == "f":  # -0.0 keeps its sign
            assert np.array_equal(np.signbit(got), np.signbit(want)), name
        checked += 1
    base = np.arange(24) * 0.5 - 3
    for dtype in ["float16", "float32", "float64", "int8", "int32", "int64"]:
        got = np.load(os.path.join(out_dir, f"tapeflow_{dtype}.npy"))
        assert got.dtype == np.dtype(dtype) and got.shape == (2, 3, 4), (dtype, got.dtype, got.shape)
        assert np.array_equal(got, base.astype(dtype).reshape(2, 3, 4)), dtype
    got = np.load(os.path.join(out_dir, "tapeflow_bool.npy"))
    assert got.dtype == np.bool_ and np.array_equal(got, (np.arange(24) % 3 == 0).reshape(2, 3, 4))
    got = np.load(os.path.join(out_dir, "tapeflow_uint8.npy"))
    assert got.dtype == np.uint8 and np.array_equal(got, (np.arange(24) * 10).astype(np.uint8).reshape(2, 3, 4))
    print(f"numpy_npy_interop: {checked} NumPy files round-tripped through Tapeflow, 8 Tapeflow files read by NumPy")


if __name__ == "__main__":
    main()
