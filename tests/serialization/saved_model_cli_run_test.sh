#!/usr/bin/env bash
# CTest saved_model_cli_run: `saved_model_cli run --inputs KEY=FILE.npy` on the SavedModels the
# interop writer saves (a tf.Module, model.export_ of a Keras MLP, CNN and functional model) prints what the model
# computed when it was saved (cli_output.txt, NumPy's format), --outdir writes output_0.npy
# (refused without --overwrite the second time), and a wrong key or file is an error naming it.
#   saved_model_cli_run_test.sh WRITER CLI
set -euo pipefail
writer=$1 cli=$2
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
"$writer" "$d"
for m in seed_module keras_mlp keras_cnn keras_functional; do
  key=keras_tensor
  [ "$m" = seed_module ] && key=x
  [ "$m" = keras_functional ] && key=feat
  for sig in serving_default serve; do
    [ "$m" = seed_module ] && [ "$sig" = serve ] && continue
    "$cli" run --dir "$d/$m" --tag_set serve --signature_def "$sig" --inputs "$key=$d/$m/input.npy" > "$d/got.txt"
    diff -u "$d/$m/cli_output.txt" "$d/got.txt"
  done
done
"$cli" run --dir "$d/seed_module" --tag_set serve --signature_def serving_default \
  --inputs "x=$d/seed_module/input.npy" --outdir "$d/out" > "$d/got.txt"
grep -qF "Output output_0 is saved to $d/out/output_0.npy" "$d/got.txt"
[ -s "$d/out/output_0.npy" ]
expect_error() {  # expect_error TEXT ARGS...: the command fails and says TEXT
  local text=$1; shift
  if "$cli" "$@" > "$d/err.txt" 2>&1; then echo "expected a failure: $*"; exit 1; fi
  grep -qF -- "$text" "$d/err.txt" || { echo "missing '$text' in:"; cat "$d/err.txt"; exit 1; }
}
expect_error "already exists. Add \"--overwrite\"" run --dir "$d/seed_module" --tag_set serve \
  --signature_def serving_default --inputs "x=$d/seed_module/input.npy" --outdir "$d/out"
"$cli" run --dir "$d/seed_module" --tag_set serve --signature_def serving_default \
  --inputs "x=$d/seed_module/input.npy" --outdir "$d/out" --overwrite > /dev/null
expect_error '"y" is not a valid input key. Please choose from "x"' run --dir "$d/seed_module" --tag_set serve \
  --signature_def serving_default --inputs "y=$d/seed_module/input.npy"
expect_error "no signature_def 'nope'" run --dir "$d/seed_module" --tag_set serve --signature_def nope \
  --inputs "x=$d/seed_module/input.npy"
expect_error "missing.npy" run --dir "$d/seed_module" --tag_set serve --signature_def serving_default \
  --inputs "x=$d/missing.npy"
expect_error "reads .npy files only" run --dir "$d/seed_module" --tag_set serve --signature_def serving_default \
  --inputs "x=$d/x.npz[a]"
echo "saved_model_cli run: ok"
