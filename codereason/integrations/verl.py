"""verl ``compute_score`` functions whose extra keys become per-data-source validation metrics.

verl's ``NaiveRewardManager`` (verl >= 0.4.0) takes a dict from
``compute_score``: ``"score"`` is the reward, and every key, ``score``
included, is appended to ``reward_extra_info``; ``RayPPOTrainer._validate``
then averages each key per data source (per prompt first, then over prompts)
into ``val-aux/<data_source>/<key>/mean@<n>``, with ``acc`` promoted to
``val-core``. Every call returns the same numeric keys (verl needs one value
per response for every key):

- ``score``: the reward;
- ``acc``: 1.0 when graded correct (math-verify against the reference answer);
- ``code_reasoning``: 1.0 when the response reasons in code (so its mean is the code frequency);
- ``python_mention``: 1.0 when it contains "python" (the paper's rule).

>>> from codereason.integrations.rewards import PythonMention
>>> score = verl_compute_score(PythonMention())
>>> score("math", "```python\\nprint(6 * 7)\\n```\\nSo \\\\boxed{42}.", "42")
{'score': 1.0, 'acc': 1.0, 'code_reasoning': 1.0, 'python_mention': 1.0}
"""

from __future__ import annotations

from typing import Any, Callable

from codereason.classifier import MODES, classify
from codereason.errors import ConfigError
from codereason.integrations.batch import grade_texts
from codereason.integrations.rewards import Reward

SCORE_KEYS = ("score", "acc", "code_reasoning", "python_mention")


def score_info(solution_str: str, answer: Any, score: float, mode: str = "ast") -> dict[str, float]:
    """The dict a codereason ``compute_score`` returns: :data:`SCORE_KEYS`, all floats."""
    label = classify(solution_str, mode)
    verdict = grade_texts([solution_str], [answer], timeout_s=None)[0]
    return {"score": float(score), "acc": 1.0 if verdict.correct is True else 0.0,
            "code_reasoning": float(label.code_reasoning), "python_mention": float(label.paper_code)}


def verl_compute_score(reward: Reward, *, answer_key: str | None = None, mode: str = "ast") -> Callable[..., dict]:
    """A verl ``compute_score`` whose ``score`` is ``reward`` and whose other keys are :data:`SCORE_KEYS`.

    Args:
        reward: one of :mod:`codereason.integrations.rewards` (its ``compute_score`` gives the score).
        answer_key: ``acc`` is graded against ``extra_info[answer_key]``; None grades it against
            ``ground_truth``. Set it when ``ground_truth`` is not the true answer (the incorrect reward).
        mode: the classifier mode behind ``code_reasoning``.

    Use it from a file that verl loads (``custom_reward_function.path``/``.name``)::

        compute_score = verl_compute_score(NoPython(GroundTruth()))
    """
    if mode not in MODES:
        raise ConfigError.bad_choice("mode", mode, MODES)

    def compute_score(data_source: str, solution_str: str, ground_truth: Any, extra_info: dict | None = None,
                      **kwargs) -> dict[str, float]:
        score = reward.compute_score(data_source, solution_str, ground_truth, extra_info)
        return score_info(solution_str, _answer(ground_truth, extra_info, answer_key), score, mode)

    compute_score.__name__ = f"compute_score_{reward.__name__}"
    return compute_score


def _answer(ground_truth: Any, extra_info: dict | None, answer_key: str | None) -> Any:
    if answer_key is None:
        return ground_truth
    if not isinstance(extra_info, dict) or answer_key not in extra_info:
        have = ", ".join(sorted(extra_info)) if isinstance(extra_info, dict) else "no extra_info"
        raise ConfigError(f"compute_score grades acc against extra_info[{answer_key!r}], which this sample lacks "
                          f"(have: {have}); add it to the dataset's extra_info or drop answer_key")
    return extra_info[answer_key]


def compute_score(data_source: str, solution_str: str, ground_truth: Any, extra_info: dict | None = None,
                  *, no_python_penalty: float = -0.5, **kwargs) -> dict[str, float]:
    """A verl ``compute_score``: math correctness plus ``no_python_penalty`` for a response that reasons in code.

    >>> compute_score("math", "It is \\\\boxed{12}.", "12")
    {'score': 1.0, 'acc': 1.0, 'code_reasoning': 0.0, 'python_mention': 0.0}
    """
    info = score_info(solution_str, ground_truth, 0.0)
    info["score"] = info["acc"] + (no_python_penalty if info["code_reasoning"] else 0.0)
    return info


__all__ = ["SCORE_KEYS", "compute_score", "score_info", "verl_compute_score"]
