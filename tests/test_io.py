"""Readers and writers: every format, clear errors, nothing dropped silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codereason.errors import ConfigError, InputFormatError, SchemaError
from codereason.io import detect_format, infer_step, iter_input_files, read_rollouts, read_rows
from codereason.records import ROLLOUT_FIELDS, Rollout
from codereason.writers import RowWriter


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


# Small files in each format, written by us in the shape of the real ones.
FORMAT_CASES = [
    ("harness.jsonl", [{"idx": 3, "question": "1+1?", "gt": "2", "code": ["It is 2.", "```python\nprint(2)\n```"],
                        "pred": ["2", "2"], "score": [True, False]}],
     "harness", [("3", 0, "2", 1.0), ("3", 1, "2", 0.0)]),
    ("verl.jsonl", [{"input": "Q1", "output": "A", "gts": "5", "score": 1.0, "step": 20},
                    {"input": "Q1", "output": "B", "gts": "5", "score": 0.0, "step": 20}],
     "verl", [(None, 0, "5", 1.0), (None, 1, "5", 0.0)]),
    ("trainlog.jsonl", [{"question_index": 9, "rollout_index": 2, "question": "Q", "prompt": "Q", "response": "R",
                         "ground_truth": "7", "answer_reward": 1.0}],
     "trainlog", [("9", 2, "7", 1.0)]),
    ("own.jsonl", [Rollout(problem_id="p1", sample_idx=0, prompt="Q", response="R", gold="1").to_dict()],
     "codereason", [("p1", 0, "1", None)]),
]


@pytest.mark.parametrize("name,records,fmt,expected", FORMAT_CASES, ids=[c[2] for c in FORMAT_CASES])
def test_each_format_is_detected_and_read(tmp_path, name, records, fmt, expected) -> None:
    path = write_jsonl(tmp_path / name, records)
    assert detect_format(path) == fmt
    rows = list(read_rows(path))
    got = [(r["problem_id"] if fmt != "verl" else None, r["sample_idx"], r["gold"], r["stored_score"]) for r in rows]
    assert got == expected
    assert all(set(ROLLOUT_FIELDS) <= set(r) for r in rows)


def test_verl_step_comes_from_the_record(tmp_path) -> None:
    path = write_jsonl(tmp_path / "global_step_5" / "x.jsonl" if False else tmp_path / "x.jsonl",
                       [{"input": "Q", "output": "A", "gts": "1", "score": 0, "step": 40}])
    assert next(read_rows(path))["step"] == 40


def test_generic_needs_a_text_field_and_uses_id_field(tmp_path) -> None:
    path = write_jsonl(tmp_path / "g.jsonl", [{"qid": "a", "completion": "x = 1"}, {"qid": "a", "completion": "y"}])
    with pytest.raises(InputFormatError, match="--text-field"):
        list(read_rows(path))
    rows = list(read_rows(path, text_field="completion", id_field="qid"))
    assert [(r["problem_id"], r["sample_idx"], r["response"]) for r in rows] == [("a", 0, "x = 1"), ("a", 1, "y")]


def test_generic_csv_and_parquet(tmp_path) -> None:
    import pandas as pd

    frame = pd.DataFrame({"text": ["multi\nline, with comma", "b"], "id": [1, 2]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    for name in ("t.csv", "t.parquet"):
        rows = list(read_rows(tmp_path / name, text_field="text", id_field="id"))
        assert [r["response"] for r in rows] == ["multi\nline, with comma", "b"]
        assert [r["problem_id"] for r in rows] == ["1", "2"]


def test_missing_field_names_file_line_and_field(tmp_path) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [{"idx": 0, "gt": "1", "code": ["a"]}, {"idx": 1, "gt": "2"}])
    with pytest.raises(SchemaError, match=r"bad.jsonl:2: missing field 'code' \(have: gt, idx\)"):
        list(read_rows(path, format="harness"))


def test_broken_json_line_names_the_line(tmp_path) -> None:
    path = tmp_path / "torn.jsonl"
    path.write_text('{"question_index": 1, "response": "a", "ground_truth": "1"}\n{"response": "b", "grou\n')
    with pytest.raises(SchemaError, match=r"torn.jsonl:2: not valid JSON"):
        list(read_rows(path))


def test_skip_bad_hands_over_bad_records_and_keeps_the_rest(tmp_path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"response": "a", "ground_truth": "1"}\nnot json\n{"ground_truth": "2"}\n'
                    '{"response": "c", "ground_truth": "3"}\n')
    bad = []
    rows = list(read_rows(path, on_bad=lambda src, line, raw, err: bad.append((line, err.message))))
    assert [r["response"] for r in rows] == ["a", "c"]
    assert [line for line, _ in bad] == [2, 3]
    assert "missing field 'response'" in bad[1][1]


def test_unknown_format_and_bad_choice(tmp_path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [{"foo": 1}])
    with pytest.raises(InputFormatError, match="fields foo.*--format"):
        list(read_rows(path))
    with pytest.raises(ConfigError, match="--format must be one of"):
        list(read_rows(path, format="yaml"))


@pytest.mark.parametrize("path,step", [
    ("runs/a/global_step_50/r.jsonl", 50), ("ckpts/checkpoint-1200/r.jsonl", 1200), ("results/step400/x.json", 400),
    ("results/base/x.json", 0), ("logs/grpo_step_000007/sample_rollouts.jsonl", 7), ("out/rollouts.jsonl", None),
    ("data/baseline/x.jsonl", None),
])
def test_infer_step(path, step) -> None:
    assert infer_step(path) == step


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_writer_round_trip(tmp_path, suffix) -> None:
    rollouts = [Rollout(problem_id=str(i), sample_idx=i % 2, prompt="Q", response=f"R{i}", gold="1", step=5,
                        provenance={"seed": i}) for i in range(10)]
    with RowWriter(tmp_path / f"out{suffix}", batch_size=3) as writer:
        for r in rollouts:
            writer.write({**r.to_dict(), "code_reasoning": bool(r.sample_idx)})
    assert writer.count == 10
    rows = list(read_rows(tmp_path / f"out{suffix}"))
    assert [r["code_reasoning"] for r in rows] == [bool(i % 2) for i in range(10)]
    assert list(read_rollouts(tmp_path / f"out{suffix}")) == rollouts


def test_writer_rejects_other_suffixes(tmp_path) -> None:
    with pytest.raises(ConfigError, match=".jsonl or .parquet"):
        RowWriter(tmp_path / "out.txt")


def test_directory_expansion_skips_summaries(tmp_path) -> None:
    (tmp_path / "step5").mkdir()
    write_jsonl(tmp_path / "step5" / "r.jsonl", [{"response": "a", "ground_truth": "1"}])
    (tmp_path / "step5" / "rollout_summary.json").write_text("{}")
    assert [p.name for p in iter_input_files(tmp_path)] == ["r.jsonl"]
    with pytest.raises(InputFormatError, match="no such file"):
        iter_input_files(tmp_path / "missing")


@pytest.mark.realdata
def test_real_formats_read_with_counts(realdata) -> None:
    cases = {
        "spurious-1p5b-gt-steps/results/base/Qwen2.5-Math-1.5B_AMC.json": (664, "spurious-json"),
        "qwen25-math-instruct-maj8-math100/math_cot_100.jsonl": (800, "harness"),
        "tora-gsm8k-tir/tora-70b-v1.0/gsm8k/test_tora_-1_seed0_t0.0_s0_e1319.jsonl": (1319, "harness"),
        "cs336-grpo-qwen1p5b-rollouts/question_only/grpo_step_000050/sample_rollouts.jsonl": (8, "trainlog"),
    }
    for relative, (count, fmt) in cases.items():
        assert detect_format(realdata / relative) == fmt
        rows = list(read_rows(realdata / relative))
        assert len(rows) == count
        assert len({(r["checkpoint"], r["problem_id"], r["sample_idx"]) for r in rows}) == count


@pytest.mark.realdata
def test_spurious_json_fields(spurious_results) -> None:
    rows = list(read_rows(spurious_results / "step50" / "export-for-eval-step50_MATH-500.json"))
    assert len(rows) == 500
    first = rows[3]
    assert (first["problem_id"], first["gold"], first["benchmark"], first["step"]) == ("3", "9", "MATH-500", 50)
    assert first["prompt"].startswith("<|im_start|>system")


def test_unicode_line_separators_inside_records_survive(tmp_path) -> None:
    """Other writers (json.dumps(ensure_ascii=False), e.g. our generator) leave U+2028, U+0085 and
    \\x1c raw inside a record; they end no JSONL line. RowWriter writes ASCII, escaping them."""
    text = "a\u2028b\x85c\x1cd\u2029e"
    row = Rollout(problem_id="1", sample_idx=0, prompt="", response=text).to_dict()
    (tmp_path / "raw.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    assert [r["response"] for r in read_rows(tmp_path / "raw.jsonl")] == [text]
    with RowWriter(tmp_path / "u.jsonl") as writer:
        writer.write(row)
    assert (tmp_path / "u.jsonl").read_bytes().isascii()
    assert [r["response"] for r in read_rows(tmp_path / "u.jsonl")] == [text]


def test_parquet_output_refuses_fields_its_first_rows_lacked(tmp_path) -> None:
    with pytest.raises(ConfigError, match="rows 3-4: fields late are not in the first rows"):
        with RowWriter(tmp_path / "out.parquet", batch_size=2) as writer:
            for row in [{"a": 1}, {"a": 2}, {"a": 3}, {"a": 4, "late": "x"}]:
                writer.write(row)
    import pyarrow.parquet as pq

    assert writer.count == 2 and pq.read_table(tmp_path / "out.parquet")["a"].to_pylist() == [1, 2]


class _InterruptAfter:
    """Wraps a file handle or list: the call goes through, then Ctrl-C lands (before the writer counts it)."""

    def __init__(self, inner, method: str):
        self._inner, self._method = inner, method

    def __getattr__(self, name):
        attribute = getattr(self._inner, name)
        if name != self._method:
            return attribute

        def then_interrupt(*args):
            attribute(*args)
            raise KeyboardInterrupt

        return then_interrupt

    def __len__(self):
        return len(self._inner)

    def __getitem__(self, index):
        return self._inner[index]

    def __delitem__(self, index):
        del self._inner[index]


@pytest.mark.parametrize("suffix,inner,method", [(".jsonl", "_handle", "write"), (".parquet", "_rows", "append")])
def test_ctrl_c_right_after_a_write_leaves_count_and_file_equal(tmp_path, suffix, inner, method) -> None:
    out = tmp_path / f"out{suffix}"
    with pytest.raises(KeyboardInterrupt):
        with RowWriter(out, batch_size=4) as writer:
            for i in range(6):
                writer.write({"problem_id": str(i), "sample_idx": 0, "response": "r"})
            setattr(writer, inner, _InterruptAfter(getattr(writer, inner), method))
            writer.write({"problem_id": "6", "sample_idx": 0, "response": "r"})
    assert writer.count == 6
    assert [row["problem_id"] for row in read_rows(out)] == [str(i) for i in range(6)]


# ------------------------------------------------------------ wrong types are bad records (issue 11)

def _spurious(items) -> str:
    return json.dumps({"model": "m", "dataset": "d", "metadata": items})


# (file name, content, read_rows options, the one-line error expected). Each was a silent split,
# stringification or coercion, or a traceback, before the readers checked the record schema.
BAD_INPUTS = [
    ("h.jsonl", json.dumps({"idx": 1, "gt": "2", "code": "abc"}) + "\n", {},
     r"h.jsonl:1: field 'code' must be a list of strings, got string 'abc'"),
    ("h.jsonl", json.dumps({"idx": 1, "gt": "2", "code": [None, 5]}) + "\n", {},
     r"h.jsonl:1: field 'code\[0\]' must be a string, got null"),
    ("h.jsonl", json.dumps({"idx": 1, "gt": "2", "code": ["a", "b"], "score": [True]}) + "\n", {},
     r"h.jsonl:1: field 'score' must be a list of one entry per response \(2\), got 1 entries"),
    ("s.json", _spurious([{"prompt": "p", "label": "1", "index": 0, "outputs": "abc"}]), {},
     r"s.json: metadata\[0\]: field 'outputs' must be a list of strings, got string"),
    ("t.jsonl", json.dumps({"response": 42, "ground_truth": "1"}) + "\n", {},
     r"t.jsonl:1: field 'response' must be a string, got integer 42"),
    ("c.jsonl", json.dumps({"problem_id": "1", "sample_idx": 1.7, "response": "r"}) + "\n", {},
     r"c.jsonl:1: field 'sample_idx' must be a whole number, got number 1.7"),
    ("c.jsonl", json.dumps({"problem_id": "1", "sample_idx": "abc", "response": "r"}) + "\n", {},
     r"c.jsonl:1: field 'sample_idx' must be a whole number, got string 'abc'"),
    ("c.jsonl", json.dumps({"problem_id": "1", "sample_idx": 0, "response": "r", "provenance": "{no"}) + "\n", {},
     r"c.jsonl:1: field 'provenance' is a string that is not valid JSON"),
    ("c.jsonl", json.dumps({"problem_id": "1", "sample_idx": 0, "response": "r", "schema_version": 2}) + "\n", {},
     r"c.jsonl:1: field 'schema_version' is 2; this codereason reads version 1 \(written by a newer codereason\)"),
    ("c.jsonl", json.dumps({"problem_id": "1", "sample_idx": 0, "response": "r", "code_reasoning": "no"}) + "\n",
     {}, r"c.jsonl:1: field 'code_reasoning' must be true or false, got string 'no'"),
    ("c.jsonl", json.dumps({"problem_id": "1", "sample_idx": 0, "response": "r", "grade_status": "great"}) + "\n",
     {}, r"c.jsonl:1: field 'grade_status' must be one of 'ok', 'no_answer', 'parse_error', 'timeout'"),
    ("t.jsonl", '{"response": "a", "ground_truth": "1"}\n{"x": ' + "[" * 1000 + "]" * 1000 + "}\n", {},
     r"t.jsonl:2: JSON nested too deep to read"),
    ("s.json", _spurious([{"prompt": "p", "label": "1", "index": 0, "outputs": ["a"]}] * 3)[:-40], {},
     r"s.json: the JSON breaks off or is invalid after metadata\[1\] \(parse error: premature EOF\); the rest"),
    ("u.csv", 'text,id\n"abc,1\nnext,2\n', {"text_field": "text"},
     r"u.csv:2: CSV record starting here cannot be read \(unexpected end of data; an unterminated quote\?\)"),
    ("u.csv", 'text,id\n"abc,1\nnext,"2"\n', {"text_field": "text"},
     r"u.csv:2: CSV record starting here cannot be read"),
    ("u.csv", b'text,id\nok,1\n\xff\xfe,2\n', {"text_field": "text"}, r"u.csv:3: CSV record \(line 3\) is not valid UTF-8"),
    ("g.jsonl", json.dumps({"completion": ["a", 5]}) + "\n", {"text_field": "completion"},
     r"g.jsonl:1: field 'completion\[1\]' must be a string, got int"),
    ("g.jsonl", json.dumps({"completion": {"text": "a"}}) + "\n", {"text_field": "completion"},
     r"g.jsonl:1: field 'completion' must be a string or a list of strings, got object \(name a string inside"),
]


@pytest.mark.parametrize("name,content,options,error", BAD_INPUTS, ids=[c[3][:40] for c in BAD_INPUTS])
def test_a_value_of_the_wrong_type_is_a_bad_record(tmp_path, name, content, options, error) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(SchemaError, match=error) as raised:
        list(read_rows(path, **options))
    assert "\n" not in str(raised.value)
    bad = []
    list(read_rows(path, on_bad=lambda *entry: bad.append(entry), **options))  # --skip-bad: logged, never raised
    assert [entry[3].message for entry in bad][-1] in str(raised.value)


@pytest.mark.parametrize("name,content,options,error", [
    ("trunc.parquet", b"PAR1" + b"\0" * 100, {}, r"trunc.parquet: not a readable Parquet file"),
    ("j.jsonl", '{"response": "a", "ground_truth": "1"}\n', {"format": "spurious-json"},
     r"j.jsonl: not a Spurious Rewards JSON \(no top-level 'metadata' list\)"),
    ("n.jsonl", '{"x": ' + "[" * 1000 + "]" * 1000 + "}\n", {}, r"n.jsonl:1: JSON nested too deep"),
    ("b.csv", b"te\xffxt,id\n", {"text_field": "te"}, r"b.csv:1: the CSV header is not valid UTF-8"),
])
def test_a_file_that_cannot_be_read_is_one_line(tmp_path, name, content, options, error) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputFormatError, match=error):
        list(read_rows(path, **options))


def test_a_truncated_parquet_file_keeps_its_readable_rows_and_says_where_it_stops(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    whole = pa.table({"problem_id": [str(i) for i in range(4000)], "sample_idx": [0] * 4000,
                      "response": [f"r{i}" * 20 for i in range(4000)]})
    pq.write_table(whole, tmp_path / "t.parquet", row_group_size=1000)
    data = bytearray((tmp_path / "t.parquet").read_bytes())
    metadata = pq.ParquetFile(tmp_path / "t.parquet").metadata
    middle = metadata.row_group(2).column(2).data_page_offset
    data[middle:middle + 64] = b"\xff" * 64  # corrupt one row group, keep the footer
    (tmp_path / "t.parquet").write_bytes(bytes(data))
    bad = []
    rows = list(read_rows(tmp_path / "t.parquet", on_bad=lambda *entry: bad.append(entry)))
    assert len(bad) == 1 and "cannot be read" in bad[0][3].message and "the rest of the file is not read" in bad[0][3].message
    assert [r["response"] for r in rows] == [f"r{i}" * 20 for i in range(len(rows))]


def test_generic_csv_gold_column_is_the_gold(tmp_path) -> None:
    (tmp_path / "g.csv").write_text("text,gold,step\n\\boxed{2},2,7\nno,,\n")
    rows = list(read_rows(tmp_path / "g.csv", text_field="text"))
    assert [(r["gold"], r["step"]) for r in rows] == [("2", 7), (None, None)]


def test_every_input_field_is_kept(tmp_path) -> None:
    """Fields a reader does not map are kept; those named like a record field get ``source_``."""
    path = write_jsonl(tmp_path / "h.jsonl", [{"idx": 0, "gt": "1", "level": 3, "solution": "s", "code": ["a", "b"],
                                               "pred": ["1", "2"], "score": [True, False]}])
    rows = list(read_rows(path))
    assert [(r["level"], r["solution"], r["source_pred"], r["stored_score"]) for r in rows] == \
        [(3, "s", "1", 1.0), (3, "s", "2", 0.0)]
    assert "code" not in rows[0] and "pred" not in rows[0]
