"""The formats users have (issue 12): lm-eval sample logs, SkyThought results, chat messages, lists of
generations, harness folder trees, field paths. Real files from CODEREASON_REALDATA, files we made
with the real tools (tests/data/lmeval, see make_lmeval_samples.sh), and small cases we wrote."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from codereason import classify_many, read_rows
from codereason.errors import ConfigError, InputFormatError, SchemaError
from codereason.io import detect_format, iter_input_files
from codereason.io.paths import parse_path

HERE = Path(__file__).parent
LMEVAL_DIR = "lmeval-samples-truthfulqa-neo125m"
LMEVAL_SAMPLES = f"{LMEVAL_DIR}/samples_truthfulqa_gen_2025-05-31T13-51-32.759677.jsonl"
SKYTHOUGHT = "skythought-results-json/Qwen2.5-32B-Instruct_MATH500_test_None_0_-1_still2_sys_zero.json"
HARNESS_TREE = "qwen25-math-7b-harness"
HARNESS_COUNTS = {"aime24": 30, "amc23": 40, "math500": 500, "minerva_math": 272}


def write_jsonl(path: Path, records: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def keys(rows) -> set:
    return {(r["checkpoint"], r["problem_id"], r["sample_idx"]) for r in rows}


# ------------------------------------------------------------------------- lm-eval

@pytest.mark.realdata
def test_real_lmeval_samples(realdata) -> None:
    path = realdata / LMEVAL_SAMPLES
    assert detect_format(path) == "lm-eval"
    rows = list(read_rows(path))
    assert len(rows) == len(keys(rows)) == 817
    first = rows[0]
    assert (first["problem_id"], first["sample_idx"], first["benchmark"], first["model"]) == \
        ("0", 0, "truthfulqa_gen", "EleutherAI/gpt-neo-125M")  # task from the name, model from the results JSON
    assert first["gold"] == json.loads(path.open().readline())["target"]
    assert set(first["filters"]) == {"none"} and "bleu_max" in first["filters"]["none"]
    assert "doc" in first and "doc_hash" in first  # every other field kept


@pytest.mark.realdata
def test_a_directory_of_lmeval_output_skips_the_results_json_with_a_note(realdata) -> None:
    notes = []
    files = iter_input_files(realdata / LMEVAL_DIR, note=notes.append)
    assert [f.name for f in files] == [Path(LMEVAL_SAMPLES).name]
    assert notes == [f"note: {realdata / LMEVAL_DIR}: skipped 1 lm-eval results JSON"]
    results = next((realdata / LMEVAL_DIR).glob("truthfulqa_gen_neo125_*.json"))
    with pytest.raises(InputFormatError, match="an lm-eval results JSON .*samples_<task>_<date>.jsonl beside it"):
        list(read_rows(results))


def _made_lmeval_samples() -> Path:
    found = sorted((HERE / "data" / "lmeval").glob("samples_arith_gen_*.jsonl"))
    if not found:
        pytest.skip("tests/data/lmeval holds no samples file yet (make_lmeval_samples.sh makes it)")
    return found[0]


def test_lmeval_two_filters_collapse_into_one_record_per_response() -> None:
    """Our own lm-eval run (generate_until, strict-match + flexible-extract, 2 samples a problem)."""
    path = _made_lmeval_samples()
    logged = [json.loads(line) for line in path.open()]
    assert Counter(r["filter"] for r in logged) == {"strict-match": 6, "flexible-extract": 6}
    rows = list(read_rows(path))
    assert len(rows) == len(keys(rows)) == 6 * 2  # six problems x two samples, not x two filters
    assert [(r["problem_id"], r["sample_idx"]) for r in rows[:2]] == [("0", 0), ("0", 1)]
    assert all(set(r["filters"]) == {"strict-match", "flexible-extract"} for r in rows)
    by_doc = {r["doc_id"]: r for r in logged}
    assert [r["response"] for r in rows[:2]] == by_doc[0]["resps"][0]
    assert rows[0]["gold"] == "12" and rows[0]["benchmark"] == "arith_gen"


def test_loglikelihood_samples_are_refused(tmp_path) -> None:
    record = {"doc_id": 0, "doc": {"q": "?"}, "target": 1, "arguments": {"gen_args_0": {"arg_0": "Q", "arg_1": " A"}},
              "resps": [[["-1.5", "False"]], [["-0.2", "True"]]], "filtered_resps": [["-1.5", "False"]],
              "filter": "none", "metrics": ["acc"], "acc": 1.0}
    path = write_jsonl(tmp_path / "samples_mc_2025-01-01T00-00-00.000000.jsonl", [record])
    assert detect_format(path) == "lm-eval"
    with pytest.raises((InputFormatError, SchemaError), match="one request's samples|loglikelihood"):
        list(read_rows(path))
    record["resps"] = [[["-1.5", "False"]]]
    write_jsonl(path, [record])
    with pytest.raises(InputFormatError, match="loglikelihood samples .* no generated text"):
        list(read_rows(path))


# ---------------------------------------------------------------------- SkyThought

@pytest.mark.realdata
def test_real_skythought_results(realdata) -> None:
    path = realdata / SKYTHOUGHT
    assert detect_format(path) == "skythought"
    rows = list(read_rows(path))
    assert len(rows) == len(keys(rows)) == 500
    assert sum(r["stored_score"] for r in rows) == 370  # SOURCE.md: correctness true for 370
    first = rows[0]
    assert (first["problem_id"], first["benchmark"], first["model"], first["temperature"]) == \
        ("test/precalculus/807.json", "MATH500", "Qwen2.5-32B-Instruct", "0.0")
    assert first["gold"] and "solution" in first and "token_usages" in first


# ------------------------------------------------------------------- harness trees

@pytest.mark.realdata
def test_real_harness_tree(realdata) -> None:
    """Benchmark from the folder, model from the folder above; the *_metrics.json sidecars skipped."""
    notes = []
    files = iter_input_files(realdata / HARNESS_TREE, note=notes.append)
    assert notes == [f"note: {realdata / HARNESS_TREE}: skipped 4 harness *_metrics.json summaries"]
    rows = [r for f in files for r in read_rows(f)]
    assert Counter(r["benchmark"] for r in rows) == HARNESS_COUNTS
    assert {(r["model"], r["checkpoint"]) for r in rows} == {("Qwen2.5-Math-7B", "Qwen2.5-Math-7B")}
    assert len({(r["benchmark"], r["problem_id"], r["sample_idx"]) for r in rows}) == 842
    math500 = next(r for r in rows if r["benchmark"] == "math500")
    assert {"level", "solution", "answer", "source_pred", "report", "gt_cot"} <= set(math500)  # every field kept


@pytest.mark.realdata
def test_track_keeps_the_benchmarks_of_a_harness_tree_apart(realdata) -> None:
    from codereason.track import TrackOptions, iter_tracked_rows

    rows = list(iter_tracked_rows([realdata / HARNESS_TREE], TrackOptions(steps=[0])))
    per_benchmark = Counter(r["benchmark"] for r in rows)
    assert per_benchmark == HARNESS_COUNTS  # not one pooled row of 842 with colliding ids
    assert len({(r["benchmark"], r["problem_id"], r["sample_idx"]) for r in rows}) == 842


def test_checkpoint_folders_give_the_step(tmp_path) -> None:
    name = "test_qwen25-math-cot_-1_seed0_t0.0_s0_e-1.jsonl"
    for step in (100, 200):
        for bench in ("math500", "aime24_eval/aime24"):
            write_jsonl(tmp_path / "grpo-run" / f"checkpoint-{step}" / bench / name,
                        [{"idx": 0, "gt": "1", "code": ["\\boxed{1}"], "pred": ["1"], "score": [True]}])
        (tmp_path / "grpo-run" / f"checkpoint-{step}" / "math500" / name.replace(".jsonl", "_metrics.json")).write_text(
            '{"acc": 100.0}')
    rows = [r for f in iter_input_files(tmp_path, note=lambda line: None) for r in read_rows(f)]
    assert sorted((r["step"], r["benchmark"], r["checkpoint"], r["model"]) for r in rows) == [
        (100, "aime24", "checkpoint-100", "grpo-run"), (100, "math500", "checkpoint-100", "grpo-run"),
        (200, "aime24", "checkpoint-200", "grpo-run"), (200, "math500", "checkpoint-200", "grpo-run")]


# ------------------------------------------------------- chat messages, generations

@pytest.fixture(scope="module")
def math500_responses(realdata):
    path = next((realdata / HARNESS_TREE / "Qwen2.5-Math-7B" / "math500").glob("*.jsonl"))
    return [(r["problem_id"], r["prompt"], r["response"], r["gold"]) for r in read_rows(path)]


@pytest.mark.realdata
def test_chat_messages_written_from_real_responses(tmp_path, math500_responses) -> None:
    records = [{"id": pid, "messages": [{"role": "system", "content": "Reason step by step."},
                                        {"role": "user", "content": question},
                                        {"role": "assistant", "content": response}], "answer": gold}
               for pid, question, response, gold in math500_responses]
    path = write_jsonl(tmp_path / "chat.jsonl", records)
    assert detect_format(path) == "chat"
    rows = list(read_rows(path))
    assert [(r["problem_id"], r["prompt"], r["response"], r["gold"]) for r in rows] == math500_responses
    assert rows[0]["messages_before"][0]["role"] == "system"


@pytest.mark.realdata
@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_generations_rows_written_from_real_responses(tmp_path, math500_responses, suffix) -> None:
    import pandas as pd

    groups = [math500_responses[i:i + 4] for i in range(0, 100, 4)]  # four "generations" a row
    frame = pd.DataFrame({
        "uuid": [g[0][0] for g in groups], "problem": [g[0][1] for g in groups], "answer": [g[0][3] for g in groups],
        "generations": [[r[2] for r in g] for g in groups],
        "correctness_math_verify": [[i % 2 == 0 for i in range(len(g))] for g in groups],
        "source": "made-from-real",
    })
    path = tmp_path / f"gen{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_json(path, orient="records", lines=True)
    assert detect_format(path) == "generations"
    rows = list(read_rows(path))
    assert [r["response"] for r in rows] == [r[2] for r in math500_responses[:100]]
    assert [r["sample_idx"] for r in rows[:5]] == [0, 1, 2, 3, 0]
    assert [r["stored_score"] for r in rows[:4]] == [1.0, 0.0, 1.0, 0.0] and rows[0]["source"] == "made-from-real"


def test_chat_without_an_assistant_turn_or_with_list_content_is_a_bad_record(tmp_path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [{"messages": [{"role": "user", "content": "hi"}]},
                                              {"messages": [{"role": "assistant", "content": [{"type": "text"}]}]}])
    bad = []
    assert list(read_rows(path, on_bad=lambda *entry: bad.append(entry[3].message))) == []
    assert bad == ["field 'messages' holds no assistant turn (the response)",
                   "field 'messages[0].content' must be a string, got list"]


# ------------------------------------------------------------------- field paths

@pytest.mark.parametrize("text,steps", [
    ("resps[0][0]", ("resps", 0, 0)), ("messages[-1].content", ("messages", -1, "content")),
    ("doc.answer", ("doc", "answer")), ('x["a.b"][2]', ("x", "a.b", 2)),
])
def test_parse_path(text, steps) -> None:
    assert parse_path(text) == steps


@pytest.mark.parametrize("text", ["", "[0]", "a..b", "a[x]", "a[0", ".a"])
def test_a_bad_path_is_a_config_error(text) -> None:
    with pytest.raises(ConfigError, match="field path|must start with a field name"):
        parse_path(text or "")


def test_fields_by_path_in_a_generic_file(tmp_path) -> None:
    path = write_jsonl(tmp_path / "g.jsonl", [
        {"doc": {"id": 7, "answer": "2"}, "resps": [["\\boxed{2}", "\\boxed{3}"]], "meta": {"step": 40, "bench": "b"}},
        {"doc": {"id": 8, "answer": "5"}, "resps": [["five"]], "meta": {"step": 40, "bench": "b"}},
    ])
    rows = list(read_rows(path, text_field="resps[0]", id_field="doc.id", gold_field="doc.answer",
                          step_field="meta.step", benchmark_field="meta.bench"))
    assert [(r["problem_id"], r["sample_idx"], r["response"], r["gold"], r["step"], r["benchmark"]) for r in rows] == [
        ("7", 0, "\\boxed{2}", "2", 40, "b"), ("7", 1, "\\boxed{3}", "2", 40, "b"), ("8", 0, "five", "5", 40, "b")]
    one = list(read_rows(path, text_field="resps[0][-1]", gold_field="doc.answer"))
    assert [r["response"] for r in one] == ["\\boxed{3}", "five"]


@pytest.mark.parametrize("field,error", [
    ("resps", r"g.jsonl:1: field 'resps\[0\]' must be a string, got list \(name a string inside it with a path, "
              r"e.g. resps\[0\]\[0\]\)"),
    ("messages", r"g.jsonl:1: field 'messages\[0\]' must be a string, got dict .*messages\[0\].content"),
    ("n", r"g.jsonl:1: field 'n' must be a string or a list of strings, got integer 3"),
    ("resps[0][5]", r"g.jsonl:1: missing field 'resps\[0\]\[5\]'"),
    ("n[0]", r"g.jsonl:1: field 'n' must be a list to take \[0\] of it"),
])
def test_a_value_that_is_not_a_string_is_refused_never_stringified(tmp_path, field, error) -> None:
    path = write_jsonl(tmp_path / "g.jsonl", [{"resps": [["a"]], "messages": [{"role": "user", "content": "q"}],
                                               "n": 3}])
    with pytest.raises(SchemaError, match=error):
        list(read_rows(path, text_field=field))


def test_field_options_other_than_text_need_a_generic_file(tmp_path) -> None:
    path = write_jsonl(tmp_path / "t.jsonl", [{"response": "a", "ground_truth": "1"}])
    with pytest.raises(ConfigError, match="--gold-field apply to generic files"):
        list(read_rows(path, gold_field="x"))


# ------------------------------------------- ast and paper agree on every Qwen2.5-Math format

def _qwen_math_inputs(realdata: Path, tmp: Path):
    """(source, format label, rows) for every real Qwen2.5-Math file, in each format it can be read as."""
    sources = [(HARNESS_TREE, {}), ("qwen25-math-instruct-maj8-math100", {}), ("spurious-1p5b-gt-steps", {}),
               ("cs336-grpo-qwen1p5b-rollouts", {}), (HARNESS_TREE, {"text_field": "code"}),
               (HARNESS_TREE, {"text_field": "code[0]"})]
    for folder, options in sources:
        for path in iter_input_files(realdata / folder, note=lambda line: None):
            if path.suffix in (".jsonl", ".json"):
                yield folder, options.get("text_field", "detected"), path, list(read_rows(path, **options))


@pytest.mark.realdata
@pytest.mark.slow
def test_ast_and_paper_code_frequencies_agree_on_every_real_qwen_math_file(realdata, tmp_path) -> None:
    """A reader that stringified a list ("[['...']]") would make ``ast`` find no code while ``paper`` finds
    "python": the two modes would disagree by the whole code frequency (0.682 vs 0.000 on MATH-500)."""
    pooled: dict = {}
    for folder, how, path, rows in _qwen_math_inputs(realdata, tmp_path):
        texts = [r["response"] for r in rows]
        ast = sum(label.code_reasoning for label in classify_many(texts, mode="ast"))
        paper = sum("python" in text.lower() for text in texts)
        n = len(texts)
        assert n and all(isinstance(t, str) and not t.startswith("['") for t in texts), path
        if n >= 200:  # one disagreement moves a smaller file by over 0.005
            assert abs(ast - paper) / n <= 0.015, (path, how, ast / n, paper / n)
        total = pooled.setdefault((folder, how), [0, 0, 0])
        total[0] += ast
        total[1] += paper
        total[2] += n
    for (folder, how), (ast, paper, n) in pooled.items():
        assert abs(ast - paper) / n <= 0.01, (folder, how, ast / n, paper / n, n)
    assert pooled[(HARNESS_TREE, "code")][1] == pooled[(HARNESS_TREE, "detected")][1]


# ------------------------------------------------------------------------ lighteval

def _details_table(texts: list[list[str]], logprobs: list[float] | None = None):
    """A details table in lighteval 0.13's layout (DetailsLogger.Detail: doc, model_response, metric)."""
    import pyarrow as pa

    rows = [{"doc": {"query": f"Question {i}?", "choices": [str(i)], "gold_index": 0, "id": str(i),
                     "task_name": "arith|0", "specific": None},
             "model_response": {"input": f"Question {i}?", "text": t, "text_post_processed": None,
                                "logprobs": logprobs or []},
             "metric": {"exact_match": float(i % 2)}} for i, t in enumerate(texts)]
    return pa.Table.from_pylist(rows)


def test_lighteval_details_layout(tmp_path) -> None:
    import pyarrow.parquet as pq

    folder = tmp_path / "details" / "SmolLM2-135M" / "2026-01-01T00-00-00.000000"
    folder.mkdir(parents=True)
    path = folder / "details_arith|0_2026-01-01T00-00-00.000000.parquet"
    pq.write_table(_details_table([["\\boxed{0}"], ["one", "uno"]]), path)
    assert detect_format(path) == "lighteval"
    rows = list(read_rows(path))
    assert [(r["problem_id"], r["sample_idx"], r["response"], r["gold"], r["benchmark"], r["model"]) for r in rows] == [
        ("0", 0, "\\boxed{0}", "0", "arith|0", "SmolLM2-135M"), ("1", 0, "one", "1", "arith|0", "SmolLM2-135M"),
        ("1", 1, "uno", "1", "arith|0", "SmolLM2-135M")]
    assert rows[1]["metric"] == {"exact_match": 1.0} and "text" not in rows[1]["model_response"]
    pq.write_table(_details_table([[]], logprobs=[-1.5]), path)
    with pytest.raises(InputFormatError, match="loglikelihood details"):
        list(read_rows(path))


def test_a_real_lighteval_details_file() -> None:
    """Our own lighteval run (tests/data/lighteval/make_lighteval_details.sh)."""
    found = sorted((HERE / "data" / "lighteval").glob("details_*.parquet"))
    if not found:
        pytest.skip("tests/data/lighteval holds no details file (make_lighteval_details.sh makes it)")
    rows = list(read_rows(found[0]))
    assert detect_format(found[0]) == "lighteval"
    assert len(rows) == len(keys(rows)) == 6
    assert {r["gold"] for r in rows} == {"12", "63", "180", "55", "105"}
    assert all(isinstance(r["response"], str) for r in rows)


# --------------------------------------------------------------------- no gold

@pytest.mark.slow
def test_grade_without_gold_says_so_instead_of_reporting_zero(tmp_path) -> None:
    from typer.testing import CliRunner

    from codereason.cli import app

    path = write_jsonl(tmp_path / "g.jsonl", [{"completion": "\\boxed{2}", "doc": {"answer": "2"}},
                                              {"completion": "\\boxed{4}", "doc": {"answer": "5"}}])
    runner = CliRunner()
    result = runner.invoke(app, ["grade", str(path), "--text-field", "completion", "--no-cache"])
    assert result.exit_code == 0
    assert "no gold answer in any of the 2 records: accuracy is not measured (it is not 0); name the gold " \
           "field with --gold-field PATH" in result.output and "accuracy 0.000" not in result.output
    result = runner.invoke(app, ["grade", str(path), "--text-field", "completion", "--gold-field", "doc.answer",
                                 "--no-cache"])
    assert "graded 2 responses: accuracy 0.500" in result.output
