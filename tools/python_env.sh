#!/usr/bin/env bash
# Creates (once) the Python virtual environment the interop tests run TensorFlow in:
# tensorflow-cpu 2.21 and Keras 3 from PyPI. Usage: tools/python_env.sh VENV_DIR; prints the
# venv's python. A stamp file marks a finished install, so later runs reuse it in milliseconds;
# a concurrent run waits on a lock instead of installing twice.
set -euo pipefail
venv=${1:?usage: python_env.sh VENV_DIR}
stamp="$venv/.tapeflow-interop-ready"
reqs="tensorflow-cpu==2.21.* keras>=3.10 safetensors tensorboard"
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$reqs" ]; then
  py=$(command -v python3)
  rm -rf "$venv"
  "$py" -m venv "$venv" >&2
  # shellcheck disable=SC2086
  "$venv/bin/python" -m pip install -q --disable-pip-version-check $reqs >&2
  echo "$reqs" >"$stamp"
fi
echo "$venv/bin/python"
