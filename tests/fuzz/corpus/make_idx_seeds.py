#!/usr/bin/env python3
# Writes the seed corpus of the idx_file fuzz target (generated — do not edit the outputs):
# small valid files (images, labels, rank 4, empty), headers that claim more than the data,
# an uncompressed IDX (zlib reads it as is) and a truncated gzip stream.
import gzip, os, struct
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "idx_file")
os.makedirs(here, exist_ok=True)

def idx(dims, data, type_byte=0x08):
    return bytes([0, 0, type_byte, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)

def gz(raw):
    return gzip.compress(raw, compresslevel=9, mtime=0)

seeds = {
    "images_2x3x3.gz": gz(idx([2, 3, 3], range(18))),
    "labels_5.gz": gz(idx([5], [9, 0, 0, 3, 7])),
    "rank4.gz": gz(idx([1, 2, 2, 2], [255] * 8)),
    "empty.gz": gz(idx([0, 28, 28], [])),
    "claims_2p31_images.gz": gz(idx([0x7FFFFFFF, 28, 28], [1] * 64)),
    "overflowing_sizes.gz": gz(idx([0xFFFFFFFF] * 4, [1, 2, 3])),
    "plain_idx": idx([2, 2], [1, 2, 3, 4]),
    "truncated.gz": gz(idx([4, 4], range(16)))[:-9],
}
for name, data in seeds.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
