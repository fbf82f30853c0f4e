"""Readers for rollout files, streaming and format-detecting (writers: :mod:`codereason.writers`).

Every reader yields plain dicts holding every :class:`~codereason.records.Rollout`
field, plus whatever extra fields a codereason file already carries (labels,
grades). Nothing is loaded whole: JSONL and CSV go line by line, Parquet by
record batch, and the Spurious Rewards JSON through ``ijson``. A JSONL file can
also be read in pieces (:func:`codereason.jsonl.split_lines` cuts it into
ranges of whole lines, and ``read_rows(path, lines=...)`` reads one), which is
how worker processes share one large file.

Formats (``--format`` names):

==============  ===============================================================
codereason      our own JSONL/Parquet: the ``Rollout`` fields, one row a response
spurious-json   Spurious Rewards ``eval_checkpoint.py`` JSON (``metadata[].outputs[]``)
harness         Qwen2.5-Math / ToRA harness JSONL (``code[]``, ``gt``, ``score[]``)
verl            verl validation/rollout dumps (``input, output, gts, score, step``)
trainlog        training-log JSONL (``response``, ``ground_truth``, ``answer_reward``)
generic         any JSONL/CSV/Parquet, with ``text_field`` (and ``id_field``)
==============  ===============================================================
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator

from codereason.errors import ConfigError, InputFormatError, SchemaError
from codereason.jsonl import LineRange, iter_lines
from codereason.records import ROLLOUT_FIELDS, SCHEMA_VERSION, Rollout

FORMATS = ("codereason", "spurious-json", "harness", "verl", "trainlog", "generic")
ROLLOUT_SUFFIXES = (".jsonl", ".json", ".parquet", ".csv")

# A bad-record handler gets (path, line, raw text or None, error) and decides.
BadRecordHandler = Callable[[str, int, Any, SchemaError], None]


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
    on_bad: BadRecordHandler | None = None,
    lines: LineRange | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream one dict per response from a rollout file.

    Args:
        path: a rollout file (``.jsonl``, ``.json``, ``.parquet``, ``.csv``).
        format: one of :data:`FORMATS`; detected from the content when None.
        text_field: the response field of a ``generic`` file (implies ``generic``
            when ``format`` is None).
        id_field: the problem-id field of a ``generic`` file (default: record number).
        on_bad: called with ``(path, line, raw, error)`` for each bad record
            instead of raising; the record is then skipped.
        lines: read only these lines of a JSONL file (from :func:`~codereason.jsonl.split_lines`);
            line numbers in errors and provenance stay those of the whole file.

    Yields:
        Dicts with every :class:`Rollout` field plus any extra fields the file holds.

    Raises:
        SchemaError: a record lacks a field (file, line and field named), unless ``on_bad``.
        InputFormatError: the format cannot be detected or the file cannot be parsed.
        ConfigError: ``format`` is not one of :data:`FORMATS`.
    """
    path = Path(path)
    format = resolve_format(path, format, text_field)
    if lines is not None and not splittable(path, format):
        raise ConfigError(f"{path}: only JSONL files can be read by line range; this one is read as {format!r}")
    context = _Context(path, on_bad, text_field, id_field, lines)
    reader = _READERS[format]
    yield from reader(context)


def resolve_format(path: Path, format: str | None, text_field: str | None) -> str:
    """The format ``read_rows`` reads ``path`` as: ``format``, ``generic`` with a text field, or detected."""
    if format is None:
        format = "generic" if text_field else detect_format(path)
    if format not in FORMATS:
        raise ConfigError.bad_choice("--format", format, FORMATS)
    if format == "generic" and not text_field:
        raise ConfigError(f"{path}: --format generic needs --text-field NAME (the field holding the response)")
    return format


class _Context:
    """What a format reader needs: the file, the bad-record policy, field options."""

    def __init__(self, path: Path, on_bad, text_field, id_field, lines: LineRange | None = None):
        self.path, self.on_bad, self.lines = path, on_bad, lines
        self.text_field, self.id_field = text_field, id_field
        self.step_from_path = infer_step(path)

    def bad(self, line: int, raw: Any, message: str) -> None:
        """Report a bad record: raise, or hand it to ``on_bad``."""
        error = SchemaError(self.path, line, message)
        if self.on_bad is None:
            raise error
        self.on_bad(str(self.path), line, raw, error)

    def base_row(self, line: int, **fields) -> dict[str, Any]:
        """A row with defaults, the given fields and provenance of the source line."""
        row = {
            "gold": None, "checkpoint": self.path.parent.name or None,
            "step": self.step_from_path, "benchmark": None, "model": None,
            "stored_score": None, "schema_version": SCHEMA_VERSION,
        }
        row.update(fields)
        row["provenance"] = {"source": str(self.path), "line": line}
        return row


# --------------------------------------------------------------------- detection

def detect_format(path: Path) -> str:
    """Name the format of ``path`` from its suffix and first record."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "spurious-json" if _json_has_metadata(path) else _unknown(path, "a JSON file without a top-level 'metadata' list")
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return _format_from_keys(path, set(pq.ParquetFile(path).schema_arrow.names))
    if suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as handle:
            return _format_from_keys(path, set(next(csv.reader(handle), [])))
    return _format_from_keys(path, set(_first_jsonl_record(path)))


def _format_from_keys(path: Path, keys: set[str]) -> str:
    """Pick the format whose signature fields the first record has."""
    if {"problem_id", "sample_idx", "response"} <= keys:
        return "codereason"
    if "code" in keys and ("gt" in keys or "idx" in keys):
        return "harness"
    if {"input", "output"} <= keys and ("gts" in keys or "score" in keys):
        return "verl"
    if "response" in keys and "ground_truth" in keys:
        return "trainlog"
    return _unknown(path, f"a record with fields {', '.join(sorted(keys)) or '(none)'}")


def _unknown(path: Path, what: str) -> str:
    raise InputFormatError(
        f"{path}: cannot tell the format of {what}; pass --format "
        f"({', '.join(FORMATS)}) or --text-field NAME for any JSONL/CSV/Parquet"
    )


def _first_jsonl_record(path: Path) -> dict:
    """The first non-blank line of a JSONL file, parsed."""
    for number, line in iter_lines(path, None):
        if line.strip():
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                what = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
                raise InputFormatError(f"{path}:{number}: not JSON ({what}); is this a JSONL file?") from None
            return record if isinstance(record, dict) else {}
    raise InputFormatError(f"{path}: file is empty")


def _json_has_metadata(path: Path) -> bool:
    """True when the JSON file is an object with a top-level ``metadata`` key."""
    import ijson

    with open(path, "rb") as handle:
        try:
            for prefix, event, value in ijson.parse(handle):
                if prefix == "" and event == "map_key" and value == "metadata":
                    return True
                if prefix == "" and event in ("start_array", "end_map"):
                    return False
        except ijson.JSONError as exc:
            raise InputFormatError(f"{path}: not valid JSON ({exc})") from None
    return False


# ----------------------------------------------------------------------- readers

def _iter_jsonl(context: _Context) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line; bad JSON goes to ``bad``."""
    for number, line in iter_lines(context.path, context.lines):
        if not line.strip():
            continue
        try:
            record = json.loads(line)  # bytes: UTF-8 (a BOM is fine), decoded by json itself
        except json.JSONDecodeError as exc:
            context.bad(number, _line_text(line), f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except UnicodeDecodeError as exc:
            context.bad(number, _line_text(line), f"not valid UTF-8 (byte {exc.start} of the line)")
            continue
        if not isinstance(record, dict):
            context.bad(number, _line_text(line), f"expected a JSON object, got {type(record).__name__}")
            continue
        yield number, record


def _line_text(line: bytes) -> str:
    return line.decode("utf-8", errors="replace")


def counts_samples(format: str, id_field: str | None) -> bool:
    """True when the reader numbers a problem's samples by counting its earlier records in the file.

    Read by line range, such a file numbers each range from zero; whoever joins
    the ranges must shift the numbers (:mod:`codereason.tagging` does).
    """
    return format == "verl" or (format == "generic" and bool(id_field))


def splittable(path: Path, format: str) -> bool:
    """True when ``path`` is read line by line as JSONL, so its pieces can be read apart."""
    return format != "spurious-json" and path.suffix.lower() not in (".parquet", ".csv")


def _iter_records(context: _Context) -> Iterator[tuple[int, dict]]:
    """(record number, dict) from JSONL, CSV or Parquet, by suffix."""
    suffix = context.path.suffix.lower()
    if suffix == ".parquet":
        yield from _iter_parquet(context.path)
    elif suffix == ".csv":
        yield from _iter_csv(context.path)
    else:
        yield from _iter_jsonl(context)


def _iter_parquet(path: Path) -> Iterator[tuple[int, dict]]:
    import pyarrow.parquet as pq

    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=2048):
        for record in batch.to_pylist():
            number += 1
            yield number, record


def _iter_csv(path: Path) -> Iterator[tuple[int, dict]]:
    csv.field_size_limit(sys.maxsize)
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        for record in reader:
            yield reader.line_num, record  # the line where the record ends


def _require(context: _Context, number: int, record: dict, fields: tuple[str, ...], raw: Any) -> bool:
    """True when every field is present; otherwise report the first missing one."""
    for name in fields:
        if name not in record or record[name] is None:
            have = ", ".join(sorted(record)) or "(none)"
            context.bad(number, raw, f"missing field {name!r} (have: {have})")
            return False
    return True


def _read_codereason(context: _Context) -> Iterator[dict]:
    for number, record in _iter_records(context):
        if not _require(context, number, record, ("problem_id", "sample_idx", "response"), record):
            continue
        if not isinstance(record["response"], str):
            context.bad(number, record, f"field 'response' must be a string, got {type(record['response']).__name__}")
            continue
        provenance = record.get("provenance") or {}
        if isinstance(provenance, str):
            provenance = json.loads(provenance)
        row = context.base_row(number, **{"prompt": "", **record})
        row["provenance"] = provenance
        row["problem_id"] = str(row["problem_id"])
        row["sample_idx"] = int(row["sample_idx"])
        yield row


def _read_spurious_json(context: _Context) -> Iterator[dict]:
    """Spurious Rewards eval JSON: ``metadata[]`` of ``{prompt, label, index, outputs[]}``."""
    import ijson

    header = _spurious_header(context.path)
    with open(context.path, "rb") as handle:
        for number, item in enumerate(ijson.items(handle, "metadata.item", use_float=True)):
            if not _require(context, number, item, ("outputs",), None):
                continue
            outputs = item["outputs"]
            for sample_idx, response in enumerate(outputs):
                if not isinstance(response, str):
                    context.bad(number, None, f"metadata[{number}].outputs[{sample_idx}] is not a string")
                    continue
                row = context.base_row(
                    number, problem_id=str(item.get("index", number)), sample_idx=sample_idx,
                    prompt=item.get("prompt") or "", response=response,
                    gold=_gold_text(item.get("label")), checkpoint=header.get("model"),
                    benchmark=header.get("dataset"), model=header.get("model"),
                )
                row["provenance"].update(record=number, sample=sample_idx)
                yield row


def _spurious_header(path: Path) -> dict[str, Any]:
    """Top-level scalar fields of a Spurious Rewards JSON (``model``, ``dataset``...)."""
    import ijson

    header: dict[str, Any] = {}
    with open(path, "rb") as handle:
        key = None
        for prefix, event, value in ijson.parse(handle):
            if prefix == "" and event == "map_key":
                key = value
            elif prefix == key and event in ("string", "number", "boolean", "null"):
                header[key] = value
            if "model" in header and "dataset" in header:
                break
    return header


def _gold_text(value: Any) -> str | None:
    """Gold answers as text (numbers in harness files are ints or floats)."""
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else ", ".join(map(str, value))
    return str(value)


def _read_harness(context: _Context) -> Iterator[dict]:
    """Qwen2.5-Math / ToRA harness: one problem a line, responses in ``code[]``."""
    for number, record in _iter_jsonl(context):
        if not _require(context, number, record, ("code",), record):
            continue
        scores = record.get("score") or []
        for sample_idx, response in enumerate(record["code"]):
            score = scores[sample_idx] if sample_idx < len(scores) else None
            row = context.base_row(
                number, problem_id=str(record.get("idx", number - 1)), sample_idx=sample_idx,
                prompt=record.get("question") or record.get("problem") or "", response=str(response),
                gold=_gold_text(record.get("gt", record.get("answer"))),
                stored_score=None if score is None else float(score),
            )
            row["provenance"].update(sample=sample_idx)
            yield row


def _read_verl(context: _Context) -> Iterator[dict]:
    """verl dumps: ``input, output, gts, score, step``; the problem id hashes the input."""
    seen: Counter[str] = Counter()
    for number, record in _iter_jsonl(context):
        if not _require(context, number, record, ("input", "output"), record):
            continue
        problem_id = hashlib.sha1(str(record["input"]).encode()).hexdigest()[:12]
        step = record.get("step", context.step_from_path)
        row = context.base_row(
            number, problem_id=problem_id, sample_idx=seen[problem_id], prompt=str(record["input"]),
            response=str(record["output"]), gold=_gold_text(record.get("gts")),
            step=None if step is None else int(step),
            stored_score=None if record.get("score") is None else float(record["score"]),
        )
        seen[problem_id] += 1
        yield row


def _read_trainlog(context: _Context) -> Iterator[dict]:
    """Training-log rollouts (cs336 GRPO): ``response``, ``ground_truth``, rewards."""
    for number, record in _iter_jsonl(context):
        if not _require(context, number, record, ("response",), record):
            continue
        reward = record.get("answer_reward", record.get("reward"))
        yield context.base_row(
            number, problem_id=str(record.get("question_index", number - 1)),
            sample_idx=int(record.get("rollout_index", 0)),
            prompt=record.get("prompt") or record.get("question") or "",
            response=str(record["response"]), gold=_gold_text(record.get("ground_truth")),
            step=record.get("step", context.step_from_path),
            stored_score=None if reward is None else float(reward),
        )


def _read_generic(context: _Context) -> Iterator[dict]:
    """Any JSONL/CSV/Parquet: the response in ``text_field``, the id in ``id_field``."""
    seen: Counter[str] = Counter()
    for number, record in _iter_records(context):
        if not _require(context, number, record, (context.text_field,), record):
            continue
        if context.id_field and not _require(context, number, record, (context.id_field,), record):
            continue
        problem_id = str(record[context.id_field]) if context.id_field else str(number)
        row = context.base_row(number, problem_id=problem_id, sample_idx=seen[problem_id],
                               prompt="", response=str(record[context.text_field]))
        seen[problem_id] += 1
        row.update({k: v for k, v in record.items() if k not in row})
        yield row


_READERS = {
    "codereason": _read_codereason,
    "spurious-json": _read_spurious_json,
    "harness": _read_harness,
    "verl": _read_verl,
    "trainlog": _read_trainlog,
    "generic": _read_generic,
}
