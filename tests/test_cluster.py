"""codereason.cluster on a local Ray cluster (2 CPUs): the same labels, grades and records as without Ray."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codereason import classify_many, read_rows
from codereason.grade import grade_many
from codereason.io import iter_input_files
from codereason.records import GRADE_FIELDS, LABEL_FIELDS
from tests.vllm_fixtures import build_tiny_model, tiny_model_dir  # noqa: F401 (a fixture)

ray = pytest.importorskip("ray")
cluster = pytest.importorskip("codereason.cluster")

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray cluster with 2 CPUs; yields its address for other processes to join."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def test_import_ray_inside_codereason_is_ray_itself():
    assert cluster._ray() is ray and hasattr(ray, "remote") and hasattr(ray, "data")


@pytest.mark.realdata
def test_tag_dataset_gives_classify_many_labels_on_the_8220_real_responses(local_ray, spurious_results):
    texts = [row["response"] for path in iter_input_files(spurious_results) for row in read_rows(path)]
    assert len(texts) == 8220
    ds = ray.data.from_items([{"i": i, "response": text} for i, text in enumerate(texts)])
    rows = sorted(cluster.tag_dataset(ds).take_all(), key=lambda row: row["i"])
    assert len(rows) == len(texts)
    expected = classify_many(texts, n_jobs=2)
    mismatches = [row["i"] for row, label in zip(rows, expected)
                  if {name: row[name] for name in LABEL_FIELDS} != label.to_dict()]
    assert mismatches == []
    assert sum(row["code_reasoning"] for row in rows) == sum(label.code_reasoning for label in expected)


# (gold, response, note): each grade status, from responses we wrote
GRADE_CASES = [
    ("4", "So the answer is \\boxed{4}.", "correct"),
    ("4", "So the answer is \\boxed{5}.", "incorrect"),
    ("\\frac{1}{2}", "Half: \\boxed{0.5}", "equivalent forms"),
    ("7", "I do not know.", "no answer"),
    (None, "\\boxed{3}", "no gold: parse_error"),
]


def test_grade_dataset_gives_grade_many_grades(local_ray):
    items = [{"i": i, "gold": gold, "response": response} for i, (gold, response, _) in enumerate(GRADE_CASES)]
    rows = sorted(cluster.grade_dataset(ray.data.from_items(items)).take_all(), key=lambda row: row["i"])
    expected = grade_many([(gold, response) for gold, response, _ in GRADE_CASES])
    assert [{name: row[name] for name in GRADE_FIELDS} for row in rows] == [g.to_dict() for g in expected]
    assert [row["grade_status"] for row in rows] == ["ok", "ok", "ok", "no_answer", "parse_error"]


def test_a_missing_text_field_is_one_codereason_error(local_ray, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"output": "x"}) + "\n")
    with pytest.raises(Exception) as caught:
        cluster.tag_files([str(path)])
    assert type(caught.value).__module__ == "codereason.errors"
    assert "no field 'response' in the dataset (have: output)" in str(caught.value)


def test_a_text_field_of_numbers_is_refused_not_stringified(local_ray, tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({"response": i}) + "\n" for i in range(3)))
    with pytest.raises(Exception) as caught:
        cluster.tag_files([str(path)])
    assert type(caught.value).__module__ == "codereason.errors"
    assert "field 'response' holds int64, not text" in str(caught.value)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "codereason", *args], capture_output=True, text=True, cwd=cwd, env=env)


def _rows(folder: Path) -> list[dict]:
    return [json.loads(line) for part in sorted(folder.glob("*.json*")) for line in part.read_text().splitlines()]


def test_tag_and_grade_cli_on_ray_write_the_same_columns(local_ray, tmp_path):
    responses = ["```python\nprint(2 ** 10)\n```\nSo \\boxed{1024}.", "Two plus two is \\boxed{4}.", "No idea."]
    source = tmp_path / "rollouts.jsonl"
    source.write_text("".join(json.dumps({"problem_id": str(i), "sample_idx": 0, "response": r, "gold": "4"}) + "\n"
                              for i, r in enumerate(responses)))
    tagged = _cli("tag", str(source), "--ray", local_ray, "-o", str(tmp_path / "tagged"), cwd=tmp_path)
    assert tagged.returncode == 0, tagged.stderr
    assert "tagged 3 responses on Ray: code reasoning (ast) 1 (0.333), paper rule 1 (0.333)" in tagged.stdout
    rows = sorted(_rows(tmp_path / "tagged"), key=lambda row: row["problem_id"])
    assert [{n: row[n] for n in LABEL_FIELDS} for row in rows] == [
        {**label.to_dict()} for label in classify_many(responses)]
    graded = _cli("grade", str(source), "--ray", local_ray, "-o", str(tmp_path / "graded"), cwd=tmp_path)
    assert graded.returncode == 0, graded.stderr
    assert "graded 3 responses on Ray: accuracy 0.333; no_answer 1, ok 2 (the local grade cache" in graded.stdout
    assert sorted(row["correct"] is True for row in _rows(tmp_path / "graded")) == [False, False, True]


# ------------------------------------------------------------------ generate

@pytest.fixture(scope="module")
def two_checkpoint_run(tiny_model_dir, tmp_path_factory):  # noqa: F811
    """A run folder with two tiny checkpoints (different random weights)."""
    run = tmp_path_factory.mktemp("run")
    (run / "global_step_10").symlink_to(tiny_model_dir, target_is_directory=True)
    build_tiny_model(run / "global_step_20", seed=1)
    return run


@pytest.mark.vllm
def test_a_ray_sweep_writes_the_same_records_as_a_local_one(local_ray, two_checkpoint_run, tmp_path):
    from codereason.generate import EngineConfig, GenerateJob, SamplingConfig
    from codereason.sweep import sweep

    job = GenerateJob(model=None, out_dir=str(tmp_path / "local"), preset="plain", limit=3,
                      sampling=SamplingConfig(n=2, temperature=0.0, max_tokens=12),
                      engine=EngineConfig(dtype="float32", max_model_len=512, enforce_eager=True))
    local = sweep(job, two_checkpoint_run)
    messages: list[str] = []
    on_ray, failed = cluster.generate_checkpoints(dataclasses.replace(job, out_dir=str(tmp_path / "ray")),
                                                  str(two_checkpoint_run), report=messages.append)
    assert failed == {}
    assert [(s.checkpoint, s.generated) for s in on_ray] == [(s.checkpoint, s.generated) for s in local] == [
        ("global_step_10", 6), ("global_step_20", 6)]
    for name in ("global_step_10", "global_step_20"):
        local_rows = (tmp_path / "local" / f"{name}.jsonl").read_text().splitlines()
        ray_rows = (tmp_path / "ray" / f"{name}.jsonl").read_text().splitlines()
        assert sorted(map(json.loads, ray_rows), key=str) == sorted(map(json.loads, local_rows), key=str)
    assert messages[0] == "queued 2 checkpoints on Ray, each with {'num_cpus': 1}"
    assert sorted(m.split(":")[0] for m in messages[1:]) == ["global_step_10", "global_step_20"]
    again, _ = cluster.generate_checkpoints(dataclasses.replace(job, out_dir=str(tmp_path / "ray")),
                                            str(two_checkpoint_run), report=messages.append)
    assert [(s.generated, s.existing) for s in again] == [(0, 6), (0, 6)]


@pytest.mark.vllm
def test_a_failing_checkpoint_is_reported_and_the_others_finish(local_ray, two_checkpoint_run, tmp_path):
    from codereason.generate import EngineConfig, GenerateJob, SamplingConfig

    run = tmp_path / "run"
    run.mkdir()
    (run / "global_step_10").symlink_to(two_checkpoint_run / "global_step_10", target_is_directory=True)
    broken = run / "global_step_30"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    job = GenerateJob(model=None, out_dir=str(tmp_path / "out"), preset="plain", limit=1,
                      sampling=SamplingConfig(n=1, max_tokens=4),
                      engine=EngineConfig(dtype="float32", max_model_len=512, enforce_eager=True))
    messages: list[str] = []
    done, failed = cluster.generate_checkpoints(job, str(run), report=messages.append)
    assert [s.checkpoint for s in done] == ["global_step_10"]
    assert list(failed) == ["global_step_30"] and "GenerationError" in failed["global_step_30"]
    assert any(m.startswith("global_step_30: FAILED: GenerationError") for m in messages), messages


def test_the_readme_ray_example_runs(tmp_path):
    """The README's ```python ray block (kept out of test_readme.py's fast run: it starts its own Ray)."""
    import re

    blocks = re.findall(r"```python ray\n(.*?)```\n", (REPO / "README.md").read_text(), re.DOTALL)
    assert len(blocks) == 1
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", blocks[0]], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
