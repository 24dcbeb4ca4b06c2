"""Compiled peers of bench/mlp_epoch.cpp's traced step: one epoch of the Fashion-MNIST MLP
(784-100-10, ReLU, Adam lr 1e-3 / eps 1e-7 as Keras, sparse softmax cross-entropy from logits)
over the 60000 training images, reshuffled each epoch, each training step one compiled function:
  jax    jax.jit of the whole step (forward, grad, Adam written out as Keras's update)
  torch  torch.compile of the forward+loss (backward compiled by AOTAutograd) and of Adam's step
  tf     tf.function of the whole step (GradientTape, keras.optimizers.Adam)
The batch is gathered on the host side of each framework by indexing with a permutation slice,
as the Tapeflow side does. Threads: OMP_NUM_THREADS (default: the core count) for each.
Usage: python3 mlp_epoch_compiled.py --side jax|torch|tf [--epochs N] [--batch-sizes 32,256]
Prints "mlp_epoch <side> CPU:0 <batch> <median ms> <min ms>" lines (the first epoch, which
traces/compiles, is a warm-up and not timed). Each side needs its framework importable
(jax and torch: pip install jax torch; tf: tensorflow-cpu), so run_mlp_epoch.sh calls each
side with the interpreter that has it.
"""
import argparse
import os
import statistics
import time

import numpy as np

import fashion_mnist_data

THREADS = int(os.environ.get("OMP_NUM_THREADS", os.cpu_count()))
LR, BETA_1, BETA_2, EPS = 1e-3, 0.9, 0.999, 1e-7


def glorot(rng, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


def initial_params():
    rng = np.random.default_rng(0)
    return [glorot(rng, 784, 100), np.zeros(100, np.float32), glorot(rng, 100, 10), np.zeros(10, np.float32)]


def timed(epochs, run_epoch):
    times = []
    for epoch in range(epochs + 1):  # the first epoch traces/compiles: a warm-up
        start = time.perf_counter()
        run_epoch(epoch)
        if epoch > 0:
            times.append((time.perf_counter() - start) * 1e3)
    return times


def jax_epochs(x, y, batch_size, epochs):
    os.environ.setdefault("XLA_FLAGS", f"--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={THREADS}")
    import jax
    import jax.numpy as jnp

    def loss_fn(p, xb, yb):
        h = jax.nn.relu(xb.reshape(xb.shape[0], 784) @ p[0] + p[1])
        logits = h @ p[2] + p[3]
        return jnp.mean(jax.nn.logsumexp(logits, axis=1) - jnp.take_along_axis(logits, yb[:, None], 1)[:, 0])

    @jax.jit
    def step(p, m, v, t, xb, yb):
        loss, g = jax.value_and_grad(loss_fn)(p, xb, yb)
        t = t + 1
        alpha = LR * jnp.sqrt(1 - BETA_2**t) / (1 - BETA_1**t)
        m = [mi + (gi - mi) * (1 - BETA_1) for mi, gi in zip(m, g)]
        v = [vi + (gi * gi - vi) * (1 - BETA_2) for vi, gi in zip(v, g)]
        p = [pi - alpha * mi / (jnp.sqrt(vi) + EPS) for pi, mi, vi in zip(p, m, v)]
        return p, m, v, t, loss

    xd, yd = jnp.asarray(x), jnp.asarray(y)
    state = {"p": [jnp.asarray(a) for a in initial_params()]}
    state["m"] = [jnp.zeros_like(a) for a in state["p"]]
    state["v"] = [jnp.zeros_like(a) for a in state["p"]]
    state["t"] = jnp.float32(0)
    n = x.shape[0]
    take = jax.jit(lambda a, i: a[i])

    def run_epoch(epoch):
        perm = jnp.asarray(np.random.default_rng(epoch).permutation(n))
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            state["p"], state["m"], state["v"], state["t"], loss = step(
                state["p"], state["m"], state["v"], state["t"], take(xd, idx), take(yd, idx))
        loss.block_until_ready()

    return timed(epochs, run_epoch), f"jax {jax.__version__}"


def torch_epochs(x, y, batch_size, epochs):
    import torch
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 100), torch.nn.ReLU(),
                                torch.nn.Linear(100, 10))
    opt = torch.optim.Adam(model.parameters(), lr=LR, eps=EPS)
    loss_fn = torch.nn.CrossEntropyLoss()

    # The forward and its AOT-compiled backward as one compiled module, and the optimizer's
    # update compiled on its own: PyTorch's recommended form (compiling backward() and step()
    # inside one function breaks the graph at each of them).
    forward = torch.compile(lambda xb, yb: loss_fn(model(xb), yb))

    @torch.compile
    def update():
        opt.step()

    def step(xb, yb):
        loss = forward(xb, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        update()
        return loss

    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    n = x.shape[0]

    def run_epoch(epoch):
        perm = torch.randperm(n)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            step(xt[idx], yt[idx])

    return timed(epochs, run_epoch), f"torch {torch.__version__} (torch.compile, inductor)"


def tf_epochs(x, y, batch_size, epochs):
    import tensorflow as tf
    import keras
    tf.config.threading.set_intra_op_parallelism_threads(THREADS)
    p = [tf.Variable(a) for a in initial_params()]
    opt = keras.optimizers.Adam(learning_rate=LR, epsilon=EPS)

    @tf.function(reduce_retracing=True)
    def step(xb, yb):
        with tf.GradientTape() as tape:
            h = tf.nn.relu(tf.reshape(xb, [-1, 784]) @ p[0] + p[1])
            logits = h @ p[2] + p[3]
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=logits))
        opt.apply_gradients(zip(tape.gradient(loss, p), p))
        return loss

    xt, yt = tf.constant(x), tf.constant(y)
    n = x.shape[0]

    def run_epoch(epoch):
        perm = tf.random.shuffle(tf.range(n), seed=epoch)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            loss = step(tf.gather(xt, idx), tf.gather(yt, idx))
        loss.numpy()

    return timed(epochs, run_epoch), f"tensorflow {tf.__version__} (tf.function)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", required=True, choices=["jax", "torch", "tf"])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-sizes", default="32,256")
    args = ap.parse_args()
    x, y, real = fashion_mnist_data.training_data()
    run = {"jax": jax_epochs, "torch": torch_epochs, "tf": tf_epochs}[args.side]
    name = {"jax": "jax_jit", "torch": "torch_compile", "tf": "tf_function"}[args.side]
    version = ""
    for b in args.batch_sizes.split(","):
        t, version = run(x, y, int(b), args.epochs)
        print(f"mlp_epoch {name} CPU:0 {b} {statistics.median(t):.1f} {min(t):.1f}", flush=True)
    print(f"# {name}: {version}, {THREADS} threads, data: {'Fashion-MNIST' if real else 'synthetic'}")


if __name__ == "__main__":
    main()
