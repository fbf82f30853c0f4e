"""lighteval details Parquet (``--save-details``): ``details/<model>/<date>/details_<task>_<date>.parquet``.

One row per document, columns ``doc``, ``model_response`` and ``metric`` (structs;
schema of lighteval 0.13's ``DetailsLogger.Detail``: ``doc{query, choices[],
gold_index, id, task_name, specific, ...}``, ``model_response{input, text[],
text_post_processed[], logprobs[], ...}``). Each string of ``model_response.text``
is one response (``sample_idx`` its index); gold is ``doc.choices[gold_index]``;
the problem id ``doc.id`` (else the row number); the benchmark ``doc.task_name``;
the model the folder above the date folder. Loglikelihood rows (``text`` empty,
``logprobs`` set) hold no generated text and are refused.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from codereason.errors import InputFormatError
from codereason.io.fields import BadRecord, extras, gold, id_text, wrong_type
from codereason.io.sources import Context, each_record, iter_records

DETAILS_NAME = re.compile(r"^details_(?P<task>.+)_(?P<date>\d{4}-\d\d-\d\dT[\d\-.]+)\.parquet$")


def read_lighteval(context: Context) -> Iterator[dict]:
    match = DETAILS_NAME.match(context.path.name)
    if match and context.path.parent.name == match.group("date"):
        model = context.path.parent.parent.name  # details/<model>/<date>/file
        context.layout = {**context.layout, "model": model, "checkpoint": model}
    return each_record(context, iter_records(context), _rows)


def _rows(context: Context, number: int, record: dict) -> list[dict]:
    doc, response = record.get("doc"), record.get("model_response")
    if not isinstance(doc, dict) or not isinstance(response, dict):
        raise BadRecord("fields 'doc' and 'model_response' must be objects (a lighteval details row)")
    texts = _texts(context, response)
    problem_id = id_text("doc.id", doc["id"]) if doc.get("id") not in (None, "") else str(number - 1)
    rows = []
    for sample_idx, text in enumerate(texts):
        row = context.base_row(
            number, problem_id=problem_id, sample_idx=sample_idx, prompt=_query(doc), response=text,
            gold=_gold(doc), benchmark=doc.get("task_name") or context.layout.get("benchmark"),
        )
        if not isinstance(row["benchmark"], (str, type(None))):
            raise wrong_type("doc.task_name", "a string", row["benchmark"])
        row["provenance"]["sample"] = sample_idx
        row.update(extras(record, ("model_response",)), model_response=_without_text(response))
        rows.append(row)
    return rows


def _texts(context: Context, response: dict) -> list[str]:
    texts = response.get("text")
    if not texts and response.get("logprobs"):
        raise InputFormatError(f"{context.path}: lighteval loglikelihood details (logprobs, no generated text); "
                               "codereason reads generative tasks")
    if not isinstance(texts, list) or not texts:
        raise BadRecord("field 'model_response.text' must be a non-empty list of strings")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise wrong_type(f"model_response.text[{i}]", "a string", text)
    return texts


def _query(doc: dict) -> str:
    query = doc.get("query")
    if query is None:
        return ""
    if not isinstance(query, str):
        raise wrong_type("doc.query", "a string", query)
    return query


def _gold(doc: dict) -> str | None:
    choices, index = doc.get("choices"), doc.get("gold_index")
    if choices is None or index is None:
        return None
    indices = index if isinstance(index, list) else [index]
    if not isinstance(choices, list) or not all(isinstance(i, int) and 0 <= i < len(choices) for i in indices):
        raise BadRecord("field 'doc.gold_index' must index into 'doc.choices'")
    return gold("doc.choices", [choices[i] for i in indices])


def _without_text(response: dict) -> dict[str, Any]:
    """``model_response`` less its ``text`` (each row holds its own response)."""
    return {k: v for k, v in response.items() if k != "text"}
