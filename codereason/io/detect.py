"""Naming a file's format from its suffix and first record."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from codereason.errors import InputFormatError
from codereason.io.fields import BadRecord
from codereason.io.sources import first_line, open_parquet, parse_json
from codereason.jsonl import iter_lines


def detect_format(path: Path, formats) -> str:
    """The format of ``path`` (``formats``: the names, for the error message).

    Raises:
        InputFormatError: no format matches, or the file cannot be read at all.
    """
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _json_format(path, formats)
    if suffix == ".parquet":
        return format_from_keys(path, set(open_parquet(path).schema_arrow.names), formats)
    if suffix == ".csv":
        return format_from_keys(path, set(_csv_header(path)), formats)
    return format_from_keys(path, set(first_jsonl_record(path)), formats)


def format_from_keys(path: Path, keys: set[str], formats) -> str:
    """Pick the format whose signature fields the first record has."""
    if {"problem_id", "sample_idx", "response"} <= keys:
        return "codereason"
    if {"doc_id", "resps"} <= keys and keys & {"filtered_resps", "arguments"}:
        return "lm-eval"
    if {"doc", "model_response"} <= keys:
        return "lighteval"
    if "generations" in keys:
        return "generations"
    if "messages" in keys:
        return "chat"
    if "code" in keys and ("gt" in keys or "idx" in keys):
        return "harness"
    if {"input", "output"} <= keys and ("gts" in keys or "score" in keys):
        return "verl"
    if "response" in keys and "ground_truth" in keys:
        return "trainlog"
    return unknown(path, f"a record with fields {', '.join(sorted(keys)) or '(none)'}", formats)


def unknown(path: Path, what: str, formats) -> str:
    raise InputFormatError(
        f"{path}: cannot tell the format of {what}; pass --format "
        f"({', '.join(formats)}) or --text-field NAME for any JSONL/CSV/Parquet"
    )


def _csv_header(path: Path) -> list[str]:
    with open(path, "rb") as handle:
        first = handle.readline()
    try:
        return next(csv.reader([first.decode("utf-8-sig")]), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputFormatError(f"{path}:1: the CSV header cannot be read ({exc})") from None


def first_jsonl_record(path: Path) -> dict:
    """The first non-blank line of a JSONL file, parsed ({} when it is not an object)."""
    for number, line in iter_lines(path, None):
        if line.strip():
            try:
                record = parse_json(line)
            except BadRecord as exc:
                raise InputFormatError(f"{path}:{number}: {exc}; is this a JSONL file?") from None
            return record if isinstance(record, dict) else {}
    raise InputFormatError(f"{path}: file is empty")


def _json_format(path: Path, formats) -> str:
    """A ``.json`` file: Spurious Rewards (top-level ``metadata``), SkyThought results (objects holding
    ``responses``), or JSON lines under a ``.json`` name."""
    import ijson

    keys, first_key, first_value_keys = set(), None, set()
    with open(path, "rb") as handle:
        try:
            for prefix, event, value in ijson.parse(handle):
                if prefix == "" and event in ("start_array", "string", "number", "boolean", "null"):
                    return unknown(path, "a JSON file whose top level is not an object", formats)
                if prefix == "" and event == "map_key":
                    keys.add(value)
                    first_key = value if first_key is None else first_key
                    if value == "metadata":
                        return "spurious-json"
                    if "results" in keys and keys & {"configs", "config", "versions"}:
                        raise InputFormatError(f"{path}: an lm-eval results JSON (scores only); the responses are "
                                               "in the samples_<task>_<date>.jsonl beside it (run with --log_samples)")
                elif prefix == first_key and event == "map_key":
                    first_value_keys.add(value)
                elif prefix == first_key and event == "end_map" and "responses" in first_value_keys:
                    return "skythought"
        except (ijson.JSONError, UnicodeDecodeError, RecursionError) as exc:
            if keys and "trailing garbage" in str(exc) or "Additional data" in str(exc):
                return format_from_keys(path, set(first_jsonl_record(path)), formats)  # JSON lines named .json
            raise InputFormatError(f"{path}: not valid JSON ({first_line(exc)})") from None
    return unknown(path, f"a JSON object with keys {', '.join(sorted(map(str, keys))[:8]) or '(none)'}", formats)


__all__ = ["detect_format", "first_jsonl_record", "format_from_keys", "json"]
