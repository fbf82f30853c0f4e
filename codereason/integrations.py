"""Use the classifier inside RL training loops (TRL, verl) and loggers.

TRL's ``GRPOTrainer`` takes reward functions ``reward(completions, **kwargs) ->
list[float]``; verl calls ``compute_score(data_source, solution_str,
ground_truth, extra_info=None)`` per sample. Neither library is imported here:
these are plain functions with the signatures those trainers call.

>>> code_reward(["```python\\nprint(6 * 7)\\n```", "It is 42."])
[1.0, 0.0]
>>> code_reward(["```python\\nprint(6 * 7)\\n```", "It is 42."], penalty=-1.0, reward_code=False)
[-1.0, 0.0]
>>> code_frequency_metric(["```python\\nprint(1)\\n```", "no", "no", "no"])
{'code_reasoning/frequency': 0.25, 'code_reasoning/paper_frequency': 0.25}
"""

from __future__ import annotations

from typing import Any, Sequence

from codereason.classifier import classify


def _completion_text(completion: Any) -> str:
    """TRL passes strings, or chat messages ``[{"role": ..., "content": ...}]``."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", ""))
    return str(completion)


def code_reward(completions: Sequence[Any], *, penalty: float = 0.0, reward_code: bool = True,
                mode: str = "ast", **kwargs) -> list[float]:
    """A TRL GRPO reward function on code reasoning.

    With the defaults, 1.0 for a response that reasons in code and 0.0 otherwise.
    With ``reward_code=False`` it becomes a "no python" penalty: ``penalty`` for
    code, 0.0 otherwise.

    Args:
        completions: what TRL passes (strings or chat-message lists).
        penalty: the value for a code response when ``reward_code`` is False.
        reward_code: reward code (True) or penalise it (False).
        mode: classifier mode, ``ast`` or ``paper``.
        **kwargs: the other columns TRL passes (prompts, answers...), ignored.
    """
    scores = []
    for completion in completions:
        is_code = classify(_completion_text(completion), mode).code_reasoning
        scores.append((1.0 if reward_code else penalty) if is_code else 0.0)
    return scores


def compute_score(data_source: str, solution_str: str, ground_truth: str, extra_info: dict | None = None,
                  *, no_python_penalty: float = -0.5) -> dict[str, float]:
    """A verl ``compute_score``: math correctness, minus a penalty for code.

    Correctness comes from math-verify through :mod:`codereason.grade` when it is
    available; ``code_reasoning`` is logged beside the score (verl aggregates dict
    entries as metrics).
    """
    from codereason.grade import grade

    label = classify(solution_str)
    verdict = grade(gold=ground_truth, response=solution_str)
    correct = 1.0 if verdict.correct else 0.0
    penalty = no_python_penalty if label.code_reasoning else 0.0
    return {"score": correct + penalty, "correct": correct, "code_reasoning": float(label.code_reasoning)}


def code_frequency_metric(completions: Sequence[Any], mode: str = "ast") -> dict[str, float]:
    """Per-batch code frequency for a training logger (wandb, TRL callbacks)."""
    labels = [classify(_completion_text(c), mode) for c in completions]
    n = max(1, len(labels))
    return {
        "code_reasoning/frequency": sum(l.code_reasoning for l in labels) / n,
        "code_reasoning/paper_frequency": sum(l.paper_code for l in labels) / n,
    }
