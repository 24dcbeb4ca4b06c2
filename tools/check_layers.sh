#!/usr/bin/env bash
# The layering of DESIGN.md, enforced: a source in a layer includes only its own layer and the
# layers below it (each layer's list below). The top-level library files (tapeflow/init.cpp,
# tapeflow/tapeflow.h) may include everything. Prints each violation; exits 1 if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."

# layer folder (under tapeflow/) -> the folders it may include from, besides its own
declare -A allowed=(
  [util]=""
  [core]="util"
  [kernels]="core util"                                   # the shared __host__ __device__ headers
  [kernels/cpu]="kernels core util"
  [cuda]="core util"                                      # the CUDA runtime layer
  [kernels/cuda]="cuda kernels core util"
  [autograd]="core util"
  [trackable]="core util"
  [graph]="autograd trackable core util"
  [serialization]="graph trackable autograd core util"
  [nn]="serialization graph trackable autograd core util"
)

# The layer a path under tapeflow/ belongs to: the longest folder prefix named above.
layer_of() {
  local rel=$1 best=""
  for layer in "${!allowed[@]}"; do
    if [[ $rel == "$layer"/* && ${#layer} -gt ${#best} ]]; then best=$layer; fi
  done
  echo "$best"
}

status=0
while IFS= read -r file; do
  rel=${file#tapeflow/}
  from=$(layer_of "$rel")
  if [ -z "$from" ]; then
    case $rel in init.cpp|tapeflow.h) continue ;; esac
    echo "check_layers: $file is in no layer (add its folder to tools/check_layers.sh)"
    status=1
    continue
  fi
  while IFS= read -r inc; do
    to=$(layer_of "$inc")
    [ -z "$to" ] && { case $inc in init.cpp|tapeflow.h) to=top ;; esac; }
    if [ "$to" = "$from" ]; then continue; fi
    ok=0
    for a in ${allowed[$from]}; do [ "$to" = "$a" ] && ok=1; done
    if [ $ok -eq 0 ]; then
      echo "check_layers: $file (layer $from) includes tapeflow/$inc (layer ${to:-unknown})"
      status=1
    fi
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"tapeflow\/\([^"]*\)".*/\1/p' "$file")
done < <(find tapeflow -type f \( -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) | sort)

if [ $status -eq 0 ]; then echo "check_layers: every include goes to the same or a lower layer"; fi
exit $status
