"""``codereason generate`` and ``codereason model prepare``."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import List, Optional

import typer

from codereason.cli._app import app
from codereason.cli._common import PresetOption
from codereason.cli._ray import RAY_OPTION

model_app = typer.Typer(help="The embedded default model (SmolLM2-135M-Instruct).", no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command("prepare")
def model_prepare(
    force: bool = typer.Option(False, "--force", help="Convert again even when already prepared."),
) -> None:
    """Convert the embedded SmolLM2 GGUF into a Hugging Face directory in the cache (once)."""
    from codereason.models import is_prepared, prepare_default_model

    already = is_prepared() and not force
    path = prepare_default_model(force=force)
    typer.echo(f"{'already prepared' if already else 'prepared'}: {path}")


@app.command()
def generate(
    out_dir: Path = typer.Option(..., "-o", "--out", help="Output directory: one <checkpoint>.jsonl per checkpoint."),
    model: Optional[str] = typer.Option(None, "--model", help="Model directory or hub name (default: the embedded SmolLM2-135M-Instruct)."),
    checkpoints: Optional[List[Path]] = typer.Option(None, "--checkpoints", help="Training run directory: sweep every checkpoint in step order (a full checkpoint: one subprocess each; LoRA adapter folders: one engine for all, served on --include-base or --model). Repeatable: several runs write OUT/<run>/<checkpoint>.jsonl, their adapters of one base on one engine."),
    include_base: Optional[str] = typer.Option(None, "--include-base", help="With --checkpoints: also generate from this base model as step 0 (once: OUT/base.jsonl when several runs are given)."),
    benchmark: str = typer.Option("codereason-100", "--benchmark", help="Registered benchmark name or a JSON/JSONL problem file."),
    preset: PresetOption = "qwen-math",
    n: int = typer.Option(1, "-n", min=1, help="Samples per problem."),
    temperature: float = typer.Option(0.0, "--temperature", min=0.0),
    top_p: float = typer.Option(1.0, "--top-p", min=0.0, max=1.0),
    max_tokens: int = typer.Option(1024, "--max-tokens", min=1),
    seed: int = typer.Option(0, "--seed"),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first K problems."),
    checkpoint: Optional[str] = typer.Option(None, "--checkpoint-name", help="Checkpoint name for a single model (default: its directory name)."),
    step: Optional[int] = typer.Option(None, "--step", help="Training step of a single model (default: from its path)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Redo: discard existing samples instead of resuming."),
    dtype: str = typer.Option("auto", "--dtype", help="vLLM dtype: auto, bfloat16, float16, float32."),
    tensor_parallel_size: int = typer.Option(1, "--tensor-parallel-size", min=1),
    data_parallel_size: int = typer.Option(1, "--data-parallel-size", min=1),
    gpu_memory_utilization: Optional[float] = typer.Option(None, "--gpu-memory-utilization", help="Default: vLLM's on GPU, 0.3 on CPU."),
    max_model_len: Optional[int] = typer.Option(None, "--max-model-len"),
    batch_invariant: bool = typer.Option(False, "--batch-invariant", help="vLLM batch-invariant kernels (VLLM_BATCH_INVARIANT=1)."),
    enforce_eager: bool = typer.Option(False, "--enforce-eager", help="Skip torch.compile / graphs: faster start, slower sampling."),
    ray: Optional[str] = RAY_OPTION,
) -> None:
    """Sample rollouts with vLLM; resumes where a previous run stopped."""
    from codereason import generate as gen
    from codereason.errors import ConfigError, GenerationError

    if ray and not checkpoints:
        raise ConfigError("--ray needs --checkpoints RUN_DIR (it runs one Ray task per checkpoint)")
    if include_base and not checkpoints:
        raise ConfigError("--include-base needs --checkpoints RUN_DIR (it adds the base model as step 0)")
    job = gen.GenerateJob(
        model=model, out_dir=str(out_dir), benchmark=benchmark, preset=preset,
        sampling=gen.SamplingConfig(n=n, temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed),
        engine=gen.EngineConfig(dtype=dtype, tensor_parallel_size=tensor_parallel_size,
                                data_parallel_size=data_parallel_size, gpu_memory_utilization=gpu_memory_utilization,
                                max_model_len=max_model_len, batch_invariant=batch_invariant,
                                enforce_eager=enforce_eager),
        checkpoint=checkpoint, step=step, limit=limit, overwrite=overwrite,
    )
    if not ray:
        gen.require_engine()  # here, not on the cluster's nodes: before any other check or work
    gen.check_job(job)
    if checkpoints:
        from codereason.sweep import find_checkpoints

        for run_dir in checkpoints:
            find_checkpoints(run_dir)
        if include_base:
            gen.check_job(dataclasses.replace(job, model=include_base))
    failed: dict[str, str] = {}
    if checkpoints and ray:
        from codereason.cluster import connect, generate_checkpoints

        connect(ray)
        summaries, failed = generate_checkpoints(job, [str(c) for c in checkpoints], include_base, report=typer.echo)
    elif checkpoints:
        from codereason.sweep import sweep

        summaries = sweep(job, checkpoints, include_base)
    else:
        summaries = [gen.run_job(job)]
    for s in summaries:
        typer.echo(f"{s.checkpoint}: {s.generated} generated, {s.existing} already there -> {s.path}"
                   f" ({s.completion_tokens} tokens, the last {s.seconds:.0f} s after sampling began)")
    if failed:
        raise GenerationError(f"{len(failed)} of {len(failed) + len(summaries)} checkpoints failed "
                              f"({', '.join(failed)}); rerun the same command to resume them")
