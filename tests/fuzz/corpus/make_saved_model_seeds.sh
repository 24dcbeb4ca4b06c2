#!/usr/bin/env bash
# Packs SavedModel directories into the saved_model fuzz target's input form (fuzz/saved_model_fuzz.cpp):
# uint32 n, saved_model.pb, uint32 k, variables.index, then the data file.
#   make_saved_model_seeds.sh OUT_DIR SAVED_MODEL_DIR...
set -euo pipefail
out=$1
shift
for d in "$@"; do
  python3 - "$d" "$out/$(basename "$d")" <<'PY'
import struct, sys
d, out = sys.argv[1], sys.argv[2]
pb = open(d + "/saved_model.pb", "rb").read()
idx = open(d + "/variables/variables.index", "rb").read()
data = open(d + "/variables/variables.data-00000-of-00001", "rb").read()
open(out, "wb").write(struct.pack("<I", len(pb)) + pb + struct.pack("<I", len(idx)) + idx + data)
PY
done
