"""``tag_files``: worker processes reading, labelling and writing pieces give the -j 1 output, byte for byte.

Pieces are made tiny here (``piece_bytes``) so that every file is cut into many
and every boundary case occurs: a problem's samples split over two pieces, a bad
record in the middle, a file that cannot be read after good ones.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

import codereason.tagging as tagging_module
from codereason.errors import InputFormatError, SchemaError, WorkerError
from codereason.io import read_rows
from codereason.jsonl import split_lines
from codereason.tagging import BadRecordLog, tag_files
from codereason.writers import NullWriter, RowWriter

# Responses in the shapes real rollouts take (fenced, unfenced, prose, "python" without code).
RESPONSES = [
    "```python\nfrom sympy import symbols\nx = symbols('x')\nprint(x**2)\n```\n```output\nx**2\n```",
    "We add them: $2 + 3 = 5$. The answer is $\\boxed{5}$.",
    "Let's use Python.\nimport math\nprint(math.comb(5, 2))\nSo the answer is 10.",
    "One could check this in Python, but by hand it is $\\boxed{12}$.",
    "Caf\u00e9 math: \u00bd + \u00bd = 1 \u2014 done. \u2028 (a line separator inside a record)",
]


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def verl_records(n: int = 120) -> list[dict]:
    """Four samples per prompt, consecutive as verl dumps them, so pieces split prompts."""
    return [{"input": f"Q{i // 4}", "output": RESPONSES[i % 5], "gts": "5", "score": float(i % 2), "step": 10}
            for i in range(n)]


def generic_records(n: int = 120) -> list[dict]:
    """Problem ids that come back all through the file (sample-major order)."""
    return [{"qid": f"p{i % 7}", "text": RESPONSES[i % 5], "extra": i} for i in range(n)]


def harness_records(n: int = 40) -> list[dict]:
    return [{"idx": i, "gt": "5", "question": "Q?", "code": RESPONSES[: 1 + i % 5], "score": [True] * (1 + i % 5)}
            for i in range(n)]


def tag_both_ways(tmp_path: Path, files, suffix: str = ".jsonl", **options):
    """Tag with 1 process and with 2 (tiny pieces); return both outputs and summaries."""
    outputs = []
    for jobs in (1, 2):
        out = tmp_path / f"out-j{jobs}{suffix}"
        with RowWriter(out, batch_size=16) as writer:
            summary = tag_files(files, writer, n_jobs=jobs, piece_bytes=700, **options)
        assert writer.count == sum(counts[0] for key, counts in summary.groups.items() if key == ("all", ""))
        outputs.append((out, summary.table()))
    return outputs


@pytest.mark.parametrize("make,options", [
    (verl_records, {}),
    (generic_records, {"text_field": "text", "id_field": "qid"}),
    (generic_records, {"text_field": "text"}),
    (harness_records, {}),
], ids=["verl", "generic-id", "generic", "harness"])
def test_two_jobs_write_the_same_bytes_as_one(tmp_path, make, options) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", make())
    assert len(list(split_lines(source, 700))) > 5  # really cut into pieces
    (one, table_one), (two, table_two) = tag_both_ways(tmp_path, [source], **options)
    assert one.read_bytes() == two.read_bytes()
    assert table_one == table_two
    assert not list(tmp_path.glob(".out-j2*"))  # the part files are gone


def test_samples_of_a_problem_split_over_pieces_keep_their_numbers(tmp_path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", generic_records(140))
    _, (two, _) = tag_both_ways(tmp_path, [source], text_field="text", id_field="qid")
    rows = list(read_rows(two))
    assert [(r["problem_id"], r["sample_idx"]) for r in rows[:8]] == [
        ("p0", 0), ("p1", 0), ("p2", 0), ("p3", 0), ("p4", 0), ("p5", 0), ("p6", 0), ("p0", 1)]
    assert sorted(r["sample_idx"] for r in rows if r["problem_id"] == "p3") == list(range(20))
    assert [r["provenance"]["line"] for r in rows] == list(range(1, 141))


def test_parquet_output_and_several_files(tmp_path) -> None:
    files = [write_jsonl(tmp_path / "a.jsonl", verl_records(60)), write_jsonl(tmp_path / "b.jsonl", verl_records(44))]
    (one, _), (two, _) = tag_both_ways(tmp_path, files, suffix=".parquet")
    rows_one, rows_two = list(read_rows(one)), list(read_rows(two))
    assert rows_one == rows_two and len(rows_two) == 104
    assert [r["sample_idx"] for r in rows_two[:8]] == [0, 1, 2, 3, 0, 1, 2, 3]


def test_a_bad_record_stops_both_ways_at_the_same_line_with_the_same_output(tmp_path) -> None:
    records = [{"problem_id": str(i), "sample_idx": 0, "response": RESPONSES[i % 5]} for i in range(60)]
    del records[41]["response"]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}.jsonl"
        with pytest.raises(SchemaError, match=rf"{source.name}:42: missing field 'response'"):
            with RowWriter(out) as writer:
                tag_files([source], writer, n_jobs=jobs, piece_bytes=700)
        assert writer.count == 41
    assert (tmp_path / "out1.jsonl").read_bytes() == (tmp_path / "out2.jsonl").read_bytes()
    assert len((tmp_path / "out2.jsonl").read_text().splitlines()) == 41


def test_skip_bad_logs_the_same_records_in_the_same_order(tmp_path) -> None:
    lines = [json.dumps({"problem_id": str(i), "sample_idx": 0, "response": RESPONSES[i % 5]}) for i in range(50)]
    lines[7], lines[30] = "{not json", json.dumps({"problem_id": "30", "sample_idx": 0})
    source = tmp_path / "in.jsonl"
    source.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe bad bytes\n")
    for jobs in (1, 2):
        log = BadRecordLog(tmp_path / f"bad{jobs}.jsonl")
        with RowWriter(tmp_path / f"out{jobs}.jsonl") as writer:
            tag_files([source], writer, n_jobs=jobs, on_bad=log, piece_bytes=700)
        log.close()
        assert (log.count, writer.count) == (3, 48)
    bad = [json.loads(line) for line in open(tmp_path / "bad2.jsonl")]
    assert [(b["line"], b["error"].split(" (")[0]) for b in bad] == [
        (8, "not valid JSON"), (31, "missing field 'response'"), (51, "not valid UTF-8")]
    assert (tmp_path / "bad1.jsonl").read_text() == (tmp_path / "bad2.jsonl").read_text()
    assert (tmp_path / "out1.jsonl").read_bytes() == (tmp_path / "out2.jsonl").read_bytes()


def test_an_unreadable_file_after_good_ones_keeps_their_records(tmp_path) -> None:
    good = write_jsonl(tmp_path / "a.jsonl", harness_records(30))
    unknown = write_jsonl(tmp_path / "b.jsonl", [{"what": "no known fields"}])
    with pytest.raises(InputFormatError, match="cannot tell the format"):
        with RowWriter(tmp_path / "out.jsonl") as writer:
            tag_files([good, unknown], writer, n_jobs=2, piece_bytes=700)
    assert writer.count == len(list(read_rows(good))) == len(list(read_rows(tmp_path / "out.jsonl")))


def test_progress_counts_every_row_and_no_output_only_counts(tmp_path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", verl_records(200))
    seen: list[int] = []
    with NullWriter() as writer:
        summary = tag_files([source], writer, n_jobs=2, on_progress=seen.append, piece_bytes=700)
    assert sum(seen) == writer.count == 200
    assert summary.table()[0]["code_freq"] == pytest.approx(0.4)  # RESPONSES 0 and 2 are code


def test_spurious_json_files_are_whole_pieces(tmp_path) -> None:
    for name in ("a", "b"):
        metadata = [{"prompt": "Q", "label": "5", "index": i, "outputs": RESPONSES} for i in range(6)]
        (tmp_path / f"{name}.json").write_text(json.dumps({"model": name, "dataset": "MATH-500", "metadata": metadata}))
    (one, table_one), (two, table_two) = tag_both_ways(tmp_path, [tmp_path / "a.json", tmp_path / "b.json"])
    assert one.read_bytes() == two.read_bytes() and table_one == table_two
    assert [row["checkpoint"] for row in table_two] == ["all", "a", "b"]


def test_csv_and_parquet_inputs_are_whole_pieces(tmp_path) -> None:
    import pandas as pd

    frame = pd.DataFrame(generic_records(30))
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_parquet(tmp_path / "b.parquet")
    files = [tmp_path / "a.csv", tmp_path / "b.parquet"]
    (one, table_one), (two, table_two) = tag_both_ways(tmp_path, files, text_field="text", id_field="qid")
    assert one.read_bytes() == two.read_bytes() and table_one == table_two
    assert table_two[0]["n"] == 60


def test_line_ranges_read_together_give_the_whole_file(tmp_path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", harness_records(25))
    whole = list(read_rows(source))
    pieces = [row for lines in split_lines(source, 300) for row in read_rows(source, lines=lines)]
    assert pieces == whole


def test_schema_errors_survive_pickling_between_processes() -> None:
    error = pickle.loads(pickle.dumps(SchemaError("runs/a.jsonl", 1832, "missing field 'response' (have: prompt)")))
    assert (str(error), error.line) == ("runs/a.jsonl:1832: missing field 'response' (have: prompt)", 1832)


def test_a_worker_that_dies_is_an_error_and_leaves_no_parts(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    parent, real_classify = os.getpid(), tagging_module.classify

    def die_in_worker(text: str, mode: str = "ast"):
        if os.getpid() != parent:
            os._exit(9)  # what the kernel's OOM killer leaves behind, minus the signal
        return real_classify(text, mode)

    monkeypatch.setattr(tagging_module, "classify", die_in_worker)
    source = write_jsonl(tmp_path / "in.jsonl", verl_records())
    with pytest.raises(WorkerError, match="died.*-j 1"):
        with RowWriter(tmp_path / "out.jsonl") as writer:
            tag_files([source], writer, n_jobs=2, piece_bytes=700)
    # no part folder left, and a run that failed before its first record puts no output in place
    assert writer.count == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
