"""PyTorch eager peer of bench/mlp_epoch.cpp: one epoch of Linear(784, 100) -> ReLU ->
Linear(100, 10) with Adam (lr 1e-3, eps 1e-7 as Keras) and cross-entropy from logits over the
60000 training images, reshuffled each epoch and batched by indexing (torch.randperm + x[idx]),
the data on the measured device. Threads: torch.set_num_threads(OMP_NUM_THREADS or the core
count), matching Tapeflow's OpenMP pool.
Usage: python3 mlp_epoch_torch.py [--epochs N] [--batch-sizes 32,256] [--devices cpu,cuda]
Prints "mlp_epoch pytorch <device> <batch> <median ms> <min ms>" (CPU:0 / GPU:0 names).
"""
import argparse
import os
import statistics
import time

import torch

import fashion_mnist_data


def training_data():
    """The training set as torch tensors (bench/fashion_mnist_data.py), and whether it is real."""
    x, y, real = fashion_mnist_data.training_data()
    return torch.from_numpy(x), torch.from_numpy(y), real


def time_epochs(x, y, batch_size, epochs, device):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 100), torch.nn.ReLU(),
                                torch.nn.Linear(100, 10)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = x.shape[0]
    times = []
    for epoch in range(epochs + 1):  # the first epoch warms up
        start = time.perf_counter()
        perm = torch.randperm(n, device=device)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        loss.item()  # waits for the device's queue
        if epoch > 0:
            times.append((time.perf_counter() - start) * 1e3)
    return times


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-sizes", default="32,256")
    p.add_argument("--devices", default="cpu,cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    x_cpu, y_cpu, real = training_data()
    for device in args.devices.split(","):
        x, y = x_cpu.to(device), y_cpu.to(device)
        name = "CPU:0" if device == "cpu" else "GPU:0"
        for b in args.batch_sizes.split(","):
            t = time_epochs(x, y, int(b), args.epochs, device)
            print(f"mlp_epoch pytorch {name} {b} {statistics.median(t):.1f} {min(t):.1f}", flush=True)
    print(f"# data: {'Fashion-MNIST' if real else 'synthetic'}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
