"""Tapeflow's saved_model_cli run (tools/saved_model_cli.cpp) on the SavedModels TensorFlow and
Keras wrote (gen_tf_saved_models.py OUT_DIR first): each signature fed its input from a .npy
file reproduces TF's outputs (expected.txt), through --outdir's output_0.npy.
    python tapeflow_cli_runs_tf_saved_models.py OUT_DIR SAVED_MODEL_CLI
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import tf_loads_tapeflow_saved_models as common
from tf_loads_tapeflow_saved_models import check, close, meta_graph, read_expected, user_signatures


def main(out, cli):
    for name in ("seed_module", "keras_mlp", "keras_cnn"):
        path = os.path.join(out, name)
        x, want = read_expected(os.path.join(path, "expected.txt"))
        for key, sig in sorted(user_signatures(meta_graph(path)).items()):
            (in_key, _), = sig.inputs.items()
            work = tempfile.mkdtemp()
            np.save(os.path.join(work, "x.npy"), x.astype(np.float64))  # cast to float32 by the tool, as TF's feed
            run = subprocess.run([cli, "run", "--dir", path, "--tag_set", "serve", "--signature_def", key,
                                  "--inputs", "%s=%s" % (in_key, os.path.join(work, "x.npy")), "--outdir", work],
                                 capture_output=True, text=True)
            out_key = sorted(sig.outputs)[0]
            got = np.load(os.path.join(work, out_key + ".npy")) if run.returncode == 0 else None
            check(got is not None and close(got, want), "Tapeflow's saved_model_cli run %s %s" % (name, key),
                  run.stdout + run.stderr)
    if common.failed:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
