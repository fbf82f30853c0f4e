"""What file and folder names say: the training step of a checkpoint path, and the files a directory holds."""

from __future__ import annotations

import os
import re
import sys
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


# A harness output file name: test_<prompt type>_<n>_seed<s>_t<temp>_s<start>_e<end>.jsonl
HARNESS_FILE = re.compile(r"^[a-z]+_.+_seed\d+_t[\d.]+_s\d+_e-?\d+\.jsonl$")
# A harness benchmark folder: ``math500/`` or ``math500_eval/`` (SkyThought's copy of the harness nests both).
_EVAL_SUFFIX = re.compile(r"_eval$")


def layout_of(path: Path, format: str) -> dict:
    """The folder layout of a rollout file: :func:`harness_layout` for a harness output file (its name
    as the harness writes it), else :func:`folder_layout`."""
    if format == "harness" and HARNESS_FILE.match(path.name):
        return harness_layout(path)
    return folder_layout(path)


def harness_layout(path: Path) -> dict:
    """What a Qwen2.5-Math harness tree says of a rollout file: ``<model>/<bench>[_eval]/[<bench>/]FILE``.

    The benchmark is the folder holding the file (``_eval`` dropped); the model
    and checkpoint are the folder above the benchmark folders, and a
    ``checkpoint-N`` (``global_step_N``...) there gives the step, with the
    model the folder above it.

    >>> harness_layout(Path("out/Qwen2.5-Math-7B/math500/test.jsonl"))
    {'benchmark': 'math500', 'checkpoint': 'Qwen2.5-Math-7B', 'model': 'Qwen2.5-Math-7B', 'step': None}
    >>> harness_layout(Path("outputs/Qwen/Qwen2.5-Math-7B/aime24_eval/aime24/test.jsonl"))["model"]
    'Qwen2.5-Math-7B'
    >>> harness_layout(Path("runs/grpo/checkpoint-200/math500/test.jsonl"))
    {'benchmark': 'math500', 'checkpoint': 'checkpoint-200', 'model': 'grpo', 'step': 200}
    """
    folders = list(path.parent.parts)
    if not folders:
        return {"benchmark": None, "checkpoint": None, "model": None, "step": None}
    benchmark = _EVAL_SUFFIX.sub("", folders.pop())
    if folders and _EVAL_SUFFIX.sub("", folders[-1]) == benchmark:
        folders.pop()
    checkpoint = folders.pop() if folders else None
    step = infer_step(checkpoint) if checkpoint else None
    model = checkpoint
    if checkpoint and STEP_IN_NAME.search(checkpoint) and folders:
        model = folders[-1]
    return {"benchmark": benchmark or None, "checkpoint": checkpoint, "model": model, "step": step}


# Files a harness or lm-eval output folder holds beside the rollouts.
SKIPPED_NAMES = {"config.json", "rollout_summary.json", "metrics.jsonl"}
SKIPPED_PREFIXES = ("eval_summary", "run_summary")


def sidecar_kind(path: Path) -> str | None:
    """What a summary file beside the rollouts is (it holds no response), or None for a rollout file."""
    name = path.name
    if name.endswith(".bad.jsonl"):
        return "bad-record files"
    if name in SKIPPED_NAMES or name.startswith(SKIPPED_PREFIXES):
        return "run summaries"
    if name.endswith("_metrics.json"):
        return "harness *_metrics.json summaries"
    if path.suffix == ".json" and _is_lmeval_results(path):
        return "lm-eval results JSON"
    return None


def _is_lmeval_results(path: Path) -> bool:
    """An lm-eval results JSON: a top-level object with ``results`` and ``configs`` (or ``config``) keys."""
    import ijson

    keys = set()
    try:
        with open(path, "rb") as handle:
            for prefix, event, value in ijson.parse(handle):
                if prefix == "" and event == "map_key":
                    keys.add(value)
                    if "results" in keys and keys & {"configs", "config", "versions"}:
                        return True
                elif prefix == "" and event != "start_map":
                    return False
    except (ijson.JSONError, UnicodeDecodeError, RecursionError, OSError):
        return False
    return False


def iter_input_files(path: str | os.PathLike, note=None) -> list[Path]:
    """A file itself, or the rollout files inside a directory (recursive, sorted), skipping known sidecars.

    Args:
        path: a file or directory.
        note: called with one line naming the sidecar files skipped (default: printed to stderr).

    Raises:
        InputFormatError: the path does not exist or a directory holds no rollout file.
    """
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.exists():
        raise InputFormatError(f"{path}: no such file or directory")
    files, skipped = [], {}
    for candidate in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in ROLLOUT_SUFFIXES):
        kind = sidecar_kind(candidate)
        if kind is None:
            files.append(candidate)
        else:
            skipped[kind] = skipped.get(kind, 0) + 1
    if skipped and any(k != "bad-record files" for k in skipped):
        line = f"note: {path}: skipped " + ", ".join(f"{n} {kind}" for kind, n in skipped.items())
        (note or (lambda text: print(text, file=sys.stderr)))(line)
    if not files:
        raise InputFormatError(f"{path}: directory holds no rollout file ({', '.join(ROLLOUT_SUFFIXES)})")
    return files
