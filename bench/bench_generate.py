"""Generator throughput: codereason's path against bare vLLM and transformers (README numbers).

    .venv/bin/python bench/bench_generate.py [--problems 64] [--max-tokens 256] [--repeats 3]

On one engine (started once, start time reported apart), on the same token
prompts with the same greedy sampling parameters:

1. ``codereason``: :func:`codereason.generate.run_job` (planning, prompt rendering,
   streaming the engine, building records with provenance, fsync'ed appends);
2. ``vllm``: a bare ``vllm.LLM.generate`` on the same prompts;
   the overhead is ``vllm tokens/s / codereason tokens/s - 1`` on the best-of-``repeats`` runs;
3. ``transformers``: ``model.generate`` on the same prompts (fewer of them,
   batched with left padding), as tokens/s and as a ratio to vLLM.

Prints a markdown table. The model is the embedded default (``--model`` for another).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model directory (default: the embedded SmolLM2)")
    parser.add_argument("--problems", type=int, default=64, help="problems from codereason-100")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3, help="best-of repeats for the vLLM paths")
    parser.add_argument("--hf-problems", type=int, default=16, help="problems for transformers (0 to skip)")
    parser.add_argument("--hf-batch", type=int, default=16)
    parser.add_argument("--hf-threads", type=int, default=1,
                        help="torch threads for transformers (vLLM's CPU worker uses 1 on this machine)")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--enforce-eager", action="store_true", help="no torch.compile (faster engine start)")
    return parser.parse_args(argv)


def make_job(args, out_dir: str):
    from codereason.generate import EngineConfig, GenerateJob, SamplingConfig

    return GenerateJob(model=args.model, out_dir=out_dir, preset="qwen-math", limit=args.problems,
                       sampling=SamplingConfig(n=1, temperature=0.0, max_tokens=args.max_tokens),
                       engine=EngineConfig(dtype=args.dtype, enforce_eager=args.enforce_eager), flush_every=16)


def the_requests(job):
    """The exact token prompts ``run_job`` sends (same planning code)."""
    from codereason.benchmarks import load_benchmark
    from codereason.generate import _load_tokenizer, plan_requests
    from codereason.models import resolve_model
    from codereason.prompts import get_preset

    model_path = resolve_model(job.model)
    tokenizer = _load_tokenizer(model_path)
    problems = load_benchmark(job.benchmark, job.limit)[1]
    return model_path, tokenizer, plan_requests(problems, 1, set(), get_preset(job.preset), tokenizer)


def run_codereason(llm, job) -> tuple[float, int]:
    from codereason.generate import run_job

    with tempfile.TemporaryDirectory() as out:
        job = dataclasses.replace(job, out_dir=out, overwrite=True)
        start = time.perf_counter()
        summary = run_job(job, llm=llm, progress=False)
        return time.perf_counter() - start, summary.completion_tokens


def run_bare_vllm(llm, requests, max_tokens: int) -> tuple[float, int]:
    from vllm import SamplingParams

    params = SamplingParams(n=1, temperature=0.0, top_p=1.0, max_tokens=max_tokens)
    prompts = [{"prompt_token_ids": list(r.token_ids)} for r in requests]
    start = time.perf_counter()
    outputs = llm.generate(prompts, params, use_tqdm=False)
    return time.perf_counter() - start, sum(len(o.outputs[0].token_ids) for o in outputs)


def run_transformers(model_path, tokenizer, requests, max_tokens: int, batch: int, threads: int):
    """Greedy ``generate`` in batches with left padding; ``(seconds, generated tokens)``."""
    import torch
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(threads)  # more threads than free cores makes every matmul wait
    model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch.bfloat16).eval()
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    _hf_batch(model, requests[:2], 4, pad, tokenizer.eos_token_id)  # warm-up
    start = time.perf_counter()
    total = sum(_hf_batch(model, requests[i:i + batch], max_tokens, pad, tokenizer.eos_token_id)
                for i in range(0, len(requests), batch))
    return time.perf_counter() - start, total


def _hf_batch(model, requests, max_tokens: int, pad: int, eos: int) -> int:
    """Generate for one left-padded batch; the number of tokens generated."""
    import torch

    chunk = [list(r.token_ids) for r in requests]
    width = max(map(len, chunk))
    ids = torch.tensor([[pad] * (width - len(c)) + c for c in chunk])
    mask = torch.tensor([[0] * (width - len(c)) + [1] * len(c) for c in chunk])
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_tokens, do_sample=False,
                             pad_token_id=pad)
    return sum(_generated_length(row[width:].tolist(), eos) for row in out)


def _generated_length(tokens: list[int], eos: int) -> int:
    """Tokens up to and including the first EOS (the rest is padding)."""
    return tokens.index(eos) + 1 if eos in tokens else len(tokens)


def best(runs: list[tuple[float, int]]) -> tuple[float, int]:
    return min(runs, key=lambda run: run[0])


def main(argv: list[str]) -> None:
    from codereason.generate import shutdown_engine, start_engine

    args = parse_args(argv)
    job = make_job(args, "")
    model_path, tokenizer, requests = the_requests(job)
    start = time.perf_counter()
    llm = start_engine(model_path, job.engine, job.sampling.seed)
    engine_start = time.perf_counter() - start
    run_bare_vllm(llm, requests[:4], 8)  # warm-up
    ours, bare = [], []
    for repeat in range(args.repeats):  # interleaved, order alternating: load drifts hit both
        if repeat % 2:
            bare.append(run_bare_vllm(llm, requests, args.max_tokens))
        ours.append(run_codereason(llm, job))
        if not repeat % 2:
            bare.append(run_bare_vllm(llm, requests, args.max_tokens))
    shutdown_engine(llm)
    hf = None
    if args.hf_problems:
        hf = run_transformers(model_path, tokenizer, requests[:args.hf_problems], args.max_tokens, args.hf_batch,
                              args.hf_threads)
    print_table(args, len(requests), engine_start, best(ours), best(bare), hf)


def print_table(args, n_requests, engine_start, ours, bare, hf) -> None:
    rate = lambda run: run[1] / run[0]  # noqa: E731
    print(f"\nmodel: {args.model or 'smollm2-135m-instruct (embedded)'}; device: {_device()}; "
          f"{os.cpu_count()} CPUs; greedy, max_tokens={args.max_tokens}; best of {args.repeats}; "
          f"{'eager' if args.enforce_eager else 'torch.compile'}; "
          f"engine start {engine_start:.1f} s (not counted)\n")
    print("| path | samples | completion tokens | wall s | tokens/s | vs bare vLLM |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| bare `vllm.LLM.generate` | {n_requests} | {bare[1]} | {bare[0]:.2f} | {rate(bare):.0f} | 1.00 |")
    overhead = rate(bare) / rate(ours) - 1  # per token: greedy batches may end a few tokens apart
    print(f"| `codereason generate` (run_job) | {n_requests} | {ours[1]} | {ours[0]:.2f} | {rate(ours):.0f} "
          f"| overhead {overhead:+.1%} |")
    if hf:
        print(f"| transformers `generate` (batch {args.hf_batch}, {args.hf_threads} thread) | {args.hf_problems} | {hf[1]} | {hf[0]:.2f} "
              f"| {rate(hf):.0f} | vLLM is {rate(bare) / rate(hf):.1f}x faster |")


def _device() -> str:
    from codereason.generate import device_name

    return device_name()


if __name__ == "__main__":
    main(sys.argv[1:])
