"""Readers for rollout files, streaming and format-detecting (writers: :mod:`codereason.writers`).

Every reader yields plain dicts holding every :class:`~codereason.records.Rollout`
field, checked against the record schema (:data:`codereason.records.FIELD_TYPES`),
plus every other field of the input record. A value of the wrong type makes the
record bad (file, line and field named; ``on_bad`` or :class:`SchemaError`):
it is never split, stringified or coerced, and a record gives all its responses
or none. Nothing is loaded whole: JSONL and CSV go line by line, Parquet by
record batch, JSON through ``ijson``. A JSONL file can also be read in pieces
(:func:`codereason.jsonl.split_lines` cuts it into ranges of whole lines, and
``read_rows(path, lines=...)`` reads one), which is how worker processes share
one large file.

Formats (``--format`` names): see :data:`FORMATS`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

from codereason.errors import ConfigError
from codereason.io import detect
from codereason.io.generic import read_generic
from codereason.io.harness import read_harness
from codereason.io.layout import ROLLOUT_SUFFIXES, infer_step, iter_input_files, layout_of
from codereason.io.lighteval import read_lighteval
from codereason.io.lists import read_chat, read_generations
from codereason.io.lmeval import read_lmeval
from codereason.io.native import read_codereason
from codereason.io.rl import read_trainlog, read_verl
from codereason.io.skythought import read_skythought
from codereason.io.sources import BadRecordHandler, Context
from codereason.io.spurious import read_spurious_json
from codereason.jsonl import LineRange
from codereason.records import ROLLOUT_FIELDS, Rollout

# name -> (reader, what it reads): the registry behind --format, its help and its errors.
READERS = {
    "codereason": (read_codereason, "our own JSONL/Parquet/CSV: the Rollout fields, one row a response"),
    "spurious-json": (read_spurious_json, "Spurious Rewards eval_checkpoint.py JSON (metadata[].outputs[])"),
    "harness": (read_harness, "Qwen2.5-Math / ToRA harness JSONL (code[], gt, score[])"),
    "verl": (read_verl, "verl validation/rollout dumps (input, output, gts, score, step)"),
    "trainlog": (read_trainlog, "training-log JSONL (response, ground_truth, answer_reward)"),
    "lm-eval": (read_lmeval, "lm-evaluation-harness --log_samples samples_<task>_<date>.jsonl (generative tasks)"),
    "skythought": (read_skythought, "SkyThought results JSON (one object keyed by problem, responses by temperature)"),
    "chat": (read_chat, "chat-messages JSONL/Parquet (messages: [{role, content}]; the last assistant turn)"),
    "generations": (read_generations, "rows holding a list of generations (OpenR1-Math style), JSONL/Parquet"),
    "lighteval": (read_lighteval, "lighteval details Parquet (doc, model_response.text[], metric)"),
    "generic": (read_generic, "any JSONL/CSV/Parquet, with --text-field PATH (and --id-field, --gold-field...)"),
}
FORMATS = tuple(READERS)
FIELD_OPTIONS = ("text_field", "id_field", "gold_field", "step_field", "benchmark_field")


def read_rollouts(path: str | os.PathLike, **options) -> Iterator[Rollout]:
    """Like :func:`read_rows`, yielding :class:`Rollout` objects (extra fields dropped)."""
    for row in read_rows(path, **options):
        yield Rollout(**{name: row[name] for name in ROLLOUT_FIELDS if name in row})


def read_rows(
    path: str | os.PathLike,
    *,
    format: str | None = None,
    text_field: str | None = None,
    id_field: str | None = None,
    gold_field: str | None = None,
    step_field: str | None = None,
    benchmark_field: str | None = None,
    on_bad: BadRecordHandler | None = None,
    lines: LineRange | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream one dict per response from a rollout file.

    Args:
        path: a rollout file (``.jsonl``, ``.json``, ``.parquet``, ``.csv``).
        format: one of :data:`FORMATS`; detected from the content when None.
        text_field: the path of the response in a ``generic`` file (``completion``,
            ``resps[0][0]``, ``messages[-1].content``; implies ``generic`` when
            ``format`` is None). A list of strings there gives one response each.
        id_field, gold_field, step_field, benchmark_field: paths of the problem id,
            gold answer, training step and benchmark name in a ``generic`` file.
        on_bad: called with ``(path, line, raw, error)`` for each bad record
            instead of raising; the record is then skipped.
        lines: read only these lines of a JSONL file (from :func:`~codereason.jsonl.split_lines`);
            line numbers in errors and provenance stay those of the whole file.

    Yields:
        Dicts with every :class:`Rollout` field plus the other fields of the input record.

    Raises:
        SchemaError: a record lacks a field or has one of the wrong type (file,
            line and field named), unless ``on_bad``.
        InputFormatError: the format cannot be detected or the file cannot be parsed.
        ConfigError: ``format`` is not one of :data:`FORMATS`, or a field path is not one.
    """
    path = Path(path)
    fields = {"text_field": text_field, "id_field": id_field, "gold_field": gold_field,
              "step_field": step_field, "benchmark_field": benchmark_field}
    format = resolve_format(path, format, text_field)
    if lines is not None and not splittable(path, format):
        raise ConfigError(f"{path}: only JSONL files can be read by line range; this one is read as {format!r}")
    if format != "generic" and any(fields[name] for name in FIELD_OPTIONS[1:]):
        given = ", ".join("--" + n.replace("_", "-") for n in FIELD_OPTIONS[1:] if fields[n])
        raise ConfigError(f"{path}: {given} apply to generic files (with --text-field); this one is read as {format!r}")
    context = Context(path, on_bad, fields, lines, layout_of(path, format))
    yield from READERS[format][0](context)


def resolve_format(path: Path, format: str | None, text_field: str | None) -> str:
    """The format ``read_rows`` reads ``path`` as: ``format``, ``generic`` with a text field, or detected."""
    if format is None:
        format = "generic" if text_field else detect_format(path)
    if format not in READERS:
        raise ConfigError.bad_choice("--format", format, FORMATS)
    if format == "generic" and not text_field:
        raise ConfigError(f"{path}: --format generic needs --text-field PATH (the field holding the response)")
    return format


def detect_format(path: str | os.PathLike) -> str:
    """Name the format of ``path`` from its suffix and first record."""
    return detect.detect_format(Path(path), FORMATS)


def counts_samples(format: str, id_field: str | None) -> bool:
    """True when the reader numbers a problem's samples by counting its earlier records in the file.

    Read by line range, such a file numbers each range from zero; whoever joins
    the ranges must shift the numbers (:mod:`codereason.tagging` does).
    """
    return format == "verl" or (format == "generic" and bool(id_field))


def splittable(path: Path, format: str) -> bool:
    """True when ``path`` is read line by line as JSONL, so its pieces can be read apart."""
    whole_file = ("spurious-json", "skythought", "lm-eval")  # read as one object, or rows merged across the file
    return format not in whole_file and path.suffix.lower() not in (".parquet", ".csv", ".json")


__all__ = [
    "FORMATS", "READERS", "ROLLOUT_SUFFIXES", "counts_samples", "detect_format", "infer_step", "iter_input_files",
    "read_rollouts", "read_rows", "resolve_format", "splittable",
]
