"""Sweep training runs: every checkpoint, in step order, in fresh processes.

vLLM does not reliably give memory back inside one process, so each full
checkpoint is a :class:`~codereason.generate.GenerateJob` run by ``python -m
codereason.generate`` in a fresh process. LoRA adapter checkpoints (folders
with ``adapter_config.json``, as peft saves them) are served on their base
model by one engine for all of them, in one process (vLLM's LoRA support), with
the base itself as step 0 when it is asked for. Each job writes
``OUT_DIR/<checkpoint>.jsonl`` with ``checkpoint`` and ``step`` fields set, the
layout ``codereason track`` reads; several runs at once write
``OUT_DIR/<run>/<checkpoint>.jsonl`` and the base once, ``OUT_DIR/base.jsonl``.
A failed checkpoint stops the sweep; rerunning resumes every file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

from codereason.errors import ConfigError, GenerationError
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


def sweep(job: GenerateJob, run_dirs: str | os.PathLike | Sequence[str | os.PathLike], include_base: str | None = None) -> list[JobSummary]:
    """Generate for every checkpoint of one or several runs (and ``include_base`` once, as step 0).

    Each full checkpoint runs in its own subprocess, in step order; the LoRA
    adapters of one base, of every run, and that base, run on one engine in one
    subprocess (:func:`engine_groups`). A failed checkpoint stops the sweep
    (finished files stay, a rerun resumes).

    Raises:
        GenerationError: no checkpoints, or a subprocess failed.
        ConfigError: two runs have the same folder name.
    """
    require_engine()
    jobs = checkpoint_jobs(job, run_dirs, include_base)
    done: dict[int, JobSummary] = {}
    for group in engine_groups(jobs):  # a group's summaries come back in the order of its jobs
        for job_in_group, summary in zip(group, run_checkpoint_process(group), strict=True):
            done[id(job_in_group)] = summary
    return [done[id(j)] for j in jobs]


def checkpoint_jobs(job: GenerateJob, run_dirs: str | os.PathLike | Sequence[str | os.PathLike],
                    include_base: str | None = None) -> list[GenerateJob]:
    """One job per checkpoint of each run (and ``include_base`` as step 0), each run in step order.

    Each is ``job`` with the checkpoint's model path, name and step, and the
    run's folder name as ``model_label``. With one run, every file goes to
    ``job.out_dir``; with several, run ``R``'s to ``job.out_dir/R/`` and the base
    (generated once, not once per run) to ``job.out_dir/base.jsonl``. A LoRA
    adapter checkpoint is served on ``include_base`` when given, else on
    ``job.model`` (None: the embedded model).

    Raises:
        GenerationError: a run directory holds no checkpoint.
        ConfigError: two runs have the same folder name (their files would mix).
    """
    runs = [Path(run_dirs)] if isinstance(run_dirs, (str, os.PathLike)) else [Path(r) for r in run_dirs]
    labels = [job.model_label or r.resolve().name for r in runs]
    if len(runs) > 1:
        _check_distinct(runs, labels)
    base = include_base or job.model
    jobs = []
    if include_base:
        label = labels[0] if len(runs) == 1 else "base"
        jobs.append(dataclasses.replace(job, model=str(Path(include_base)), checkpoint="base", step=0, model_label=label))
    for run, label in zip(runs, labels):
        out_dir = job.out_dir if len(runs) == 1 else str(Path(job.out_dir) / label)
        for name, step, path in find_checkpoints(run):
            where = dict(checkpoint=name, step=step, model_label=label, out_dir=out_dir)
            if is_lora_adapter(path):
                jobs.append(dataclasses.replace(job, model=base, lora=str(path), **where))
            else:
                jobs.append(dataclasses.replace(job, model=str(path), **where))
    return jobs


def _check_distinct(runs: list[Path], labels: list[str]) -> None:
    seen: dict[str, Path] = {}
    for run, label in zip(runs, labels):
        if label in seen:
            raise ConfigError(f"--checkpoints {seen[label]} and {run} have the same name {label!r}: their files "
                              "would mix in one folder; give runs folders of different names")
        if label == "base":
            raise ConfigError(f"--checkpoints {run}: a run named 'base' clashes with the base model's file; rename it")
        seen[label] = run


def engine_groups(jobs: list[GenerateJob]) -> list[list[GenerateJob]]:
    """The jobs as they run: the LoRA jobs of one base model together with that base's own job (if any) on one
    engine, every other job alone; groups in the order of their first job."""
    bases = {j.model for j in jobs if j.lora}
    by_base: dict[str | None, list[GenerateJob]] = {}
    groups = []
    for j in jobs:
        if j.lora or (j.checkpoint == "base" and j.model in bases):
            if j.model not in by_base:
                by_base[j.model] = []
                groups.append(by_base[j.model])
            by_base[j.model].append(j)
        else:
            groups.append([j])
    return groups


def run_checkpoint_process(jobs: GenerateJob | list[GenerateJob]) -> list[JobSummary]:
    """Run one job, or several on one engine, in a fresh Python process; the summaries come back through a
    temporary JSON file.

    The process and the engine processes it starts form their own process group: when this one is stopped
    (Ctrl-C, SIGTERM) the whole group is (:func:`stop_process_group`), so no engine keeps running orphaned.
    """
    group = jobs if isinstance(jobs, list) else [jobs]
    with tempfile.TemporaryDirectory(prefix="codereason-sweep-") as scratch:
        summary_file = Path(scratch) / "summary.json"
        payload = json.dumps([dataclasses.asdict(j) for j in group])
        command = [sys.executable, "-m", "codereason.generate", payload, str(summary_file)]
        process = subprocess.Popen(command, env=_child_env(), start_new_session=True)
        try:
            returncode = process.wait()
        except BaseException:
            stop_process_group(process)
            raise
        stop_process_group(process, grace_s=0)  # an engine process its parent left behind
        if returncode != 0:
            names = ", ".join(repr(j.checkpoint) for j in group)
            raise GenerationError(f"generation for checkpoint {names} ({group[0].model}) failed with exit "
                                  f"code {returncode}; see the messages above, fix and rerun (it resumes)")
        data = json.loads(summary_file.read_text(encoding="utf-8"))
    return [JobSummary(**{**d, "path": Path(d["path"])}) for d in data]


STOP_GRACE_S = 10.0


def stop_process_group(process: subprocess.Popen, grace_s: float = STOP_GRACE_S) -> None:
    """Ctrl-C to ``process``'s group (the generation process flushes its file, vLLM shuts its engine down),
    then, after ``grace_s`` or at once when it is 0, SIGKILL to whatever of the group is left."""
    if grace_s > 0:
        _signal_group(process.pid, signal.SIGINT)
        deadline = time.monotonic() + grace_s
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    _signal_group(process.pid, signal.SIGKILL)
    process.wait()


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):  # the group is gone
        pass


def _child_env() -> dict[str, str]:
    """The environment for a checkpoint's process: this codereason importable even when not installed."""
    package_root = str(Path(__file__).resolve().parent.parent)
    paths = [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
