#!/usr/bin/env bash
# How tests/data/lmeval/samples_arith_gen_*.jsonl and results_*.json were made: lm-eval 0.4.13 (its own
# venv, /work/venv-lmeval) on the embedded SmolLM2-135M-Instruct (codereason's default model, converted
# to HF by `codereason.models.prepare_default_model`), CPU, the local task arith_gen.yaml (six problems
# we wrote, two filters, 2 samples each), --log_samples.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
sed "s#REPLACED_BY_MAKE_SCRIPT#$here/arith.jsonl#" "$here/arith_gen.yaml" > "$work/arith_gen.yaml"
model=${MODEL:-$HOME/.cache/codereason/models/smollm2-135m-instruct}
HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 ${LMEVAL_PYTHON:-/work/venv-lmeval/bin/python} -m lm_eval \
  --model hf --model_args "pretrained=$model,dtype=float32" --device cpu --batch_size 1 \
  --include_path "$work" --tasks arith_gen --log_samples --seed 0,1234,1234,1234 --output_path "$work/out"
find "$work/out" -name '*.json*' -exec cp {} "$here/" \;
ls -la "$here"
