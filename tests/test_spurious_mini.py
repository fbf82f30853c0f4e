"""The Spurious Rewards miniature (experiments/spurious_mini): its data, its config, and a real short run.

The run test trains the experiment's own config for two optimisation steps with a real TRL
GRPOTrainer and a real peft LoRA adapter on the tiny random Qwen2 of the test session
(tests/vllm_fixtures.py), on CPU, and checks what a run ships: adapter folders, a card,
and ``code_reasoning/frequency`` in every step of the log.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from codereason.errors import ConfigError
from experiments.spurious_mini.config import DEFAULT_CONFIG, load_config
from experiments.spurious_mini.problems import benchmark_texts, generate_problems, normalized
from tests.vllm_fixtures import tiny_model_dir  # noqa: F401  (fixture)


def test_training_set_is_seeded_unique_and_distinct_from_codereason_100() -> None:
    config = load_config()
    shipped = benchmark_texts("codereason-100")
    problems = generate_problems(config.data["size"], config.data["seed"], shipped)
    assert len(problems) == config.data["size"] == 1000
    texts = {normalized(p["problem"]) for p in problems}
    assert len(texts) == 1000 and not texts & shipped
    assert problems == generate_problems(1000, config.data["seed"], shipped)  # same seed, same set
    assert problems != generate_problems(1000, config.data["seed"] + 1, shipped)
    assert all(p["answer"].lstrip("-").isdigit() and p["answer"] != p["incorrect_answer"] for p in problems)
    assert len({p["topic"] for p in problems}) == 13  # every template is drawn


@pytest.mark.parametrize("module", ["problems", "config", "train"])
def test_docstring_examples(module: str) -> None:
    """The experiment's doctests (``make test`` collects doctests of codereason/ only)."""
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"experiments.spurious_mini.{module}"))
    assert result.failed == 0 and result.attempted > 0


def test_excluded_texts_are_never_drawn() -> None:
    first = generate_problems(50, seed=3)
    excluded = {normalized(p["problem"]) for p in first[:10]}
    again = generate_problems(50, seed=3, exclude=excluded)
    assert not {normalized(p["problem"]) for p in again} & excluded


def test_config_has_every_paper_reward_and_several_steps_per_generation() -> None:
    config = load_config()
    assert {run.reward for run in config.runs} == {"ground_truth", "random", "incorrect", "format", "python_mention"}
    assert sorted(run.params["seed"] for run in config.runs if run.reward == "random") == [0, 1]
    assert config.grpo["steps_per_generation"] > 1  # the policy moves inside a batch, so clipping can act


def test_config_refuses_unknown_keys(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(DEFAULT_CONFIG.read_text().replace("max_steps =", "max_step ="))
    with pytest.raises(ConfigError, match=r"bad.toml: \[grpo\] unknown key\(s\) \['max_step'\], missing key\(s\) \['max_steps'\]"):
        load_config(bad)
    with pytest.raises(ConfigError, match="unknown key"):
        load_config().with_grpo(max_step=2)


@pytest.mark.trl
@pytest.mark.slow
def test_two_steps_of_the_experiment_write_adapters_and_a_card(tiny_model_dir, tmp_path) -> None:  # noqa: F811
    pytest.importorskip("peft")
    from safetensors import safe_open

    from experiments.spurious_mini.train import train_run

    config = load_config().with_grpo(per_device_train_batch_size=4, num_generations=2, steps_per_generation=2,
                                     max_completion_length=12, max_steps=2, adapter_every=1)
    config = replace(config, data={**config.data, "size": 40})
    runs_dir = tmp_path / "runs"
    card = train_run(config, config.run("random-seed0"), tiny_model_dir, runs_dir, tmp_path / "work")
    run_dir = runs_dir / "random-seed0"
    assert card["steps_done"] == 2 and [row["step"] for row in card["log"]] == [1, 2]
    first, second = card["log"]  # one generation batch serves both steps: its metrics are in step 1's row
    assert 0.0 <= first["code_reasoning/frequency"] <= 1.0 and "rewards/random/mean" in first
    assert "code_reasoning/frequency" not in second and "loss" in second and "clip_ratio/region_mean" in second
    assert sorted(p.name for p in run_dir.iterdir()) == ["card.json", "card.md", "step-0001", "step-0002"]
    for step in ("step-0001", "step-0002"):
        adapter = json.loads((run_dir / step / "adapter_config.json").read_text())
        assert adapter["r"] == 8 and sorted(adapter["target_modules"]) == ["q_proj", "v_proj"]
        with safe_open(str(run_dir / step / "adapter_model.safetensors"), "pt") as weights:
            assert weights.keys() and all(str(weights.get_tensor(k).dtype) == "torch.bfloat16" for k in weights.keys())
    saved = json.loads((run_dir / "card.json").read_text())
    assert saved["adapters"] == ["step-0001", "step-0002"] and saved["reward"] == "RandomReward(gamma=0.5, seed=0)"
    assert saved["data"]["problems"] == 40 and saved["grpo"]["steps_per_generation"] == 2


def test_the_shipped_demo_results_hold_keys_and_labels_of_every_checkpoint_and_no_text(tmp_path):
    """results.py writes one row per response of base.jsonl and each run's folder; the shipped table
    has the base once and four steps of every shipped run, 100 problems each, and no text column."""
    import pandas as pd

    from experiments.spurious_mini.results import COLUMNS, response_table

    def rollout(problem, step, response):
        return {"problem_id": problem, "sample_idx": 0, "prompt": "p", "response": response, "gold": "4",
                "checkpoint": f"step-{step:04d}", "step": step, "benchmark": "codereason-100"}

    (tmp_path / "run-a").mkdir()
    (tmp_path / "base.jsonl").write_text(json.dumps(rollout("p1", 0, "It is \\boxed{4}.")) + "\n")
    (tmp_path / "run-a" / "step-0004.jsonl").write_text(
        "".join(json.dumps(rollout(p, 4, "```python\nx = 3\nprint(x)\n```")) + "\n" for p in ("p1", "p2")))
    table = response_table(tmp_path, n_jobs=1)
    assert list(table.columns) == COLUMNS
    assert table[["run", "step", "problem_id", "code", "correct"]].values.tolist() == [
        ["base", 0, "p1", False, True], ["run-a", 4, "p1", True, False], ["run-a", 4, "p2", True, False]]
    experiment = Path(__file__).resolve().parent.parent / "experiments" / "spurious_mini"
    shipped = pd.read_csv(experiment / "results" / "demo_responses.csv")
    runs = sorted(p.name for p in (experiment / "runs").iterdir() if p.is_dir())
    assert shipped.groupby("run").size().to_dict() == {"base": 100, **{run: 400 for run in runs}}
    assert list(shipped.columns) == COLUMNS
