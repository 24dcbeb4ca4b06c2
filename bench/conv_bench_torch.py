"""PyTorch CPU peer of bench/conv_bench.cpp: the Fashion-MNIST CNN's convolutions (forward,
input and filter gradients), 2x2 max pools (forward, gradient from the saved indices) and a
batch norm (training forward, gradient), float32, NCHW as PyTorch prefers (its oneDNN kernels
pick their layouts), on torch.get_num_threads() threads (OMP_NUM_THREADS).
Usage: python3 conv_bench_torch.py [reps] [layer filter]
Prints "conv_bench pytorch <layer> <pass> <best ms>" lines.
"""
import sys
import time

import torch
import torch.nn.functional as F


def best_ms(f, reps):
    f()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def report(layer, name, f, reps):
    print(f"conv_bench pytorch {layer} {name} {best_ms(f, reps):.3f}", flush=True)


def conv_layer(name, batch, hw, cin, cout, k, reps):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(batch, cin, hw, hw, generator=g)
    w = torch.rand(cout, cin, k, k, generator=g)
    dy = torch.rand(batch, cout, hw, hw, generator=g)
    pad, layer = k // 2, f"{name}_b{batch}"
    conv_bwd = torch.ops.aten.convolution_backward

    def grad(mask):
        return lambda: conv_bwd(dy, x, w, None, [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, mask)

    with torch.no_grad():
        report(layer, "forward", lambda: F.conv2d(x, w, padding=pad), reps)
        report(layer, "input_grad", grad([True, False, False]), reps)
        report(layer, "filter_grad", grad([False, True, False]), reps)


def pool_layer(name, batch, hw, c, reps):
    x = torch.rand(batch, c, hw, hw, generator=torch.Generator().manual_seed(1))
    layer = f"{name}_b{batch}"
    with torch.no_grad():
        y, idx = F.max_pool2d(x, 2, return_indices=True)
        backward = torch.ops.aten.max_pool2d_with_indices_backward
        report(layer, "forward", lambda: F.max_pool2d(x, 2), reps)
        report(layer, "grad", lambda: backward(y, x, [2, 2], [2, 2], [0, 0], [1, 1], False, idx), reps)


def batch_norm_layer(name, batch, hw, c, reps):
    x = torch.rand(batch, c, hw, hw, generator=torch.Generator().manual_seed(2))
    w, b = torch.ones(c), torch.zeros(c)
    rm, rv = torch.zeros(c), torch.ones(c)
    layer = f"{name}_b{batch}"
    with torch.no_grad():
        _, mean, invstd = torch.ops.aten.native_batch_norm(x, w, b, rm, rv, True, 0.1, 1e-3)
        report(layer, "forward", lambda: torch.ops.aten.native_batch_norm(x, w, b, rm, rv, True, 0.1, 1e-3), reps)
        report(layer, "grad", lambda: torch.ops.aten.native_batch_norm_backward(
            x, x, w, rm, rv, mean, invstd, True, 1e-3, [True, True, True]), reps)


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    only = sys.argv[2] if len(sys.argv) > 2 else ""  # layers whose name contains it (all: "")
    print(f"# PyTorch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    for batch in (64, 256):
        if "conv1".find(only) >= 0:
            conv_layer("conv1", batch, 28, 1, 32, 5, reps)
        if "pool1".find(only) >= 0:
            pool_layer("pool1", batch, 28, 32, reps)
        if "conv2".find(only) >= 0:
            conv_layer("conv2", batch, 14, 32, 64, 5, reps)
        if "pool2".find(only) >= 0:
            pool_layer("pool2", batch, 14, 64, reps)
        if "bn2".find(only) >= 0:
            batch_norm_layer("bn2", batch, 14, 64, reps)


if __name__ == "__main__":
    main()
