"""A real TRL GRPOTrainer run with CodeReasoningMetrics: the README's set-up, on CPU, two steps.

The model is the tiny random Qwen2 built in the session (tests/vllm_fixtures.py).
Its text is noise, so generation is steered with ``sequence_bias`` (a real
transformers logits processor): once a completion starts one of four snippets
(code or prose, right or wrong, mentioning Python or not) it finishes it and
stops. The completions are still sampled, so each step mixes the four kinds
with noise, and the test checks the logged metrics against what codereason
computes itself (``codereason.metrics.summarize``, what ``codereason track``
reports) on the completions the trainer logged (``log_completions``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest

from codereason import classify
from codereason.grade import grade
from codereason.metrics import summarize
from tests.vllm_fixtures import tiny_model_dir  # noqa: F401  (fixture)

pytestmark = [pytest.mark.trl, pytest.mark.slow]

README = Path(__file__).resolve().parent.parent / "README.md"
GOLD = "42"
SNIPPETS = (
    "Code:\n```python\nprint(6*7)\n```\n\\boxed{42}",     # code, correct, mentions python
    "So:\n```python\nprint(6*8)\n```\n\\boxed{48}",       # code, wrong
    "Six sevens are \\boxed{42}.",                         # language, correct
    "I could use Python, but it is \\boxed{41}.",          # language, wrong, mentions python
)
# The logged key and the column of codereason.metrics.summarize it must equal.
SAME_AS_TRACK = {
    "code_reasoning/frequency": "code_freq",
    "code_reasoning/python_mention": "code_freq_paper",
    "code_reasoning/accuracy": "accuracy",
    "code_reasoning/acc_given_code": "acc_given_code",
    "code_reasoning/acc_given_lang": "acc_given_lang",
}
PER_STEP = 16  # completions per optimisation step: 4 prompts x 4 generations


def readme_trainer_block() -> str:
    """The README's ```python block that sets up the GRPOTrainer."""
    blocks = re.findall(r"```python\n(.*?)```\n", README.read_text(), re.DOTALL)
    found = [b for b in blocks if "def train_grpo" in b]
    assert len(found) == 1, "the README has one GRPO set-up block (def train_grpo)"
    return found[0]


def snippet_bias(tokenizer) -> list:
    """``sequence_bias`` that makes a started snippet run to its end and then to EOS."""
    bias = []
    for snippet in SNIPPETS:
        ids = tokenizer.encode(snippet, add_special_tokens=False) + [tokenizer.eos_token_id]
        bias.append([[ids[0]], 4.0])  # start a snippet now and then
        bias += [[ids[:k], 100.0] for k in range(2, len(ids) + 1)]  # and finish it
    return bias


@pytest.fixture(scope="module")
def grpo_run(tiny_model_dir, tmp_path_factory):  # noqa: F811
    """Run the README's train_grpo for two steps; its log history and output folder."""
    pytest.importorskip("trl")
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer

    namespace: dict = {}
    exec(compile(readme_trainer_block(), str(README), "exec"), namespace)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    prompts = [f"Problem {i}: what is 6 times 7?" for i in range(8)]
    dataset = Dataset.from_dict({"prompt": prompts, "answer": [GOLD] * 8})
    out = tmp_path_factory.mktemp("grpo")
    history = namespace["train_grpo"](
        model, tokenizer, dataset, str(out),
        max_steps=2, per_device_train_batch_size=PER_STEP, num_generations=4, max_completion_length=40,
        use_cpu=True, bf16=False, seed=0, report_to="none", save_strategy="no", disable_tqdm=True,
        generation_kwargs={"sequence_bias": snippet_bias(tokenizer)},
    )
    return history, out


def logged_completions(out: Path, step: int) -> pd.DataFrame:
    """The completions the trainer logged at ``step`` (``log_completions`` writes one parquet per log)."""
    return pd.read_parquet(out / "completions" / f"completions_{step:05d}.parquet")


def own_summary(completions: list[str]) -> dict:
    """codereason's own metrics of the completions: classify + grade, then summarize (as track does)."""
    labels = [classify(text) for text in completions]
    grades = [grade(gold=GOLD, response=text) for text in completions]
    frame = pd.DataFrame({
        "problem_id": [str(i) for i in range(len(completions))], "sample_idx": 0,
        "correct": [g.correct for g in grades], "pred": [g.pred for g in grades],
        "has_boxed": [g.has_boxed for g in grades], "code": [label.code_reasoning for label in labels],
        "code_ast": [bool(label.code_spans) for label in labels], "code_paper": [label.paper_code for label in labels],
    })
    return summarize(frame, n_boot=0)


def step_rows(history: list[dict]) -> list[dict]:
    return [row for row in history if "code_reasoning/frequency" in row]


def test_every_step_logs_the_metrics(grpo_run) -> None:
    history, _ = grpo_run
    rows = step_rows(history)
    assert [row["step"] for row in rows] == [1, 2]
    for row in rows:  # shown with pytest -s (the README quotes them)
        print({k: round(v, 4) for k, v in row.items() if k.startswith("code_reasoning/")}, "step", row["step"])
        assert "loss" in row and "rewards/ground_truth/mean" in row
        assert row["rewards/code_reasoning_metrics/mean"] is None  # it gives no reward


def test_logged_metrics_equal_codereason_on_the_logged_completions(grpo_run) -> None:
    history, out = grpo_run
    for row in step_rows(history):
        completions = logged_completions(out, row["step"])["completion"].tolist()
        assert len(completions) == PER_STEP
        summary = own_summary(completions)
        for key, column in SAME_AS_TRACK.items():
            if math.isnan(summary[column]):
                assert key not in row, f"step {row['step']}: {key} is undefined but was logged"
            else:
                assert row[key] == summary[column], f"step {row['step']}: {key}"
        assert row["rewards/ground_truth/mean"] == pytest.approx(summary["accuracy"])


def test_the_run_is_not_trivial(grpo_run) -> None:
    """The snippets give each step code and prose, right and wrong: every metric is exercised."""
    history, _ = grpo_run
    for row in step_rows(history):
        assert 0 < row["code_reasoning/frequency"] < 1
        assert 0 < row["code_reasoning/python_mention"] < 1
        assert "code_reasoning/acc_given_code" in row and "code_reasoning/acc_given_lang" in row


def test_completions_table_carries_the_labels(grpo_run) -> None:
    history, out = grpo_run
    table = logged_completions(out, step_rows(history)[-1]["step"])
    texts = table["completion"].tolist()
    assert table["codereason/code"].tolist() == [classify(t).code_reasoning for t in texts]
    assert table["codereason/correct"].tolist() == [grade(gold=GOLD, response=t).correct is True for t in texts]
