"""PyTorch eager peer of bench/cnn_epoch.cpp: one epoch of Conv2d(1, 32, 5, padding=2) -> ReLU ->
MaxPool2d(2) -> Conv2d(32, 64, 5, padding=2) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(3136,
1024) -> ReLU -> Linear(1024, 10), Adam (lr 1e-3, eps 1e-7 as Keras), cross-entropy from logits,
reshuffled each epoch and batched by indexing; the data on the measured device. NCHW, as PyTorch
prefers (cuDNN picks its own layout either way).
Usage: python3 cnn_epoch_torch.py [--epochs N] [--batch-sizes 64,256] [--devices cpu,cuda] [--train-samples N]
Prints "cnn_epoch pytorch <device> <batch> <median ms> <min ms>" (CPU:0 / GPU:0 names), scaled to
60000 images when a subset was timed.
"""
import argparse
import os
import statistics
import time

import torch

from mlp_epoch_torch import training_data


def time_epochs(x, y, batch_size, epochs, device):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(7 * 7 * 64, 1024), torch.nn.ReLU(), torch.nn.Linear(1024, 10)).to(device)
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
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-sizes", default="64,256")
    p.add_argument("--devices", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--train-samples", type=int, default=60000)
    args = p.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    x_cpu, y_cpu, real = training_data()
    n = min(args.train_samples, 60000)
    x_cpu, y_cpu = x_cpu[:n].unsqueeze(1), y_cpu[:n]  # (N, 1, 28, 28)
    for device in args.devices.split(","):
        x, y = x_cpu.to(device), y_cpu.to(device)
        name = "CPU:0" if device == "cpu" else "GPU:0"
        for b in args.batch_sizes.split(","):
            t = [ms * 60000 / n for ms in time_epochs(x, y, int(b), args.epochs, device)]
            print(f"cnn_epoch pytorch {name} {b} {statistics.median(t):.1f} {min(t):.1f}", flush=True)
    print(f"# data: {'Fashion-MNIST' if real else 'synthetic'}, {n} images timed per epoch; torch {torch.__version__}")


if __name__ == "__main__":
    main()
