#!/usr/bin/env bash
# The browser check of TensorBoard support (issue 15): trains the Fashion-MNIST MLP example with
# --logdir, serves the logs with `tensorboard` on 127.0.0.1 and takes a headless Chromium
# screenshot of the scalars dashboard (Debian's `chromium`; TensorBoard from the venv of
# tools/python_env.sh). Usage: tools/tensorboard_screenshot.sh BUILD_DIR OUT_PNG [PYTHON]
set -euo pipefail
build=${1:?usage: tensorboard_screenshot.sh BUILD_DIR OUT_PNG [PYTHON]} out=${2:?OUT_PNG}
src=$(cd "$(dirname "$0")/.." && pwd)
py=${3:-$(bash "$src/tools/python_env.sh" "$build/python-venv")}
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "tensorboard_screenshot: install Debian's chromium" >&2; exit 1; }
work=$(mktemp -d)
port=$((6100 + RANDOM % 800))
cleanup() { [ -n "${tb_pid:-}" ] && kill "$tb_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$build/examples/fashion_mnist_mlp" --epochs 6 --train-samples 6000 --logdir "$work/logs/mlp"
"$py" -m tensorboard.main --logdir "$work/logs" --host 127.0.0.1 --port "$port" >"$work/tb.log" 2>&1 &
tb_pid=$!
for _ in $(seq 60); do
  curl -sf "http://127.0.0.1:$port/data/runs" >/dev/null 2>&1 && break
  sleep 1
done
curl -sf "http://127.0.0.1:$port/data/runs" | grep -q "mlp/train" || { cat "$work/tb.log" >&2; exit 1; }
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,1000 \
  --virtual-time-budget=30000 --screenshot="$out" "http://127.0.0.1:$port/?darkMode=false#scalars" 2>/dev/null
echo "tensorboard_screenshot: wrote $out"
