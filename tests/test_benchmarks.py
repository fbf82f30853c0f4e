"""Benchmark loading: the shipped problem set, local files in every supported form, clear errors."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from codereason.benchmarks import (
    HUB_SOURCES,
    SHIPPED,
    Problem,
    benchmark_names,
    find_local_copy,
    load_benchmark,
    load_problem_file,
    shipped_problems_path,
)
from codereason.errors import ConfigError, InputFormatError, SchemaError


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# ------------------------------------------------------------------ shipped set

def test_shipped_set_has_100_problems_over_four_topics():
    name, problems = load_benchmark(SHIPPED)
    assert name == SHIPPED and len(problems) == 100
    topics = Counter(p.topic for p in problems)
    assert set(topics) == {"arithmetic", "algebra", "counting", "number theory"}
    assert min(topics.values()) >= 20
    assert len({p.id for p in problems}) == 100
    assert all(p.answer for p in problems)


def test_shipped_set_answers_grade_against_themselves():
    """Every gold answer parses with math-verify (a boxed copy of it verifies)."""
    from math_verify import parse, verify

    for problem in load_benchmark(SHIPPED)[1]:
        gold = parse(f"${problem.answer}$")
        assert gold, problem.id
        assert verify(gold, parse(f"\\boxed{{{problem.answer}}}")), problem.id


# (problem id, question fragment, answer, note): spot checks computed by hand
SPOT_CHECKS = [
    ("arith-001", "7 + 5", "12", "the easiest problem, for a 135M model"),
    ("alg-004", "5x - 3 = 2x + 9", "4", "linear equation"),
    ("count-005", "LEVEL", "30", "5!/(2!2!)"),
    ("nt-008", "7^{2023}", "3", "units digit cycles 7,9,3,1; 2023 = 3 mod 4"),
]


@pytest.mark.parametrize("problem_id, fragment, answer, note", SPOT_CHECKS)
def test_shipped_spot_checks(problem_id, fragment, answer, note):
    problems = {p.id: p for p in load_benchmark(SHIPPED)[1]}
    assert fragment in problems[problem_id].problem, note
    assert problems[problem_id].answer == answer, note


def test_limit_keeps_the_first_problems():
    assert [p.id for p in load_benchmark(SHIPPED, limit=2)[1]] == ["arith-001", "arith-002"]


def test_shipped_set_has_a_readme():
    readme = shipped_problems_path().parent / "README.md"
    assert "how" in readme.read_text(encoding="utf-8").lower()


# ------------------------------------------------------------------ file formats

# (records, expected first Problem, note)
FORMAT_CASES = [
    ([{"prompt": "What is 1+1?", "answer": "2"}, {"prompt": "What is 2+2?", "answer": "4"}],
     Problem("0", "What is 1+1?", "2"), "Spurious Rewards {prompt, answer}: ids are 0-based record numbers"),
    ([{"problem": "Find x.", "solution": "... \\boxed{3}", "answer": "3", "subject": "Algebra", "level": 2,
       "unique_id": "test/algebra/1.json"}],
     Problem("test/algebra/1.json", "Find x.", "3", "Algebra"), "HF MATH-500 export"),
    ([{"id": 60, "problem": "AIME question", "solution": "...", "answer": "204", "url": "u", "year": "2024"}],
     Problem("60", "AIME question", "204"), "HF aime_2024 export: numeric id"),
    ([{"id": 0, "problem": "AMC question", "answer": 70.0, "url": "u"}],
     Problem("0", "AMC question", "70.0"), "HF aimo-validation-amc: float answers kept as text"),
    ([{"question": "Q?", "answer": ["5"]}], Problem("0", "Q?", "5"), "question field, one-element answer list"),
    ([{"id": "x-1", "problem": "P", "answer": "1", "topic": "algebra"}],
     Problem("x-1", "P", "1", "algebra"), "our own {id, problem, answer, topic}"),
]


@pytest.mark.parametrize("records, expected, note", FORMAT_CASES)
def test_jsonl_formats(tmp_path, records, expected, note):
    problems = load_problem_file(write_jsonl(tmp_path / "bench.jsonl", records))
    assert problems[0] == expected, note


@pytest.mark.parametrize("wrap", [lambda rows: rows, lambda rows: {"data": rows}])
def test_json_list_and_data_wrapper(tmp_path, wrap):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(wrap([{"problem": "P", "answer": "1"}])), encoding="utf-8")
    assert load_problem_file(path) == [Problem("0", "P", "1")]


def test_benchmark_name_from_spurious_layout(tmp_path):
    path = tmp_path / "MATH-500" / "test.jsonl"
    path.parent.mkdir()
    write_jsonl(path, [{"prompt": "P", "answer": "1"}])
    assert load_benchmark(str(path))[0] == "MATH-500"


def test_registered_name_uses_local_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEREASON_DATA", str(tmp_path))
    write_jsonl(tmp_path / "AIME-2024.jsonl", [{"problem": "AIME Q", "answer": "204", "id": 60}])
    assert find_local_copy("AIME-2024") == tmp_path / "AIME-2024.jsonl"
    assert load_benchmark("AIME-2024") == ("AIME-2024", [Problem("60", "AIME Q", "204")])


def test_registry_names():
    assert set(benchmark_names()) == {SHIPPED, *HUB_SOURCES}
    assert set(HUB_SOURCES) == {"MATH-500", "AIME-2024", "AIME-2025", "AMC"}


# ------------------------------------------------------------------------ errors

def test_hub_benchmark_without_local_copy_says_what_to_do(tmp_path, monkeypatch):
    """No local copy: either datasets is missing or the hub is unreachable; both name the fix."""
    monkeypatch.setenv("CODEREASON_DATA", str(tmp_path))
    monkeypatch.setenv("CODEREASON_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(InputFormatError, match=r"MATH-500.*--benchmark path/to/MATH-500.jsonl"):
        load_benchmark("MATH-500")


def test_unknown_name_lists_registered_names():
    with pytest.raises(ConfigError, match=r"--benchmark must be one of 'codereason-100'.*got 'MATH500'"):
        load_benchmark("MATH500")


# (file text, error type, message fragment, note)
ERROR_CASES = [
    ('{"answer": "1", "solution": "s"}\n', SchemaError, "bench.jsonl:1: missing field 'problem'", "no question"),
    ('{"problem": "P", "answer": "1"}\n{oops\n', SchemaError, "bench.jsonl:2: not valid JSON", "bad line"),
    ("\n\n", InputFormatError, "holds no problems", "empty file"),
    ('{"id": 1, "problem": "P"}\n{"id": 1, "problem": "Q"}\n', SchemaError, "duplicate problem id '1'", "ids clash"),
    ('["not an object"]', SchemaError, "expected a JSON object", "a JSON list of strings"),
]


@pytest.mark.parametrize("text, error, fragment, note", ERROR_CASES)
def test_bad_files(tmp_path, text, error, fragment, note):
    path = tmp_path / "bench.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error, match=fragment.replace("(", r"\(")):
        load_problem_file(path)
