"""PyTorch CPU peer of bench/ops_bench.cpp: the same cases, sizes and timing (median of batches).

Prints `case <family> <size> <seconds per op>` lines; bench/run_ops.sh joins them with
ops_bench's. Usage: python bench/ops_bench_torch.py [--sizes small,large] [--threads N] [--only FAMILY]
"""
import argparse
import os
import time

import torch


def median_s(reps, inner, fn):
    t = []
    for _ in range(reps):
        s = time.perf_counter()
        for _ in range(inner):
            fn()
        t.append((time.perf_counter() - s) / inner)
    t.sort()
    return t[len(t) // 2]


def cases(rows, cols):
    g = torch.Generator().manual_seed(1)
    x = torch.rand(rows, cols, generator=g) * 6 - 3
    y = torch.rand(rows, cols, generator=g) * 6 - 3
    b = torch.rand(cols, generator=g)
    cond = y > 0
    labels = torch.softmax(y, -1)
    sm, lsm = torch.softmax(x, -1), torch.log_softmax(x, -1)
    idx = torch.randint(0, rows, (rows,), generator=g)
    cls = torch.randint(0, cols, (rows,), generator=g)
    w = torch.nn.Parameter(x.clone())
    w.grad = y.clone()
    opt = torch.optim.Adam([w], lr=1e-3, eps=1e-7)
    xg = x.clone().requires_grad_(True)
    f = torch.nn.functional

    def sparse_xent_grad():
        loss = f.cross_entropy(xg, cls)
        return torch.autograd.grad(loss, xg)[0]

    return [
        ("reduce_sum_all", lambda: x.sum()),
        ("reduce_sum_axis0", lambda: x.sum(0)),
        ("reduce_sum_axis1", lambda: x.sum(1)),
        ("reduce_max_all", lambda: x.max()),
        ("argmax_axis1", lambda: x.argmax(1)),
        ("softmax", lambda: torch.softmax(x, -1)),
        ("log_softmax", lambda: torch.log_softmax(x, -1)),
        # The autograd backward kernels alone (Tapeflow: _SoftmaxGrad, _LogSoftmaxGrad).
        ("softmax_grad", lambda: torch._softmax_backward_data(y, sm, -1, torch.float32)),
        ("log_softmax_grad", lambda: torch._log_softmax_backward_data(y, lsm, -1, torch.float32)),
        # TF's op returns the loss per row and the backprop (softmax - labels): both computed.
        ("softmax_xent", lambda: (f.cross_entropy(x, labels, reduction="none"), torch.softmax(x, -1) - labels)),
        ("sparse_xent_grad", sparse_xent_grad),
        ("add_broadcast", lambda: x + b),
        ("cast_f32_i32", lambda: x.to(torch.int32)),
        ("fresh_ones", lambda: torch.ones(rows, cols)),
        ("transpose", lambda: x.t().contiguous()),
        ("concat_axis1", lambda: torch.cat([x, y], 1)),
        ("tile_2x1", lambda: x.repeat(2, 1)),
        ("pad_1", lambda: f.pad(x, (1, 1, 1, 1))),
        ("gather_rows", lambda: x.index_select(0, idx)),
        ("scatter_add_rows", lambda: torch.zeros(rows, cols).index_add_(0, idx, x)),
        ("where", lambda: torch.where(cond, x, y)),
        ("adam_update", opt.step),
    ]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="small,large")
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--only", default="", help="only the families whose name contains this (as ops_bench)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    with torch.no_grad():
        x, y = torch.ones(16), torch.ones(16)
        for _ in range(10000):
            x + y
    print(f"case tiny_add 16 {median_s(51, 20000, lambda: x + y)}", flush=True)
    for name, rows, cols, reps, inner in [("small", 64, 64, 41, 200), ("large", 8192, 4096, 7, 1)]:
        if name not in a.sizes.split(","):
            continue
        for family, fn in cases(rows, cols):
            if a.only not in family:
                continue
            ctx = torch.enable_grad() if family == "sparse_xent_grad" else torch.no_grad()
            with ctx:
                fn()
                s = median_s(reps, inner, fn)
            print(f"case {family} {name} {s}", flush=True)


if __name__ == "__main__":
    main()
