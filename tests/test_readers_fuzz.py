"""Fuzzing every reader: random JSON values in every field never raise anything but a clean error,
and never change the number of responses silently.

For each format, a valid record of that format has each of its fields replaced
by a random JSON value (or removed), and random extra fields added. Reading the
file must then, record by record, either report the record as bad (file, line,
field) or give exactly the responses it holds, each the very string of the
input (never a stringified list, number or null), with every record field of
the right type.
"""

from __future__ import annotations

import csv
import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from codereason import read_rows
from codereason.errors import CodeReasonError, SchemaError
from codereason.records import FIELD_TYPES, ROLLOUT_FIELDS, check_row

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True),
                    st.text(max_size=8))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                             st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                           max_leaves=8)
# A field is kept, replaced by a random value, or removed.
KEEP, DROP = object(), object()
mutation = st.one_of(st.just(KEEP), st.just(KEEP), json_values, st.just(DROP))

TEMPLATES = {
    "harness": {"idx": 3, "question": "1+1?", "gt": "2", "code": ["It is 2.", "```python\nprint(2)\n```"],
                "pred": ["2", "2"], "report": [None, None], "score": [True, False], "level": 2},
    "verl": {"input": "Q1", "output": "A", "gts": "5", "score": 1.0, "step": 20},
    "trainlog": {"question_index": 9, "rollout_index": 2, "question": "Q", "prompt": "Q", "response": "R",
                 "ground_truth": "7", "answer_reward": 1.0, "format_reward": 1.0},
    "codereason": {"problem_id": "p1", "sample_idx": 0, "prompt": "Q", "response": "R", "gold": "1", "step": 5,
                   "checkpoint": "c", "benchmark": "b", "model": "m", "stored_score": 0.5,
                   "provenance": {"seed": 1}, "schema_version": 1, "code_reasoning": True, "code_spans": [[0, 1]],
                   "correct": False, "grade_status": "ok"},
    "generic": {"qid": "a", "completion": "x = 1", "gold": "1", "step": 3, "extra": [1, 2]},
    "chat": {"id": "q1", "messages": [{"role": "user", "content": "1+1?"}, {"role": "assistant", "content": "2"}],
             "answer": "2"},
    "generations": {"uuid": "u1", "problem": "1+1?", "answer": "2", "generations": ["2", "```python\nprint(2)\n```"],
                    "correctness_math_verify": [True, False], "source": "x"},
    "lighteval": {"doc": {"query": "1+1?", "choices": ["2"], "gold_index": 0, "id": "3", "task_name": "t|0"},
                  "model_response": {"text": ["2", "two"], "logprobs": []}, "metric": {"em": 1.0}},
    "skythought": {"problem": "1+1?", "answer": "2", "unique_id": "test/1.json",
                   "responses": {"0.0": {"content": "2", "correctness": True, "reason": ""}}, "level": 1},
}
OPTIONS = {"generic": {"text_field": "completion", "id_field": "qid"}}


def _responses_held(fmt: str, record: dict, key: str | None = None) -> list:
    """The responses a record holds (the reader gives exactly these, or refuses the record)."""
    try:
        if fmt == "chat":
            return [[m for m in record["messages"] if m["role"] == "assistant"][-1]["content"]]
        if fmt == "lighteval":
            return list(record["model_response"]["text"])
        if fmt == "skythought":
            return [entry["content"] for value in record["responses"].values()
                    for entry in (value if isinstance(value, list) else [value])]
    except (TypeError, KeyError, IndexError, AttributeError):
        return [None]
    key = key or {"generations": "generations", "harness": "code", "verl": "output", "trainlog": "response", "codereason": "response",
           "generic": "completion", "spurious-json": "outputs"}[fmt]
    value = record.get(key)
    return value if isinstance(value, list) else [value]


@st.composite
def mutated_records(draw, fmt: str):
    template = TEMPLATES[fmt]
    records = []
    for _ in range(draw(st.integers(1, 3))):
        record = {}
        for name, value in template.items():
            change = draw(mutation)
            if change is DROP:
                continue
            record[name] = value if change is KEEP else change
        record.update(draw(st.dictionaries(st.sampled_from(["extra", "pred", "sample_idx", "source_pred", "x"]),
                                           json_values, max_size=2)))
        records.append({**record, "_n": len(records)})
    return records


def _check(fmt: str, path: Path, records: list[dict], line_of_record, **options) -> None:
    """Read ``path`` with and without ``on_bad``; check every record's rows against what it holds."""
    bad: dict = {}
    try:
        rows = list(read_rows(path, format=fmt, on_bad=lambda src, line, raw, err: bad.setdefault(_where(line, err), err),
                              **options))
    except CodeReasonError as exc:  # a file-level error (undetectable, unreadable): one clean line
        assert "\n" not in str(exc)
        return
    for row in rows:
        assert check_row(row) is None, row
        assert set(ROLLOUT_FIELDS) <= set(row)
        assert isinstance(row["response"], str) and isinstance(row["sample_idx"], int)
    for index, record in enumerate(records):
        line = line_of_record(index)
        mine = [r for r in rows if r.get("_n") == index]  # every reader keeps the input's other fields
        if line in bad or (None in bad and not mine):
            assert not mine, "a bad record gave rows"
            continue
        held = _responses_held(fmt, record, options.get("text_field"))
        assert [r["response"] for r in mine] == held, (record, mine)
        assert all(type(r) is str for r in held)  # never a stringified value
    try:  # without on_bad: the same rows, or a SchemaError on the first bad record
        assert _as_json(list(read_rows(path, format=fmt, **options))) == _as_json(rows)
    except SchemaError as exc:
        assert bad and "\n" not in str(exc)


def _as_json(rows: list[dict]) -> str:
    """Rows as JSON text, so that two reads compare equal when both kept a NaN of the input (NaN != NaN)."""
    return json.dumps(rows, sort_keys=True, default=repr)


def _where(line, error) -> int | None:
    """The record a bad-record report names: its line, or the item number a JSON reader's message starts with."""
    if line is not None:
        return line
    import re

    match = re.match(r"(?:metadata\[|problem )(\d+)", error.message)
    return int(match.group(1)) if match else None


def _jsonl(records: list[dict]) -> Path:
    handle = tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8")
    with handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")  # NaN/Infinity as JSON's json module writes and reads them
    return Path(handle.name)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["harness", "verl", "trainlog", "codereason", "generic", "chat", "generations",
                                 "lighteval"])
def test_jsonl_readers_refuse_or_read_exactly(fmt) -> None:
    @SETTINGS
    @given(mutated_records(fmt))
    def run(records):
        path = _jsonl(records)
        try:
            _check(fmt, path, records, lambda i: i + 1, **OPTIONS.get(fmt, {}))
        finally:
            path.unlink()

    run()


def _check_json_document(format: str, document, records, **dump_options) -> None:
    """Write ``document`` as one JSON file and check the ``format`` reader on its ``records``."""
    handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    with handle:
        json.dump(document, handle, **dump_options)
    try:
        _check(format, Path(handle.name), records, lambda i: i)
    finally:
        Path(handle.name).unlink()


@pytest.mark.slow
def test_spurious_json_reader_refuses_or_reads_exactly() -> None:
    item = {"prompt": "p", "label": "3", "index": 0, "outputs": ["a", "b"]}
    TEMPLATES["spurious-json"] = item

    @SETTINGS
    @given(mutated_records("spurious-json"), st.dictionaries(st.sampled_from(["model", "dataset", "x"]), json_values))
    def run(items, header):
        _check_json_document("spurious-json", {**header, "metadata": items}, items)

    run()


@pytest.mark.slow
def test_skythought_reader_refuses_or_reads_exactly() -> None:
    @SETTINGS
    @given(mutated_records("skythought"))
    def run(problems):
        _check_json_document("skythought", {f"problem {i}": p for i, p in enumerate(problems)}, problems, indent=1)

    run()


@pytest.mark.slow
def test_lmeval_reader_never_invents_or_stringifies_responses() -> None:
    """lm-eval rows are merged by doc_id across the file, so the check is on the whole file: every
    response read is one of the strings logged in some row's ``resps[0]``, and no more of them."""
    template = {"doc_id": 0, "doc": {"q": "?"}, "target": "2", "arguments": {"gen_args_0": {"arg_0": "Q", "arg_1": {}}},
                "resps": [["a", "b"]], "filtered_resps": ["a"], "filter": "strict-match", "metrics": ["exact_match"],
                "exact_match": 0.0}
    TEMPLATES["lm-eval"] = template

    @SETTINGS
    @given(mutated_records("lm-eval"))
    def run(records):
        path = _jsonl(records)
        try:
            rows = list(read_rows(path, format="lm-eval", on_bad=lambda *entry: None))
        except CodeReasonError as exc:
            assert "\n" not in str(exc)
            return
        finally:
            path.unlink()
        logged = [s for r in records if isinstance(r.get("resps"), list) and r["resps"]
                  and isinstance(r["resps"][0], list) for s in r["resps"][0] if isinstance(s, str)]
        assert all(check_row(row) is None for row in rows)
        assert len(rows) <= len(logged) and all(row["response"] in logged for row in rows)

    run()


columns = st.sampled_from(["str", "int", "float", "bool", "list", "null"])
_COLUMN_VALUES = {"str": st.text(max_size=6), "int": st.integers(-10, 10), "float": st.floats(allow_nan=True),
                  "bool": st.booleans(), "list": st.lists(st.text(max_size=3), max_size=2), "null": st.none()}


@st.composite
def typed_table(draw):
    """A table whose columns each hold one type (Parquet needs that), named like record fields or not."""
    n = draw(st.integers(1, 4))
    names = draw(st.lists(st.sampled_from(["problem_id", "sample_idx", "response", "gold", "step", "provenance",
                                           "correct", "code_spans", "text", "x"]), min_size=1, max_size=6,
                          unique=True))
    table = {}
    for name in names:
        kind = draw(columns)
        table[name] = draw(st.lists(st.one_of(st.none(), _COLUMN_VALUES[kind]), min_size=n, max_size=n))
    return table


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["codereason", "generic"])
def test_parquet_readers_refuse_or_read_exactly(fmt) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    @SETTINGS
    @given(typed_table())
    def run(table):
        n = len(next(iter(table.values())))
        table.setdefault("response", ["r"] * n)
        table["_n"] = list(range(n))
        try:
            arrow = pa.table(table)
        except (pa.ArrowException, OverflowError):
            assume(False)
        handle = tempfile.NamedTemporaryFile(suffix=".parquet", delete=False)
        handle.close()
        pq.write_table(arrow, handle.name)
        records = arrow.to_pylist()
        options = {"text_field": "response"} if fmt == "generic" else {}
        try:
            _check(fmt, Path(handle.name), records, lambda i: i + 1, **options)
        finally:
            Path(handle.name).unlink()

    run()


def _whole_number(cell: str) -> bool:
    """What a step cell must be: ASCII digits with an optional sign ("²".isdigit() is True, int("²") fails)."""
    return cell.strip().lstrip("-").isascii() and cell.strip().lstrip("-").isdigit()


@pytest.mark.slow
def test_csv_reader_refuses_or_reads_exactly() -> None:
    @SETTINGS
    @given(st.lists(st.tuples(st.text(max_size=10), st.text(max_size=10), st.text(max_size=4)), min_size=1,
                    max_size=4))
    def run(cells):
        handle = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, newline="", encoding="utf-8")
        with handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "gold", "step"])
            writer.writerows(cells)
        bad, rows = [], []
        try:
            rows = list(read_rows(handle.name, text_field="text", on_bad=lambda *entry: bad.append(entry)))
        finally:
            Path(handle.name).unlink()
        # every record is read as written, or refused for its step cell (not a whole number)
        assert len(rows) + len(bad) == len(cells)
        good = [c for c in cells if c[2] == "" or _whole_number(c[2])]
        assert [(r["response"], r["gold"] or "") for r in rows] == [(c[0], c[1]) for c in good]

    run()


@pytest.mark.slow
def test_raw_bytes_never_give_a_traceback() -> None:
    """Any bytes at all, under every suffix and every format: rows or a one-line CodeReasonError."""
    from codereason.io import FORMATS

    @SETTINGS
    @given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode), st.sampled_from(
        [".jsonl", ".json", ".csv", ".parquet"]), st.sampled_from([None, *FORMATS]))
    def run(data, suffix, fmt):
        handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)
        with handle:
            handle.write(data)
        options = {"text_field": "text"} if fmt == "generic" else {}
        try:
            for skip in (False, True):
                try:
                    rows = list(read_rows(handle.name, format=fmt, on_bad=(lambda *e: None) if skip else None,
                                          **options))
                    assert all(check_row(r) is None for r in rows)
                except CodeReasonError as exc:
                    assert "\n" not in str(exc), str(exc)
        finally:
            Path(handle.name).unlink()

    run()


def test_field_types_cover_every_record_field() -> None:
    """The schema table is built from the three record classes: one entry per field, with its Arrow type."""
    from codereason.records import GRADE_FIELDS, LABEL_FIELDS, arrow_type

    assert set(FIELD_TYPES) == set(ROLLOUT_FIELDS) | set(LABEL_FIELDS) | set(GRADE_FIELDS)
    assert all(arrow_type(name) is not None for name in FIELD_TYPES)
    assert not math.isnan(0.0)
