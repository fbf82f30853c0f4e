"""The classifier as a TRL reward function, a verl compute_score and a batch metric."""

from __future__ import annotations

import pytest

from codereason.integrations import code_frequency_metric, code_reward

CODE = "Let me check.\n```python\nprint(3 * 4)\n```\nSo $\\boxed{12}$."
PROSE = "Three fours make $\\boxed{12}$."


def trl_style_call(reward_func, completions, **columns):
    """How TRL's GRPOTrainer calls a reward function: completions plus dataset columns."""
    return reward_func(completions=completions, prompts=["q"] * len(completions), **columns)


def test_reward_for_code() -> None:
    assert trl_style_call(code_reward, [CODE, PROSE]) == [1.0, 0.0]


def test_no_python_penalty() -> None:
    def no_python(completions, **kwargs):
        return code_reward(completions, reward_code=False, penalty=-1.0, **kwargs)

    assert trl_style_call(no_python, [CODE, PROSE], answer=["12", "12"]) == [-1.0, 0.0]


def test_chat_message_completions() -> None:
    chats = [[{"role": "assistant", "content": CODE}], [{"role": "assistant", "content": PROSE}]]
    assert code_reward(chats) == [1.0, 0.0]


def test_batch_metric() -> None:
    assert code_frequency_metric([CODE, PROSE, PROSE, "we could use python"]) == {
        "code_reasoning/frequency": 0.25, "code_reasoning/paper_frequency": 0.5}


def test_verl_compute_score_penalises_code() -> None:
    pytest.importorskip("codereason.grade")
    from codereason.integrations import compute_score

    code = compute_score("math", CODE, "12")
    prose = compute_score("math", PROSE, "12")
    assert (code["correct"], code["code_reasoning"], code["score"]) == (1.0, 1.0, 0.5)
    assert (prose["correct"], prose["code_reasoning"], prose["score"]) == (1.0, 0.0, 1.0)
    assert compute_score("math", PROSE, "13")["score"] == 0.0
