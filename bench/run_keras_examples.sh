#!/usr/bin/env bash
# Issue 17's two example models against Keras 3 on TensorFlow (CPU), in one run: the LSTM reading
# Fashion-MNIST rows (examples/fashion_mnist_lstm) and the small ViT-style Transformer encoder
# (examples/fashion_mnist_transformer), each side training the same model on the same images with
# fit (validation on the test images each epoch) then evaluate:
#   bash bench/run_keras_examples.sh [rounds] [train_samples] [epochs]   # defaults: 1 12800 3
# Each round runs Tapeflow then Keras for each model. Both print Keras's verbose=2 epoch lines
# ("200/200 - 3s - 15ms/step - ..."), read here by one parser: the first epoch (Keras traces its
# tf.functions there, Tapeflow its steps) and the median of the later ones are reported apart.
# Each side uses its default threads (all usable cores). Keras: the interop venv (build/python-venv,
# made by tools/python_env.sh). Prints a Markdown table ready for bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1}
samples=${2:-12800}
epochs=${3:-3}
[ -d build ] || bash tools/configure.sh >/dev/null
cmake --build build -j"$(nproc)" --target fashion_mnist_lstm fashion_mnist_transformer >/dev/null
py=$(bash tools/python_env.sh "$PWD/build/python-venv")
out=$(mktemp -d)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
common=(--epochs "$epochs" --train-samples "$samples" --test-samples 10000 --batch-size 64)
for r in $(seq "$rounds"); do
  for m in lstm transformer; do
    ./build/examples/fashion_mnist_$m "${common[@]}" > "$out/tapeflow.$m.$r.txt"
    "$py" bench/keras_examples.py --model "$m" "${common[@]}" > "$out/keras.$m.$r.txt" 2> "$out/keras.$m.$r.err" ||
      { echo "(Keras peer failed: $out/keras.$m.$r.err)" >&2; }
  done
  echo "round $r/$rounds done" >&2
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average: $load_before before, $load_after after; $(nproc) cores; $rounds round(s), $samples training images, $epochs epochs, batch 64"
"$py" - "$out" "$rounds" <<'EOF'
import re, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
step = re.compile(r"^\s*(\d+)/\1 - \S+ - ([\d.]+)(ms|s|us)/step")
def read(path):
    """(ms/step of each epoch, test accuracy) from one side's output, or None."""
    try:
        lines = open(path).read().splitlines()
    except OSError:
        return None
    per_step, acc = [], None
    for line in lines:
        m = step.match(line)
        if m:
            scale = {"ms": 1.0, "s": 1000.0, "us": 0.001}[m.group(3)]
            per_step.append(float(m.group(2)) * scale)
        if line.startswith("Test accuracy:"):
            acc = float(line.split()[-1])
    return (per_step, acc) if per_step and acc is not None else None
print("| model | side | first epoch ms/step | later epochs ms/step (median) | test accuracy | Keras / Tapeflow (later epochs) |")
print("| --- | --- | --- | --- | --- | --- |")
for m in ("lstm", "transformer"):
    res = {}
    for side in ("tapeflow", "keras"):
        runs = [read(f"{out}/{side}.{m}.{r}.txt") for r in range(1, rounds + 1)]
        runs = [x for x in runs if x]
        if not runs:
            continue
        first = statistics.median(x[0][0] for x in runs)
        later = statistics.median(v for x in runs for v in (x[0][1:] or x[0][:1]))
        res[side] = (first, later, [x[1] for x in runs])
    for side in ("tapeflow", "keras"):
        if side not in res:
            print(f"| {m} | {side} | - | - | - | - |")
            continue
        first, later, accs = res[side]
        ratio = ""
        if side == "tapeflow" and "keras" in res:
            ratio = f"{res['keras'][1] / later:.2f}x"
        name = "Tapeflow" if side == "tapeflow" else "Keras 3 / TF (CPU)"
        print(f"| {m} | {name} | {first:.1f} | {later:.1f} | {' / '.join(f'{a:.4f}' for a in accs)} | {ratio} |")
EOF
