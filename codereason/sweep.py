"""Sweep a training run: every checkpoint, in step order, one subprocess each.

vLLM does not reliably give memory back inside one process, so each checkpoint
is a :class:`~codereason.generate.GenerateJob` run by ``python -m
codereason.generate`` in a fresh process. Each writes ``OUT_DIR/<checkpoint>.jsonl``
with ``checkpoint`` and ``step`` fields set, the layout ``codereason track`` reads.
A failed checkpoint stops the sweep; rerunning resumes every file.
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
from codereason.generate import GenerateJob, JobSummary, require_engine
from codereason.io import infer_step

CHECKPOINT_GLOBS = ("global_step_*", "checkpoint-*", "step*")


def find_checkpoints(run_dir: str | os.PathLike) -> list[tuple[str, int, Path]]:
    """``(name, step, path)`` of every HF checkpoint directory in a run, in step order.

    Checkpoints are subdirectories named ``global_step_*``, ``checkpoint-*`` or
    ``step*`` that hold a ``config.json`` (directly, or in ``actor/huggingface``
    or ``huggingface`` as verl writes them).

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
                              "config.json); pass --model for a single model")
    return sorted(set(found), key=lambda item: (item[1], item[0]))


def _hf_dir(candidate: Path) -> Path | None:
    for sub in ("", "huggingface", "actor/huggingface"):
        if (candidate / sub / "config.json").is_file():
            return candidate / sub
    return None


def sweep(job: GenerateJob, run_dir: str | os.PathLike, include_base: str | None = None) -> list[JobSummary]:
    """Generate for every checkpoint of ``run_dir`` (and ``include_base`` as step 0).

    Each checkpoint runs in its own subprocess, in step order; a failed
    checkpoint stops the sweep (finished files stay, a rerun resumes).

    Raises:
        GenerationError: no checkpoints, or a subprocess failed.
    """
    require_engine()
    return [run_checkpoint_process(sub) for sub in checkpoint_jobs(job, run_dir, include_base)]


def checkpoint_jobs(job: GenerateJob, run_dir: str | os.PathLike, include_base: str | None = None) -> list[GenerateJob]:
    """One job per checkpoint of ``run_dir`` (and ``include_base`` as step 0), in step order.

    Each is ``job`` with the checkpoint's model path, name and step, and the run's name as ``model_label``.

    Raises:
        GenerationError: the directory holds no checkpoint.
    """
    checkpoints = find_checkpoints(run_dir)
    if include_base:
        checkpoints.insert(0, ("base", 0, Path(include_base)))
    label = job.model_label or Path(run_dir).resolve().name
    return [dataclasses.replace(job, model=str(path), checkpoint=name, step=step, model_label=label)
            for name, step, path in checkpoints]


def run_checkpoint_process(job: GenerateJob) -> JobSummary:
    """Run one job in a fresh Python process; its summary comes back through a temporary JSON file."""
    with tempfile.TemporaryDirectory(prefix="codereason-sweep-") as scratch:
        summary_file = Path(scratch) / "summary.json"
        command = [sys.executable, "-m", "codereason.generate", job.to_json(), str(summary_file)]
        result = subprocess.run(command, env=_child_env())
        if result.returncode != 0:
            raise GenerationError(f"generation for checkpoint {job.checkpoint!r} ({job.model}) failed with exit "
                                  f"code {result.returncode}; see the messages above, fix and rerun (it resumes)")
        data = json.loads(summary_file.read_text(encoding="utf-8"))
    return JobSummary(**{**data, "path": Path(data["path"])})


def _child_env() -> dict[str, str]:
    """The environment for a checkpoint's process: this codereason importable even when not installed."""
    package_root = str(Path(__file__).resolve().parent.parent)
    paths = [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
