"""Use the classifier inside RL training loops (TRL, verl) and loggers.

- :class:`CodeReasoningMetrics` (:mod:`.trl_metrics`): code frequency, accuracy given
  code / language and Python mentions on every logging step of a TRL ``GRPOTrainer``.
- :mod:`.rewards`: the rewards of Shao et al. (2025) (ground truth, incorrect, format,
  random, Python mention, and the no-Python compound) for TRL and verl.
- :mod:`.verl`: verl ``compute_score`` functions whose keys become validation metrics.
- :func:`code_reward` and :func:`code_frequency_metric`: a reward on code and a
  per-batch metric, plain functions for any loop.

Neither TRL nor verl is imported here: these are plain callables with the
signatures those trainers call.

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
from codereason.integrations.batch import completion_texts
from codereason.integrations.rewards import (
    PAPER_REWARDS,
    FormatReward,
    GroundTruth,
    IncorrectReward,
    NoPython,
    PythonMention,
    RandomReward,
    Reward,
    paper_reward,
)
from codereason.integrations.trl_metrics import CodeReasoningMetrics
from codereason.integrations.verl import compute_score, verl_compute_score


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
        mode: classifier mode, ``ast``, ``paper`` or ``learned``.
        **kwargs: the other columns TRL passes (prompts, answers...), ignored.
    """
    scores = []
    for text in completion_texts(completions):
        is_code = classify(text, mode).code_reasoning
        scores.append((1.0 if reward_code else penalty) if is_code else 0.0)
    return scores


def code_frequency_metric(completions: Sequence[Any], mode: str = "ast") -> dict[str, float]:
    """Per-batch code frequency for a training logger (wandb, a custom loop)."""
    labels = [classify(text, mode) for text in completion_texts(completions)]
    n = max(1, len(labels))
    return {
        "code_reasoning/frequency": sum(l.code_reasoning for l in labels) / n,
        "code_reasoning/paper_frequency": sum(l.paper_code for l in labels) / n,
    }


__all__ = [
    "PAPER_REWARDS", "CodeReasoningMetrics", "FormatReward", "GroundTruth", "IncorrectReward", "NoPython",
    "PythonMention", "RandomReward", "Reward", "code_frequency_metric", "code_reward", "compute_score",
    "paper_reward", "verl_compute_score",
]
