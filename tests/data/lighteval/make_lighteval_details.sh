#!/usr/bin/env bash
# How tests/data/lighteval/details_*.parquet was made: lighteval 0.13.0 (its own venv, /work/venv-lighteval)
# on the embedded SmolLM2-135M-Instruct (converted to HF by codereason.models.prepare_default_model), CPU,
# the local task arith_task.py on the six problems of ../lmeval/arith.jsonl, --save-details; run_lighteval.py
# limits the task registry to that file (built-in task modules reach the network at import).
set -euo pipefail
# The venv: pip install lighteval==0.13.0 xxhash==3.5.0 (xxhash 4 refuses the str lighteval hashes).
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
mkdir -p "$work/data" && cp "$here/../lmeval/arith.jsonl" "$work/data/test.jsonl"
model=${MODEL:-$HOME/.cache/codereason/models/smollm2-135m-instruct}
cd "$work"
ARITH_DATA_DIR="$work/data" HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 ${LIGHTEVAL_PYTHON:-/work/venv-lighteval/bin/python} "$here/run_lighteval.py" \
  accelerate "model_name=$model,dtype=float32,max_length=512,batch_size=1" "arith|0" --custom-tasks "$here/arith_task.py" \
  --save-details --output-dir "$work/out"
for f in $(find "$work/out" -name "details_*.parquet"); do cp "$f" "$here/$(basename "$f" | tr "|" "_")"; done  # no "|" in names we commit
ls -la "$here"
