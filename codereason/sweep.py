"""Sweep a training run: every checkpoint, in step order, in fresh processes.

vLLM does not reliably give memory back inside one process, so each full
checkpoint is a :class:`~codereason.generate.GenerateJob` run by ``python -m
codereason.generate`` in a fresh process. LoRA adapter checkpoints (folders
with ``adapter_config.json``, as peft saves them) are served on their base
model by one engine for all of them, in one process (vLLM's LoRA support), with
the base itself as step 0 when it is asked for. Each job writes
``OUT_DIR/<checkpoint>.jsonl`` with ``checkpoint`` and ``step`` fields set, the
layout ``codereason track`` reads. A failed checkpoint stops the sweep;
rerunning resumes every file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from codereason.errors import GenerationError
from codereason.generate import GenerateJob, JobSummary, is_lora_adapter, require_engine
from codereason.io import infer_step

CHECKPOINT_GLOBS = ("global_step_*", "checkpoint-*", "step*")


def find_checkpoints(run_dir: str | os.PathLike) -> list[tuple[str, int, Path]]:
    """``(name, step, path)`` of every checkpoint directory in a run, in step order.

    Checkpoints are subdirectories named ``global_step_*``, ``checkpoint-*`` or
    ``step*`` that hold a ``config.json`` (directly, or in ``actor/huggingface``
    or ``huggingface`` as verl writes them) or are a LoRA adapter folder
    (``adapter_config.json``; :func:`~codereason.generate.is_lora_adapter`).

    Raises:
        GenerationError: the directory holds no checkpoint.
    """
    run_dir = Path(run_dir)
    found = []
    for pattern in CHECKPOINT_GLOBS:
        for candidate in run_dir.glob(pattern):
            step = infer_step(candidate.name)
            model_dir = _hf_dir(candidate)
            if step is not None and model_dir is not None:
                found.append((candidate.name, step, model_dir))
    if not found:
        raise GenerationError(f"{run_dir}: no checkpoint directory ({', '.join(CHECKPOINT_GLOBS)} holding a "
                              "config.json or a LoRA adapter_config.json); pass --model for a single model")
    return sorted(set(found), key=lambda item: (item[1], item[0]))


def _hf_dir(candidate: Path) -> Path | None:
    """The model (or adapter) folder of a checkpoint directory, or None."""
    for sub in ("", "huggingface", "actor/huggingface"):
        if (candidate / sub / "config.json").is_file() or is_lora_adapter(candidate / sub):
            return candidate / sub
    return None


def sweep(job: GenerateJob, run_dir: str | os.PathLike, include_base: str | None = None) -> list[JobSummary]:
    """Generate for every checkpoint of ``run_dir`` (and ``include_base`` as step 0).

    Each full checkpoint runs in its own subprocess, in step order; the LoRA
    adapters, and the base they are served on, run on one engine in one
    subprocess (:func:`engine_groups`). A failed checkpoint stops the sweep
    (finished files stay, a rerun resumes).

    Raises:
        GenerationError: no checkpoints, or a subprocess failed.
    """
    require_engine()
    jobs = checkpoint_jobs(job, run_dir, include_base)
    done: dict[str, JobSummary] = {}
    for group in engine_groups(jobs):
        for summary in run_checkpoint_process(group):
            done[summary.checkpoint] = summary
    return [done[j.checkpoint] for j in jobs]


def checkpoint_jobs(job: GenerateJob, run_dir: str | os.PathLike, include_base: str | None = None) -> list[GenerateJob]:
    """One job per checkpoint of ``run_dir`` (and ``include_base`` as step 0), in step order.

    Each is ``job`` with the checkpoint's model path, name and step, and the
    run's name as ``model_label``. A LoRA adapter checkpoint is served on
    ``include_base`` when given, else on ``job.model`` (None: the embedded model).

    Raises:
        GenerationError: the directory holds no checkpoint.
    """
    checkpoints = find_checkpoints(run_dir)
    if include_base:
        checkpoints.insert(0, ("base", 0, Path(include_base)))
    label = job.model_label or Path(run_dir).resolve().name
    base = include_base or job.model
    jobs = []
    for name, step, path in checkpoints:
        if name != "base" and is_lora_adapter(path):
            jobs.append(dataclasses.replace(job, model=base, lora=str(path), checkpoint=name, step=step, model_label=label))
        else:
            jobs.append(dataclasses.replace(job, model=str(path), checkpoint=name, step=step, model_label=label))
    return jobs


def engine_groups(jobs: list[GenerateJob]) -> list[list[GenerateJob]]:
    """The jobs as they run: the LoRA jobs together with the job of their base model (if any) on one engine,
    every other job alone; groups in the step order of their first job."""
    adapters = [j for j in jobs if j.lora]
    bases = {j.model for j in adapters}
    shared = [j for j in jobs if j.lora or (j.model in bases and j.checkpoint == "base")]
    groups = [[j] for j in jobs if j not in shared]
    if shared:
        groups.append(shared)
    order = {j.checkpoint: i for i, j in enumerate(jobs)}
    return sorted(groups, key=lambda group: order[group[0].checkpoint])


def run_checkpoint_process(jobs: GenerateJob | list[GenerateJob]) -> list[JobSummary]:
    """Run one job, or several on one engine, in a fresh Python process; the summaries come back through a
    temporary JSON file."""
    group = jobs if isinstance(jobs, list) else [jobs]
    with tempfile.TemporaryDirectory(prefix="codereason-sweep-") as scratch:
        summary_file = Path(scratch) / "summary.json"
        payload = json.dumps([dataclasses.asdict(j) for j in group])
        command = [sys.executable, "-m", "codereason.generate", payload, str(summary_file)]
        result = subprocess.run(command, env=_child_env())
        if result.returncode != 0:
            names = ", ".join(repr(j.checkpoint) for j in group)
            raise GenerationError(f"generation for checkpoint {names} ({group[0].model}) failed with exit "
                                  f"code {result.returncode}; see the messages above, fix and rerun (it resumes)")
        data = json.loads(summary_file.read_text(encoding="utf-8"))
    return [JobSummary(**{**d, "path": Path(d["path"])}) for d in data]


def _child_env() -> dict[str, str]:
    """The environment for a checkpoint's process: this codereason importable even when not installed."""
    package_root = str(Path(__file__).resolve().parent.parent)
    paths = [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
