"""PyTorch eager peer of bench/cnn_epoch.cpp: one epoch of, with --model anchor (the default),
Conv2d(1, 32, 5, padding=2) -> ReLU -> MaxPool2d(2) -> Conv2d(32, 64, 5, padding=2) -> ReLU ->
MaxPool2d(2) -> Flatten -> Linear(3136, 1024) -> ReLU -> Linear(1024, 10), or with --model seed
(examples/fashion_mnist_cnn) the same with 3x3 kernels (padding 1) and Linear(3136, 128); Adam (lr
1e-3, eps 1e-7 as Keras), cross-entropy from logits and the batch accuracy counted as Tapeflow's
loop does, reshuffled each epoch and batched by indexing; the data on the measured device. NCHW,
as PyTorch prefers (cuDNN picks its own layout either way).
Usage: python3 cnn_epoch_torch.py [--epochs N] [--batch-sizes 64,256] [--devices cpu,cuda] [--train-samples N]
                                  [--model anchor|seed]
Prints "cnn_epoch pytorch <device> <batch> <median ms> <min ms>" (CPU:0 / GPU:0 names), scaled to
60000 images when a subset was timed. Threads: torch.set_num_threads(OMP_NUM_THREADS or the core count).
"""
import argparse
import os
import statistics
import time

import torch

from mlp_epoch_torch import training_data


def time_epochs(x, y, batch_size, epochs, device, model_name="anchor"):
    torch.manual_seed(0)
    k, hidden = (3, 128) if model_name == "seed" else (5, 1024)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, k, padding=k // 2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, k, padding=k // 2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(7 * 7 * 64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = x.shape[0]
    times = []
    for epoch in range(epochs + 1):  # the first epoch warms up
        start = time.perf_counter()
        perm = torch.randperm(n, device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            labels = y[idx]
            logits = model(x[idx])
            loss = loss_fn(logits, labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():  # the accuracy metric, as Tapeflow's loop updates it
                correct += (logits.argmax(1) == labels).sum()
        correct.item()  # waits for the device's queue
        if epoch > 0:
            times.append((time.perf_counter() - start) * 1e3)
    return times


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-sizes", default="64,256")
    p.add_argument("--devices", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--train-samples", type=int, default=60000)
    p.add_argument("--model", choices=["anchor", "seed"], default="anchor")
    args = p.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
    x_cpu, y_cpu, real = training_data()
    n = min(args.train_samples, 60000)
    x_cpu, y_cpu = x_cpu[:n].unsqueeze(1), y_cpu[:n]  # (N, 1, 28, 28)
    for device in args.devices.split(","):
        x, y = x_cpu.to(device), y_cpu.to(device)
        name = "CPU:0" if device == "cpu" else "GPU:0"
        for b in args.batch_sizes.split(","):
            t = [ms * 60000 / n for ms in time_epochs(x, y, int(b), args.epochs, device, args.model)]
            print(f"cnn_epoch pytorch {name} {b} {statistics.median(t):.1f} {min(t):.1f}", flush=True)
    print(f"# data: {'Fashion-MNIST' if real else 'synthetic'}, {n} images timed per epoch; model {args.model}; torch {torch.__version__}")


if __name__ == "__main__":
    main()
