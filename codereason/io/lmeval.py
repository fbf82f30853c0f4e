"""lm-evaluation-harness ``--log_samples`` files: ``samples_<task>_<date>.jsonl``, one row per (document, filter).

A generative task (``output_type: generate_until``) logs ``resps``: one list per
request, the samples inside (``[["text", ...]]``). Each document's responses are
read once: the rows of its other filters (``strict-match``, ``flexible-extract``)
add their extracted answers and metric values to ``filters``
(``{filter: {"filtered_resps": ..., metric: value}}``). Gold is ``target``, the
problem id ``doc_id``; the task comes from the file name and the model from the
results JSON beside it (``results_<date>.json``, or ``<name>_<date>.json``).
Loglikelihood samples (multiple choice: ``[logprob, is_greedy]`` pairs, no text)
are refused.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from codereason.errors import InputFormatError
from codereason.io.fields import BadRecord, extras, gold, id_text, missing
from codereason.io.layout import sidecar_kind
from codereason.io.sources import Context, finish_row, iter_jsonl

SAMPLES_NAME = re.compile(r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d\d-\d\dT[\d\-.]+)\.jsonl$")
LOGGED = ("doc_id", "target", "arguments", "resps", "filtered_resps", "filter", "metrics")


def read_lmeval(context: Context) -> Iterator[dict]:
    task, model = run_info(context.path)
    docs: dict[str, dict] = {}  # doc_id -> its first row's parts, in file order
    for number, record, raw in iter_jsonl(context):
        try:
            doc_id, entry = _entry(context, number, record)
            _merge(docs, doc_id, entry)
        except BadRecord as exc:
            context.bad(number, raw, str(exc))
    for doc_id, entry in docs.items():
        yield from _rows(context, doc_id, entry, task, model)


def _entry(context: Context, number: int, record: dict) -> tuple[str, dict]:
    if record.get("doc_id") is None:
        raise missing(record, "doc_id")
    doc_id = id_text("doc_id", record["doc_id"])
    responses = _responses(context, record.get("resps"))
    filter_name = record.get("filter", "none")
    if not isinstance(filter_name, str):
        raise BadRecord(f"field 'filter' must be a string, got {type(filter_name).__name__}")
    metric_names = record.get("metrics") if isinstance(record.get("metrics"), list) else []
    per_filter = {"filtered_resps": record.get("filtered_resps"),
                  **{m: record[m] for m in metric_names if isinstance(m, str) and m in record}}
    return doc_id, {"number": number, "record": record, "responses": responses,
                    "filters": {filter_name: per_filter}, "metric_names": set(map(str, metric_names))}


def _responses(context: Context, resps: Any) -> list[str]:
    if resps is None:
        raise BadRecord("missing field 'resps'")
    if not isinstance(resps, list) or len(resps) != 1 or not isinstance(resps[0], list) or not resps[0]:
        raise BadRecord("field 'resps' must hold one request's samples ([[text, ...]]) for a generative task, got "
                        + json.dumps(resps)[:60])
    for i, sample in enumerate(resps[0]):
        if isinstance(sample, list):
            raise InputFormatError(f"{context.path}: loglikelihood samples (resps hold [log-probability, is-greedy] "
                                   "pairs, no generated text); codereason reads generative lm-eval tasks "
                                   "(output_type: generate_until)")
        if not isinstance(sample, str):
            raise BadRecord(f"field 'resps[0][{i}]' must be a string, got {type(sample).__name__}")
    return resps[0]


def _merge(docs: dict, doc_id: str, entry: dict) -> None:
    """Add one row to its document: the first gives the responses, the others their filter's answers."""
    first = docs.get(doc_id)
    if first is None:
        docs[doc_id] = entry
        return
    (name, values), = entry["filters"].items()
    if entry["responses"] != first["responses"]:
        raise BadRecord(f"doc_id {doc_id} under filter {name!r} has other responses than under "
                        f"{next(iter(first['filters']))!r} (line {first['number']}): is the file two runs in one?")
    if name in first["filters"]:
        raise BadRecord(f"doc_id {doc_id} is logged twice under filter {name!r} (first at line {first['number']})")
    first["filters"][name] = values
    first["metric_names"] |= entry["metric_names"]


def _rows(context: Context, doc_id: str, entry: dict, task: str | None, model: str | None) -> Iterator[dict]:
    record = entry["record"]
    try:
        prompt = _prompt(record.get("arguments"))
        target = gold("target", record.get("target"))
        kept = extras(record, (*LOGGED, *entry["metric_names"]))
        rows = []
        for sample_idx, response in enumerate(entry["responses"]):
            row = context.base_row(
                entry["number"], problem_id=doc_id, sample_idx=sample_idx, prompt=prompt, response=response,
                gold=target, benchmark=task or context.layout.get("benchmark"),
                model=model, checkpoint=model or context.layout.get("checkpoint"),
            )
            row["provenance"]["sample"] = sample_idx
            row.update(kept, filters=entry["filters"])
            rows.append(finish_row(row))
    except BadRecord as exc:
        context.bad(entry["number"], record, str(exc))
        return
    yield from rows


def _prompt(arguments: Any) -> str:
    """The context sent to the model: ``arguments.gen_args_0.arg_0`` (lm-eval >= 0.4.3) or ``arguments[0][0]``."""
    if isinstance(arguments, dict):
        first = arguments.get("gen_args_0")
        value = first.get("arg_0") if isinstance(first, dict) else None
    elif isinstance(arguments, list) and arguments and isinstance(arguments[0], list) and arguments[0]:
        value = arguments[0][0]
    else:
        value = None
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRecord(f"the prompt (arguments' first argument) must be a string, got {type(value).__name__}")
    return value


def run_info(path: Path) -> tuple[str | None, str | None]:
    """(task, model) of a samples file: the task from its name, the model from the results JSON beside it."""
    match = SAMPLES_NAME.match(path.name)
    task, date = (match.group("task"), match.group("date")) if match else (None, None)
    results = [p for p in sorted(path.parent.glob("*.json")) if sidecar_kind(p) == "lm-eval results JSON"]
    chosen = [p for p in results if date and p.stem.endswith(date)] or (results if len(results) == 1 else [])
    if not chosen:
        return task, None
    try:
        with open(chosen[0], "rb") as handle:
            info = json.load(handle)
    except (ValueError, RecursionError, OSError):
        return task, None
    return task, _model_name(info)


def _model_name(info: dict) -> str | None:
    name = info.get("model_name")
    if isinstance(name, str) and name:
        return name
    args = (info.get("config") or {}).get("model_args")
    match = re.search(r"(?:^|,)pretrained=([^,]+)", args) if isinstance(args, str) else None
    return match.group(1) if match else None
