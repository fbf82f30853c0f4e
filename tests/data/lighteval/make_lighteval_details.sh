#!/usr/bin/env bash
# How tests/data/lighteval/details_*.parquet was made: lighteval 0.13.0 (its own venv, /work/venv-lighteval)
# on the embedded SmolLM2-135M-Instruct (converted to HF by codereason.models.prepare_default_model), CPU,
# the local task arith_task.py on the six problems of ../lmeval/arith.jsonl, --save-details.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
mkdir -p "$work/data" && cp "$here/../lmeval/arith.jsonl" "$work/data/test.jsonl"
model=${MODEL:-$HOME/.cache/codereason/models/smollm2-135m-instruct}
cd "$work"
ARITH_DATA_DIR="$work/data" HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 ${LIGHTEVAL:-/work/venv-lighteval/bin/lighteval} \
  accelerate "model_name=$model,dtype=float32,max_length=512" "arith|0" --custom-tasks "$here/arith_task.py" \
  --save-details --output-dir "$work/out"
find "$work/out" -name 'details_*.parquet' -exec cp {} "$here/" \;
ls -la "$here"
