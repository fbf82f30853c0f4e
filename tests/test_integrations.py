"""The classifier inside training loops: TRL reward functions, the paper's rewards, the
per-step metrics object and verl compute_score, called the way the trainers call them.

The real-trainer run is tests/test_trl.py; here each piece is called with the
arguments TRL 1.16's GRPOTrainer passes (``_calculate_rewards``: prompts,
completions, completion_ids, every dataset column, trainer_state, log_extra,
log_metric) and verl's NaiveRewardManager passes (data_source, solution_str,
ground_truth, extra_info).
"""

from __future__ import annotations

import math

import pytest

from codereason.errors import ConfigError, InputFormatError
from codereason.integrations import (
    CodeReasoningMetrics,
    FormatReward,
    GroundTruth,
    IncorrectReward,
    NoPython,
    PythonMention,
    RandomReward,
    code_frequency_metric,
    code_reward,
    compute_score,
    paper_reward,
    verl_compute_score,
)
from codereason.integrations.verl import SCORE_KEYS

CODE = "Let me check.\n```python\nprint(3 * 4)\n```\nSo $\\boxed{12}$."
CODE_WRONG = "```python\nprint(3 + 4)\n```\nSo $\\boxed{7}$."
PROSE = "Three fours make $\\boxed{12}$."
PROSE_PYTHON_WRONG = "Python would say $\\boxed{13}$."
NO_ANSWER = "I am not sure."
BATCH = [CODE, CODE_WRONG, PROSE, PROSE_PYTHON_WRONG, NO_ANSWER]


class TrainerLogs:
    """What TRL's log_metric and log_extra collect (GRPOTrainer._log_metric / _log_completion_extra)."""

    def __init__(self):
        self.metrics: dict[str, list[float]] = {}
        self.extra: dict[str, list] = {}

    def log_metric(self, name, value):
        self.metrics.setdefault(name, []).append(value)

    def log_extra(self, column, values):
        self.extra.setdefault(column, []).extend(values)

    def means(self) -> dict[str, float]:
        """TRL's flush: sum over count for each metric name logged in the batch."""
        return {name: sum(v) / len(v) for name, v in self.metrics.items()}


def trl_call(reward_func, completions, logs: TrainerLogs | None = None, **columns):
    """How TRL 1.16's GRPOTrainer calls a reward function."""
    logs = logs or TrainerLogs()
    return reward_func(prompts=["q"] * len(completions), completions=completions,
                       completion_ids=[[1]] * len(completions), trainer_state=None,
                       log_extra=logs.log_extra, log_metric=logs.log_metric, **columns)


# ------------------------------------------------------------ plain helpers

def test_reward_for_code() -> None:
    assert trl_call(code_reward, [CODE, PROSE]) == [1.0, 0.0]


def test_no_python_penalty() -> None:
    assert code_reward([CODE, PROSE], reward_code=False, penalty=-1.0) == [-1.0, 0.0]


def test_chat_message_completions() -> None:
    chats = [[{"role": "assistant", "content": CODE}], [{"role": "assistant", "content": PROSE}]]
    assert code_reward(chats) == [1.0, 0.0]


@pytest.mark.parametrize("completion", [{"content": CODE}, [{"role": "assistant", "content": [{"type": "text"}]}], 3])
def test_a_completion_of_another_shape_is_refused(completion) -> None:
    with pytest.raises(InputFormatError, match="completion 1"):
        code_reward([PROSE, completion])


def test_batch_metric() -> None:
    assert code_frequency_metric([CODE, PROSE, PROSE, "we could use python"]) == {
        "code_reasoning/frequency": 0.25, "code_reasoning/paper_frequency": 0.5}


# ------------------------------------------------------------ the paper's rewards

def test_ground_truth_and_incorrect_rewards() -> None:
    columns = {"answer": ["12", "12", "12", "12", "12"], "wrong": ["7", "7", "13", "13", "13"]}
    assert trl_call(GroundTruth("answer"), BATCH, **columns) == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert trl_call(IncorrectReward("wrong"), BATCH, **columns) == [0.0, 1.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize("gold", [["12"], {"answer": "12"}, True])
def test_a_gold_answer_that_is_not_one_text_is_refused(gold) -> None:
    with pytest.raises(ConfigError, match="gold answer 1"):
        trl_call(GroundTruth("answer"), [CODE, PROSE], answer=["12", gold])
    with pytest.raises(ConfigError, match="gold answer 0"):
        compute_score("math", PROSE, gold)


def test_numeric_gold_answers_are_graded() -> None:
    assert trl_call(GroundTruth("answer"), [CODE, PROSE], answer=[12, 12.0]) == [1.0, 1.0]


def test_ground_truth_names_a_missing_column() -> None:
    with pytest.raises(ConfigError, match=r"'answer'.*columns: solution"):
        trl_call(GroundTruth("answer"), [CODE], solution=["12"])


def test_format_reward_needs_a_closed_nonempty_box() -> None:
    texts = ["$\\boxed{12}$", "$\\boxed{}$ then $\\boxed{x+1}$", "$\\boxed{ }$", "$\\boxed{12", "12",
             "\\boxed{\\frac{1}{2}}"]
    assert trl_call(FormatReward(), texts) == [1.0, 1.0, 0.0, 0.0, 0.0, 1.0]


def test_python_reward_is_the_paper_rule() -> None:
    texts = ["PYTHON", "py thon", "```python\nx = 1\n```", "import math"]
    assert trl_call(PythonMention(), texts) == [1.0, 0.0, 1.0, 0.0]


def test_no_python_compound_keeps_the_reward_only_without_python() -> None:
    columns = {"answer": ["12"] * 5}
    assert trl_call(NoPython(GroundTruth()), BATCH, **columns) == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert NoPython(GroundTruth()).__name__ == "ground_truth_no_python"  # TRL logs rewards/ground_truth_no_python/mean


def test_random_reward_is_seeded_and_near_gamma() -> None:
    draws = trl_call(RandomReward(gamma=0.3, seed=7), ["x"] * 2000)
    assert draws == trl_call(RandomReward(gamma=0.3, seed=7), ["x"] * 2000)
    assert draws != trl_call(RandomReward(gamma=0.3, seed=8), ["x"] * 2000)
    assert set(draws) == {0.0, 1.0} and 0.27 < sum(draws) / len(draws) < 0.33
    assert set(trl_call(RandomReward(gamma=0.0), ["x"] * 50)) == {0.0}


def test_reward_parameters_are_checked() -> None:
    with pytest.raises(ConfigError, match="gamma"):
        RandomReward(gamma=1.5)
    with pytest.raises(ConfigError, match="'format'"):
        paper_reward("formatt")


def test_rewards_have_the_same_score_from_verl() -> None:
    for reward in (GroundTruth(), FormatReward(), PythonMention(), NoPython(GroundTruth())):
        batch = trl_call(reward, BATCH, answer=["12"] * 5)
        one_by_one = [reward.compute_score("math", text, "12", {}) for text in BATCH]
        assert batch == one_by_one, reward


# ------------------------------------------------------------ per-step metrics

def test_metrics_log_one_value_per_completion_and_give_no_reward() -> None:
    logs = TrainerLogs()
    rewards = trl_call(CodeReasoningMetrics(answer_column="answer"), BATCH, logs, answer=["12"] * 5)
    assert rewards == [None] * 5
    assert {name: len(values) for name, values in logs.metrics.items()} == {
        "code_reasoning/frequency": 5, "code_reasoning/python_mention": 5, "code_reasoning/accuracy": 5,
        "code_reasoning/acc_given_code": 2, "code_reasoning/acc_given_lang": 3}
    assert logs.means() == {
        "code_reasoning/frequency": 2 / 5, "code_reasoning/python_mention": 3 / 5, "code_reasoning/accuracy": 2 / 5,
        "code_reasoning/acc_given_code": 1 / 2, "code_reasoning/acc_given_lang": 1 / 3}
    assert logs.extra == {"codereason/code": [True, True, False, False, False],
                          "codereason/correct": [True, False, True, False, False]}


def test_metrics_compute_equals_what_trl_logs() -> None:
    metrics = CodeReasoningMetrics(answer_column="answer")
    logs = TrainerLogs()
    trl_call(metrics, BATCH, logs, answer=["12"] * 5)
    assert metrics.compute(BATCH, answer=["12"] * 5) == logs.means()


def test_undefined_conditional_accuracy_is_not_logged() -> None:
    logs = TrainerLogs()
    trl_call(CodeReasoningMetrics(), [PROSE, NO_ANSWER], logs, answer=["12", "12"])
    assert "code_reasoning/acc_given_code" not in logs.metrics
    assert math.isnan(CodeReasoningMetrics().compute([PROSE], answer=["12"])["code_reasoning/acc_given_code"])


def test_metrics_from_the_users_accuracy_reward() -> None:
    def accuracy(completions, answer, log_metric, **kwargs):
        log_metric("accuracy_calls", 1.0)  # a second call from the metrics must not log twice
        return [1.0 if f"boxed{{{a}}}" in c else 0.0 for c, a in zip(completions, answer)]

    logs = TrainerLogs()
    trl_call(CodeReasoningMetrics(accuracy_reward=accuracy), BATCH, logs, answer=["12"] * 5)
    assert logs.means()["code_reasoning/accuracy"] == 2 / 5 and "accuracy_calls" not in logs.metrics


def test_an_accuracy_reward_that_is_not_0_or_1_is_refused() -> None:
    metrics = CodeReasoningMetrics(accuracy_reward=lambda completions, **kw: [0.5] * len(completions))
    with pytest.raises(ConfigError, match="returned 0.5 for completion 0"):
        trl_call(metrics, [CODE], answer=["12"])


def test_an_accuracy_reward_with_a_value_missing_is_refused() -> None:
    metrics = CodeReasoningMetrics(accuracy_reward=lambda completions, **kw: [1.0])
    with pytest.raises(ConfigError, match="returned 1 values for 2 completions"):
        trl_call(metrics, [CODE, PROSE])


def test_metrics_outside_trl_say_how_to_use_them() -> None:
    with pytest.raises(ConfigError, match=r"log_metric.*\.compute"):
        CodeReasoningMetrics()(completions=[CODE], answer=["12"])


# ------------------------------------------------------------ verl

def test_verl_compute_score_penalises_code() -> None:
    code = compute_score("math", CODE, "12")
    prose = compute_score("math", PROSE, "12")
    assert code == {"score": 0.5, "acc": 1.0, "code_reasoning": 1.0, "python_mention": 1.0}
    assert prose == {"score": 1.0, "acc": 1.0, "code_reasoning": 0.0, "python_mention": 0.0}
    assert compute_score("math", PROSE, "13")["score"] == 0.0


def test_verl_scores_have_the_same_numeric_keys_for_every_response() -> None:
    """verl appends each key per response and averages it per data source: no key may come and go."""
    score = verl_compute_score(NoPython(FormatReward()))
    infos = [score("math", text, "12", {"answer": "12"}) for text in BATCH]
    assert all(tuple(info) == SCORE_KEYS and all(isinstance(v, float) for v in info.values()) for info in infos)
    assert [info["score"] for info in infos] == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert [info["code_reasoning"] for info in infos] == [1.0, 1.0, 0.0, 0.0, 0.0]


def test_verl_acc_against_the_true_answer_under_the_incorrect_reward() -> None:
    score = verl_compute_score(IncorrectReward(), answer_key="answer")
    info = score("math", PROSE_PYTHON_WRONG, "13", {"answer": "12"})  # ground_truth holds the wrong label
    assert (info["score"], info["acc"]) == (1.0, 0.0)
    with pytest.raises(ConfigError, match=r"extra_info\['answer'\].*have: index"):
        score("math", PROSE, "13", {"index": 3})


# ------------------------------------------------------------ real training rollouts

@pytest.mark.realdata
@pytest.mark.slow
def test_metrics_equal_track_on_real_grpo_training_batches(realdata) -> None:
    """CodeReasoningMetrics on the logged rollouts of real GRPO steps (Qwen2.5-Math-1.5B, CS336 run)
    gives the numbers ``codereason track`` gives for those steps, graded or from the run's own reward."""
    import json

    from codereason.track import TrackOptions, collect, step_table

    run = realdata / "cs336-grpo-qwen1p5b-rollouts" / "question_only"
    step_dirs = [run / f"grpo_step_{step:06d}" for step in range(8, 201, 8)]  # 25 steps x 8 rollouts
    graded = step_table(collect(step_dirs, TrackOptions(cache=False)), n_boot=0).set_index("step")
    stored_options = TrackOptions(cache=False, use_stored_score=True)
    stored = step_table(collect(step_dirs, stored_options), n_boot=0).set_index("step")
    keys = {"frequency": "code_freq", "python_mention": "code_freq_paper", "accuracy": "accuracy",
            "acc_given_code": "acc_given_code", "acc_given_lang": "acc_given_lang"}
    by_answer = CodeReasoningMetrics(answer_column="ground_truth")
    by_reward = CodeReasoningMetrics(accuracy_reward=lambda completions, answer_reward, **kw: answer_reward)
    seen = 0
    for directory in step_dirs:
        rows = [json.loads(line) for line in (directory / "sample_rollouts.jsonl").read_text().splitlines()]
        texts, step = [r["response"] for r in rows], int(directory.name.split("_")[-1])
        for metrics, table in ((by_answer, graded), (by_reward, stored)):
            got = metrics.compute(texts, ground_truth=[r["ground_truth"] for r in rows],
                                  answer_reward=[r["answer_reward"] for r in rows])
            for name, column in keys.items():
                want = table.loc[step, column]
                assert (math.isnan(got["code_reasoning/" + name]) and math.isnan(want)) or \
                    got["code_reasoning/" + name] == pytest.approx(want), (step, name)
        seen += len(texts)
    assert seen == 200 == int(graded["n_responses"].sum())
