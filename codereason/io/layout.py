"""What file and folder names say: the training step of a checkpoint path, and the files a directory holds."""

from __future__ import annotations

import os
import re
from pathlib import Path

from codereason.errors import InputFormatError

ROLLOUT_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv")

# Step markers in checkpoint paths: step50, global_step_50, checkpoint-50,
# grpo_step_000050, step_50. Matched on a whole path component.
STEP_IN_NAME = re.compile(
    r"(?:^|[_\-])(?:global_step|grpo_step|checkpoint|step)[_\-]?(?P<step>\d+)(?:$|[_\-.])",
    re.IGNORECASE,
)
# The base model (before any training): a component named "base" or "*-base".
BASE_IN_NAME = re.compile(r"(?:^|[_\-])base(?:$|[_\-.])", re.IGNORECASE)


def infer_step(path: str | os.PathLike) -> int | None:
    """The training step a checkpoint path names, or None.

    Looks at path components from the innermost out.

    >>> infer_step("runs/x/global_step_50/rollouts.jsonl")
    50
    >>> infer_step("results/base/Qwen2.5-Math-1.5B_MATH-500.json")
    0
    >>> infer_step("results/step1000/export-for-eval-step1000_AMC.json")
    1000
    >>> infer_step("out/rollouts.jsonl") is None
    True
    """
    for part in reversed(Path(path).parts):
        match = STEP_IN_NAME.search(part)
        if match:
            return int(match.group("step"))
        if BASE_IN_NAME.search(part):
            return 0
    return None


def folder_layout(path: Path) -> dict:
    """Step and checkpoint of a rollout file from its folders (the checkpoint: the folder holding it)."""
    return {"step": infer_step(path), "checkpoint": path.parent.name or None}


def iter_input_files(path: str | os.PathLike) -> list[Path]:
    """A file itself, or the rollout files inside a directory (recursive, sorted).

    Raises:
        InputFormatError: the path does not exist or a directory holds no rollout file.
    """
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.exists():
        raise InputFormatError(f"{path}: no such file or directory")
    files = sorted(
        p for p in path.rglob("*")
        if p.is_file() and p.suffix in ROLLOUT_SUFFIXES and not p.name.endswith(".bad.jsonl")
        and p.name not in {"config.json", "rollout_summary.json", "metrics.jsonl"}
        and not p.name.startswith(("eval_summary", "run_summary"))
    )
    if not files:
        raise InputFormatError(f"{path}: directory holds no rollout file ({', '.join(ROLLOUT_SUFFIXES)})")
    return files
