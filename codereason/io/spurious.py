"""Spurious Rewards ``eval_checkpoint.py`` JSON: ``{model, dataset, ..., metadata: [{prompt, label, index, outputs[]}]}``.

Read as a stream (``ijson``): one ``metadata`` item at a time. Record numbers
count items from 0 (``provenance.record``), as the hand labels key them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from codereason.errors import InputFormatError
from codereason.io.fields import extras, first_text, gold, id_text, texts
from codereason.io.sources import Context, each_record, first_line


def read_spurious_json(context: Context) -> Iterator[dict]:
    header = spurious_header(context.path)
    return each_record(context, _items(context), lambda c, n, item: _rows(c, n, item, header),
                       where=lambda number: (None, f"metadata[{number}]: "))


def _items(context: Context) -> Iterator[tuple[int, dict, Any]]:
    import ijson

    number = -1
    with open(context.path, "rb") as handle:
        try:
            for number, item in enumerate(ijson.items(handle, "metadata.item", use_float=True), start=0):
                if not isinstance(item, dict):
                    context.bad(None, item, f"metadata[{number}] must be an object, got {type(item).__name__}")
                    continue
                yield number, item, item
        except (ijson.JSONError, UnicodeDecodeError, RecursionError) as exc:
            context.bad(None, None, f"the JSON breaks off or is invalid after metadata[{number}] "
                                    f"({first_line(exc)}); the rest of the file is not read")


def _rows(context: Context, number: int, item: dict, header: dict) -> list[dict]:
    outputs = texts(item, "outputs")
    index = item.get("index")
    rows = []
    for sample_idx, response in enumerate(outputs):
        row = context.base_row(
            number, problem_id=str(number) if index is None else id_text("index", index), sample_idx=sample_idx,
            prompt=first_text(item, ("prompt",)), response=response, gold=gold("label", item.get("label")),
            checkpoint=header.get("model") or context.layout.get("checkpoint"),
            benchmark=header.get("dataset") or context.layout.get("benchmark"),
            model=header.get("model") or context.layout.get("model"),
        )
        row["provenance"].update(record=number, sample=sample_idx)
        row.update(extras(item, ("outputs", "index", "prompt", "label")))
        rows.append(row)
    return rows


def spurious_header(path: Path) -> dict[str, Any]:
    """Top-level ``model`` and ``dataset`` of a Spurious Rewards JSON (strings, else left out).

    Raises:
        InputFormatError: the file is not a JSON object with a ``metadata`` list.
    """
    import ijson

    header: dict[str, Any] = {}
    found = False
    with open(path, "rb") as handle:
        try:
            for prefix, event, value in ijson.parse(handle):
                if prefix == "" and event in ("start_array", "string", "number", "boolean", "null"):
                    break  # the top level is not an object
                if prefix == "metadata" and event == "start_array":
                    found = True
                elif prefix in ("model", "dataset") and event == "string":
                    header[prefix] = value
                if found and {"model", "dataset"} <= set(header):
                    break
                if prefix == "" and event == "end_map":
                    break
        except (ijson.JSONError, UnicodeDecodeError, RecursionError) as exc:
            if not found:
                raise InputFormatError(f"{path}: not a Spurious Rewards JSON: not valid JSON ({first_line(exc)})") from None
    if not found:
        raise InputFormatError(f"{path}: not a Spurious Rewards JSON (no top-level 'metadata' list); "
                               "pass another --format or none to detect it")
    return header
